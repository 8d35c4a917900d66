"""Helpers for the document tests: small real .docx templates built with
python-docx, hostile variants of them, and fixtures that install the built-in
templates, as ``omd-gov init`` does (requests never register them): the real
ones, or a set of small ones (so most tests render in milliseconds, not seconds)."""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from docx import Document as WordDocument
from sqlalchemy import delete

from omd_gov.db import db
from omd_gov.documents.context_labels import LANGUAGES
from omd_gov.documents.models import TemplateVersion
from omd_gov.documents.services import install_builtins

BUILTIN_TEMPLATES = Path(__file__).resolve().parents[1] / "agreement_templates"

SMALL_TEMPLATES: dict[str, tuple[str, ...]] = {
    "dsa": (
        "DSA {{ agreement.reference }}: {{ agreement.title }}",
        "{% for party in parties %}Party: {{ party.name }} ({{ party.role_label }})\n{% endfor %}",
        "{% for asset in data_assets %}Asset: {{ asset.name }} / {{ asset.standard }}{% endfor %}",
        "Purpose: {{ agreement.purpose }}",
        "Signed for {% for p in signing_parties %}{{ p.name }}; {% endfor %}",
    ),
    "annex_art28": (
        "Art. 28 annex for {{ agreement.reference }}",
        "Processors: {% for p in processors %}{{ p.name }}{% endfor %}",
    ),
    "annex_art26": (
        "Art. 26 arrangement for {{ agreement.reference }}",
        "Joint: {% for p in joint_controllers %}{{ p.name }}; {% endfor %}",
    ),
    "canvas": (
        "Canvas of {{ cooperation.title }}, stage {{ cooperation.stage_label }}",
        "{% for group in cooperation.groups %}{% for s in group.sections %}"
        "{{ s.title }}: {{ s.text }}\n{% endfor %}{% endfor %}",
    ),
}


def docx_bytes(*paragraphs: str, header: str | None = None) -> bytes:
    document = WordDocument()
    for text in paragraphs:
        document.add_paragraph(text)
    if header is not None:
        document.sections[0].header.paragraphs[0].text = header
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def docx_text(data: bytes) -> str:
    """Every paragraph, table cell, header and footer of a .docx, one per line."""
    document = WordDocument(io.BytesIO(data))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        lines += [cell.text for row in table.rows for cell in row.cells]
    for section in document.sections:
        lines += [p.text for p in section.header.paragraphs + section.footer.paragraphs]
    return "\n".join(lines)


def rewrite_part(data: bytes, name: str, change: Callable[[bytes], bytes]) -> bytes:
    """A copy of the package with one part changed."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            target.writestr(info.filename, change(content) if info.filename == name else content)
    return out.getvalue()


def write_templates(folder: Path, version: int = 1) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    for kind, paragraphs in SMALL_TEMPLATES.items():
        for language in LANGUAGES:
            name = f"{kind}_{language}"
            header = f"[{language}] {{{{ agreement.reference }}}}"
            (folder / f"{name}.docx").write_bytes(docx_bytes(*paragraphs, header=header))
            entries.append(
                {"name": name, "kind": kind, "language": language, "version": version,
                 "file": f"{name}.docx"}
            )  # fmt: skip
    (folder / "manifest.json").write_text(json.dumps({"templates": entries}))
    return folder


def use_builtins(app: Any, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``folder``'s manifest the built-in templates, registered as
    ``omd-gov init`` would on a fresh database: the built-ins registered so
    far are removed first (no document may use them yet)."""
    monkeypatch.setitem(app.config, "OMD_TEMPLATES_DIR", str(folder))
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(delete(TemplateVersion).where(TemplateVersion.source == "builtin"))
    install_builtins(app)


@pytest.fixture
def small_templates(app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Use the small templates above as the built-ins for this test."""
    folder = write_templates(tmp_path / "templates")
    use_builtins(app, folder, monkeypatch)
    yield folder


def upload(api: Any, account: Any, data: bytes, **fields: str) -> Any:
    form = {"name": "custom_dsa_en", "kind": "dsa", "language": "en", **fields}
    form_data: dict[str, Any] = dict(form)
    form_data["file"] = (io.BytesIO(data), "template.docx")
    return api.as_(account).post(
        "/api/v1/templates", data=form_data, content_type="multipart/form-data"
    )


@contextmanager
def generation_worker(app: Any, tmp_path: Path) -> Iterator[None]:
    """A real Celery worker (Redis broker, this test's own queue) that runs the
    generation jobs; PDF conversions go to a queue nobody consumes here."""
    from tests.reminders_support import on_broker, worker_thread

    with on_broker(app, "redis", tmp_path) as celery:
        unconsumed = f"{app.config['OMD_CELERY_QUEUE']}-other"
        celery.conf.task_routes = {"omd.documents.convert_pdf": {"queue": unconsumed}}
        with worker_thread(celery):
            yield


def generate_in_worker(
    world: Any, agreement_id: int, kind: str = "dsa", language: str = "en", timeout: float = 30
) -> Any:
    """Ask for documents that need an uploaded template (202), then poll the
    job until it is done or failed; the last poll's response."""
    response = world.api.as_(world.legal).post(
        f"/api/v1/agreements/{agreement_id}/documents", json={"kind": kind, "language": language}
    )
    assert response.status_code == 202, response.json
    assert response.json["status"] == "queued" and response.json["items"] == []
    location = response.headers["Location"]
    assert location == response.json["links"]["self"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        polled = world.api.as_(world.legal).get(location)
        if polled.status_code != 200 or polled.json["status"] == "done":
            return polled
        assert polled.json["status"] in ("queued", "running"), polled.json
        time.sleep(0.1)
    raise AssertionError(f"generation job {location} did not settle within {timeout} s")
