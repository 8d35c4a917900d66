"""HTML forms of the cooperation pages turned into the API's input shapes.

The pages validate with the API's own schemas (``CooperationIn``,
``CanvasIn``, ``StageIn``), so a browser meets the same messages as a client
of the JSON API; this module only reads the form's fields and says which
field each message belongs to. The agreement form is ``agreement_forms``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError
from werkzeug.datastructures import MultiDict

from omd_gov.auth.models import Role, User
from omd_gov.auth.security import has_role, require_role
from omd_gov.cooperations.canvas import SECTION_KEYS
from omd_gov.errors import ServiceError

# The API lets data officers (and admins) write cooperations and draft
# agreements; the pages offer their forms to the same roles, by the same check.
WRITER = Role.DATA_OFFICER

# Field path ("title", "parties.0.role", "sections.context") -> its messages.
Errors = dict[str, list[str]]


def may_write(user: User) -> bool:
    return has_role(user, WRITER)


def require_writer(user: User) -> None:
    require_role(user, WRITER)


def flatten(messages: Any, prefix: str = "") -> Errors:
    """marshmallow's nested messages as {field path: [message, ...]}."""
    if isinstance(messages, Mapping):
        out: Errors = {}
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            for field, texts in flatten(value, path).items():
                out.setdefault(field, []).extend(texts)
        return out
    if isinstance(messages, list) and all(isinstance(item, str) for item in messages):
        return {prefix: list(messages)}
    return {prefix: [str(messages)]}


def load(schema: Schema, data: dict[str, Any]) -> tuple[dict[str, Any] | None, Errors]:
    """The schema's loaded data, or None and its messages by field."""
    try:
        return schema.load(data), {}
    except ValidationError as error:
        return None, flatten(error.messages)


def refusal_errors(error: ServiceError) -> Errors:
    """A service's refusal as messages by field ("" when it names none)."""
    out: Errors = {}
    for problem in error.errors or [{"field": None, "message": error.detail}]:
        out.setdefault(problem.get("field") or "", []).append(str(problem.get("message", "")))
    return out


def by_section(errors: Errors) -> Errors:
    """Canvas messages by section key ("" for the canvas as a whole); the
    MIMs are edited with the technical concepts."""
    out: Errors = {}
    for path, messages in errors.items():
        head, _, rest = path.partition(".")
        key = rest.partition(".")[0]
        if head == "sections" and key in SECTION_KEYS:
            cell = key
        elif head == "mims":
            cell = "technical_concepts"
        else:
            cell = ""
        out.setdefault(cell, []).extend(messages)
    return out


def _text(form: MultiDict[str, str], name: str) -> str:
    return form.get(name, "").strip()


def cooperation_input(form: MultiDict[str, str]) -> dict[str, Any]:
    return {
        "title": _text(form, "title"),
        "description": _text(form, "description"),
        "organization_ids": form.getlist("organization_ids"),
    }


def canvas_input(
    form: MultiDict[str, str], sections: Mapping[str, str], mims: list[str]
) -> dict[str, Any]:
    """One section saved over the canvas as it stands (``put_canvas``
    replaces the whole canvas); the MIMs travel with the technical concepts."""
    key = form.get("section", "")
    data: dict[str, Any] = {"sections": {**sections, key: form.get("text", "").strip()}}
    data["mims"] = (
        [m.strip() for m in form.get("mims", "").split(",") if m.strip()]
        if ("mims" in form)
        else list(mims)
    )
    return data


def stage_input(form: MultiDict[str, str]) -> dict[str, Any]:
    return {"to": _text(form, "to"), "reason": _text(form, "reason")}
