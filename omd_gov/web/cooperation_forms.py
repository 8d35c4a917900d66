"""HTML forms of the cooperation pages turned into the API's input shapes.

The pages validate with the API's own schemas (``CooperationIn``,
``CanvasIn``, ``StageIn``, ``AgreementIn``), so a browser meets the same
messages as a client of the JSON API; this module only reads the form's
fields and says which field each message belongs to.
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

# Rows the new-agreement form offers; blank rows are left out.
PARTY_ROWS = 4
ASSET_ROWS = 3


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


def _optional(form: MultiDict[str, str], name: str) -> str | None:
    return _text(form, name) or None


def _lines(form: MultiDict[str, str], name: str) -> list[str]:
    """A textarea with one entry per line."""
    return [line.strip() for line in form.get(name, "").splitlines() if line.strip()]


def _ticked(form: MultiDict[str, str], name: str) -> bool:
    return name in form


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


def _parties(form: MultiDict[str, str]) -> tuple[list[dict[str, Any]], list[int]]:
    """The filled party rows, and the form row each came from."""
    parties, rows = [], []
    for row in range(PARTY_ROWS):
        organization = _text(form, f"parties-{row}-organization_id")
        if not organization:
            continue
        parties.append(
            {
                "organization_id": organization,
                "role": _text(form, f"parties-{row}-role"),
                "signs": _ticked(form, f"parties-{row}-signs"),
            }
        )
        rows.append(row)
    return parties, rows


def _assets(form: MultiDict[str, str]) -> tuple[list[dict[str, Any]], list[int]]:
    assets, rows = [], []
    for row in range(ASSET_ROWS):
        name, standard = _text(form, f"assets-{row}-name"), _text(form, f"assets-{row}-standard")
        if not (name or standard):
            continue
        assets.append(
            {
                "name": name,
                "standard": standard,
                "delivery": _text(form, f"assets-{row}-delivery"),
                "personal_data": _ticked(form, f"assets-{row}-personal_data"),
            }
        )
        rows.append(row)
    return assets, rows


def _gdpr(form: MultiDict[str, str]) -> dict[str, Any]:
    return {
        "lawful_basis": _optional(form, "gdpr-lawful_basis"),
        "personal_data_categories": _lines(form, "gdpr-personal_data_categories"),
        "data_subject_categories": _lines(form, "gdpr-data_subject_categories"),
        "special_categories": _lines(form, "gdpr-special_categories"),
        "art9_condition": _optional(form, "gdpr-art9_condition"),
        "dpia": _optional(form, "gdpr-dpia"),
        "dpia_reference": _optional(form, "gdpr-dpia_reference"),
        "retention": _optional(form, "gdpr-retention"),
        "transfers_outside_eea": _ticked(form, "gdpr-transfers_outside_eea"),
        "transfer_mechanism": _optional(form, "gdpr-transfer_mechanism"),
    }


def agreement_input(
    form: MultiDict[str, str], cooperation_id: int
) -> tuple[dict[str, Any], dict[str, list[int]]]:
    """The draft as ``AgreementIn`` takes it, and for each list the form row
    of each entry (so that "parties.1.role" lands on the right row)."""
    parties, party_rows = _parties(form)
    assets, asset_rows = _assets(form)
    data = {
        "cooperation_id": cooperation_id,
        "title": _text(form, "title"),
        "purpose": _text(form, "purpose"),
        "sharing_model": _text(form, "sharing_model"),
        "parties": parties,
        "data_assets": assets,
        "gdpr": _gdpr(form),
        "start_date": _optional(form, "start_date"),
        "end_date": _optional(form, "end_date"),
        "security_measures": _text(form, "security_measures"),
    }
    return data, {"parties": party_rows, "data_assets": asset_rows}


def on_form_rows(errors: Errors, rows: dict[str, list[int]]) -> Errors:
    """Renumber "parties.<entry>…" paths to the form row the entry came from."""
    out: Errors = {}
    for path, messages in errors.items():
        head, _, rest = path.partition(".")
        index, _, tail = rest.partition(".")
        if head in rows and index.isdigit() and int(index) < len(rows[head]):
            path = ".".join(part for part in (head, str(rows[head][int(index)]), tail) if part)
        out.setdefault(path, []).extend(messages)
    return out
