"""PDF with the real LibreOffice: page count and text checked with pypdf, the
worker's conversion on a real Redis broker, and every failure reported."""

from __future__ import annotations

import io
import shutil
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from omd_gov.db import db
from omd_gov.documents.api import PDF_FAILED_FOR_PARTNERS
from omd_gov.documents.models import Document
from omd_gov.documents.pdf import convert_docx_to_pdf
from tests.documents_support import docx_bytes
from tests.integration.conftest import World
from tests.reminders_support import on_broker, worker_thread

PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def _libreoffice_is_installed() -> None:
    # A missing LibreOffice must fail these tests, never skip them.
    assert shutil.which("soffice"), "LibreOffice is required: run scripts/install-system-deps.sh"


def _generate(world: World, agreement_id: int, kind: str = "dsa") -> list[dict[str, Any]]:
    response = world.api.as_(world.legal).post(
        f"/api/v1/agreements/{agreement_id}/documents", json={"kind": kind, "language": "en"}
    )
    assert response.status_code == 201, response.json
    return list(response.json["items"])


def _pdf_text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return len(reader.pages), " ".join(text.split())


def test_the_built_in_dsa_converts_to_a_multi_page_pdf(world: World) -> None:
    agreement = world.create_agreement()
    dsa = _generate(world, agreement["id"])[0]
    response = world.api.as_(world.sign_partner).get(dsa["links"]["pdf"])
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].endswith(".pdf")
    pages, text = _pdf_text(response.data)
    assert pages >= 3  # a real agreement, not a stub
    assert agreement["reference"] in text
    for words in ("City", "Partner Co", "Energy data & <sharing>", "Meter readings"):
        assert words in text, words

    listed = world.api.as_(world.legal).get(f"/api/v1/agreements/{agreement['id']}/documents")
    pdf = listed.json["items"][0]["pdf"]
    assert pdf["status"] == "ready" and pdf["error"] is None
    assert response.headers["X-Content-SHA256"] == pdf["sha256"]
    again = world.api.as_(world.legal).get(dsa["links"]["pdf"])  # stored, not converted again
    assert again.headers["X-Content-SHA256"] == pdf["sha256"]
    verify = world.api.as_(world.legal).get(dsa["links"]["verify"]).json
    assert verify["pdf"]["matches"] is True


def test_parallel_conversions_do_not_clash() -> None:
    documents = [docx_bytes(f"Document number {n}", "second paragraph") for n in range(3)]
    with ThreadPoolExecutor(max_workers=3) as pool:
        pdfs = list(
            pool.map(lambda d: convert_docx_to_pdf(d, soffice="soffice", timeout=120), documents)
        )
    for number, pdf in enumerate(pdfs):
        assert f"Document number {number}" in _pdf_text(pdf)[1]


def _fake_soffice(folder: Path, body: str) -> str:
    script = folder / "soffice-fake"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)
    return str(script)


@pytest.mark.parametrize(
    "setting, value, words",
    [
        ("OMD_SOFFICE", "no-such-soffice", "not installed"),
        ("OMD_PDF_TIMEOUT", 0.05, "did not finish within 0.05 s"),
        ("OMD_SOFFICE", "exit 0", "without writing a PDF"),
        ("OMD_SOFFICE", "echo 'source file could not be loaded' >&2; exit 1", "exit code 1"),
    ],
)
def test_failures_are_reported_never_a_missing_file(
    world: World, app: Any, monkeypatch: Any, tmp_path: Path, setting: str, value: Any, words: str
) -> None:
    if setting == "OMD_SOFFICE" and value != "no-such-soffice":
        value = _fake_soffice(tmp_path, value)
    monkeypatch.setitem(app.config, setting, value)
    agreement = world.create_agreement()
    dsa = _generate(world, agreement["id"], "canvas")[0]
    response = world.api.as_(world.legal).get(dsa["links"]["pdf"])
    assert response.status_code == 503 and response.mimetype == PROBLEM
    assert words in response.json["detail"]
    listed = world.api.as_(world.legal).get(f"/api/v1/agreements/{agreement['id']}/documents")
    pdf = listed.json["items"][0]["pdf"]
    assert pdf["status"] == "failed" and words in pdf["error"]

    # Partners get a generic message, never LibreOffice's own output.
    partner = world.api.as_(world.sign_partner).get(dsa["links"]["pdf"])
    assert partner.status_code == 503 and partner.json["detail"] == PDF_FAILED_FOR_PARTNERS
    listed = world.api.as_(world.sign_partner).get(
        f"/api/v1/agreements/{agreement['id']}/documents"
    )
    assert listed.json["items"][0]["pdf"]["error"] == PDF_FAILED_FOR_PARTNERS


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"  # a zombie is dead, only not reaped yet


def test_an_interrupted_conversion_leaves_no_soffice_behind(tmp_path: Path) -> None:
    """gunicorn stops a web worker at its timeout with SystemExit: soffice and
    whatever it forked must die with the request, not keep running."""
    pid_file = tmp_path / "child.pid"
    fake = _fake_soffice(tmp_path, f"sleep 60 & echo $! > {pid_file}; wait")

    def stop_the_worker(_signum: int, _frame: Any) -> None:
        raise SystemExit(1)

    previous = signal.signal(signal.SIGALRM, stop_the_worker)
    signal.setitimer(signal.ITIMER_REAL, 0.5)
    try:
        with pytest.raises(SystemExit):
            convert_docx_to_pdf(docx_bytes("x"), soffice=fake, timeout=30)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while _running(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(child), "the conversion's child process survived the interruption"


def test_the_worker_converts_after_generation(world: World, app: Any, tmp_path: Path) -> None:
    with on_broker(app, "redis", tmp_path) as celery:
        celery.conf.task_routes = {}  # the documents' tasks go to this test's queue
        with worker_thread(celery):
            agreement = world.create_agreement()
            dsa = _generate(world, agreement["id"])[0]  # enqueues the conversion after commit
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                with app.app_context():
                    document = db.session.get(Document, dsa["id"])
                    assert document is not None
                    status, sha = document.pdf_status, document.pdf_sha256
                if status != "not_converted":
                    break
                time.sleep(0.2)
    assert status == "ready", "the worker did not convert the document"
    download = world.api.as_(world.legal).get(dsa["links"]["pdf"])
    assert download.status_code == 200, download.json
    assert download.headers["X-Content-SHA256"] == sha
