"""The template registry: built-in templates and admins' uploads, all versioned.

Built-ins come from ``agreement_templates/manifest.json`` (``OMD_TEMPLATES_DIR``)
and are registered by ``omd-gov init`` (``services.install_builtins``), never
by a request. A manifest version that is not yet registered (and not already
passed by an upload of the same name) is added as a new version.

The template used for a kind and language is the one registered most
recently, so an admin's upload takes effect at once and a later release of
the built-ins takes over again.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from omd_gov.audit.chain import record
from omd_gov.auth.actors import Actor
from omd_gov.documents.context_sample import sample_context
from omd_gov.documents.context_spec import CONTEXT_VARIABLES
from omd_gov.documents.models import TemplateVersion
from omd_gov.documents.rendering import Limits
from omd_gov.documents.storage import get_storage, sha256_hex
from omd_gov.documents.validation import PackageLimits, check_template, reject
from omd_gov.errors import Unprocessable

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")


@dataclass(frozen=True)
class Builtin:
    name: str
    kind: str
    language: str
    version: int
    path: Path
    variables: tuple[str, ...]


_manifest_cache: dict[tuple[str, float], tuple[Builtin, ...]] = {}


def render_limits() -> Limits:
    config = current_app.config
    return Limits(timeout=config["OMD_RENDER_TIMEOUT"], memory_mb=config["OMD_RENDER_MEMORY_MB"])


def package_limits() -> PackageLimits:
    config = current_app.config
    return PackageLimits(
        max_bytes=config["OMD_TEMPLATE_MAX_BYTES"],
        max_unzipped_bytes=config["OMD_TEMPLATE_MAX_UNZIPPED_BYTES"],
        max_entries=config["OMD_TEMPLATE_MAX_ENTRIES"],
    )


def builtins() -> tuple[Builtin, ...]:
    """The manifest's entries (re-read only when the file changes)."""
    manifest = Path(current_app.config["OMD_TEMPLATES_DIR"]) / "manifest.json"
    if not manifest.is_file():
        return ()
    key = (str(manifest), manifest.stat().st_mtime)
    if key not in _manifest_cache:
        if len(_manifest_cache) > 16:  # old mtimes: the file changed since
            _manifest_cache.clear()
        entries = json.loads(manifest.read_text(encoding="utf-8"))["templates"]
        _manifest_cache[key] = tuple(
            Builtin(
                name=entry["name"],
                kind=entry["kind"],
                language=entry["language"],
                version=int(entry["version"]),
                path=manifest.parent / entry["file"],
                variables=tuple(entry.get("variables", ())),
            )
            for entry in entries
        )
    return _manifest_cache[key]


def missing_builtins(session: Session) -> list[Builtin]:
    """The manifest's templates the database does not have yet (one cheap query)."""
    wanted = builtins()
    if not wanted:
        return []
    rows = session.execute(
        select(
            TemplateVersion.name, TemplateVersion.language, func.max(TemplateVersion.version)
        ).group_by(TemplateVersion.name, TemplateVersion.language)
    ).all()
    newest = {(name, language): version for name, language, version in rows}
    return [b for b in wanted if newest.get((b.name, b.language), 0) < b.version]


# How each database names the (name, language, version) unique constraint.
_UNIQUE_VERSION_MARKERS = (
    "uq_document_templates_name",
    "document_templates.name, document_templates.language, document_templates.version",
)


def is_same_version_race(error: IntegrityError) -> bool:
    """Whether another process registered the same version first (harmless:
    theirs is identical), rather than any other database error."""
    message = str(error.orig)
    return any(marker in message for marker in _UNIQUE_VERSION_MARKERS)


def register_builtin(session: Session, builtin: Builtin) -> None:
    data = builtin.path.read_bytes()
    row = TemplateVersion(
        name=builtin.name,
        kind=builtin.kind,
        language=builtin.language,
        version=builtin.version,
        sha256=sha256_hex(data),
        storage_key=get_storage().put(data, ".docx"),
        size_bytes=len(data),
        source="builtin",
        filename=builtin.path.name,
        variables=list(builtin.variables),
    )
    _add(session, Actor.system("api"), row, "register_builtin_template")


def _add(session: Session, actor: Actor, row: TemplateVersion, action: str) -> TemplateVersion:
    session.add(row)
    session.flush()
    changes = {
        "name": row.name,
        "kind": row.kind,
        "language": row.language,
        "version": row.version,
        "sha256": row.sha256,
        "source": row.source,
    }
    record(session, actor, row, action, changes=changes)
    return row


def current_template(session: Session, kind: str, language: str) -> TemplateVersion:
    """The template used for a kind and language: the one registered most recently."""
    row = session.execute(
        select(TemplateVersion)
        .where(TemplateVersion.kind == kind, TemplateVersion.language == language)
        .order_by(TemplateVersion.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if row is None:
        raise Unprocessable(
            f"there is no {kind} template in language '{language}' "
            "(`omd-gov init` registers the built-in templates)",
            [{"field": "language", "message": f"no {kind} template for '{language}'"}],
        )
    return row


@dataclass(frozen=True)
class Upload:
    """An admin's template upload, as the API received it."""

    data: bytes
    filename: str
    name: str
    kind: str
    language: str


def check_upload(session: Session, upload: Upload) -> tuple[int, list[str]]:
    """Refuse the upload (422, saying why) or return its version number and
    variables. The analysis and test render run in a render process."""
    statement = select(TemplateVersion).where(TemplateVersion.name == upload.name)
    previous = list(session.execute(statement).scalars())
    _check_family(previous, upload.name, upload.kind, upload.language)
    variables = check_template(
        upload.data,
        package_limits(),
        render_limits(),
        CONTEXT_VARIABLES,
        sample_context(upload.language),
    )
    digest = sha256_hex(upload.data)
    same = next((row for row in previous if row.sha256 == digest), None)
    if same is not None:
        raise reject("duplicate", f"this file is already {upload.name} version {same.version}")
    return max((row.version for row in previous), default=0) + 1, variables


def add_upload(
    session: Session, actor: Actor, upload: Upload, version: int, variables: list[str]
) -> TemplateVersion:
    """Store a checked upload as version ``version`` of its name."""
    row = TemplateVersion(
        name=upload.name,
        kind=upload.kind,
        language=upload.language,
        version=version,
        sha256=sha256_hex(upload.data),
        storage_key=get_storage().put(upload.data, ".docx"),
        size_bytes=len(upload.data),
        source="upload",
        filename=upload.filename[:255],
        variables=variables,
        uploaded_by_id=actor.user_id,
    )
    return _add(session, actor, row, "upload_template")


def _check_family(previous: list[TemplateVersion], name: str, kind: str, language: str) -> None:
    if not NAME_PATTERN.match(name):
        raise Unprocessable(
            "a template name is 1-100 lower-case letters, digits, '_' or '-'",
            [{"field": "name", "message": "use lower-case letters, digits, '_' or '-'"}],
        )
    other = next((r for r in previous if (r.kind, r.language) != (kind, language)), None)
    if other is not None:
        raise Unprocessable(
            f"template {name!r} is a {other.kind} template in '{other.language}'; "
            "upload under another name for another kind or language",
            [{"field": "name", "message": f"{name!r} is {other.kind}/{other.language}"}],
        )
