"""``.docx`` to PDF with LibreOffice headless.

Each conversion gets its own temporary directory AND its own LibreOffice
user profile (``-env:UserInstallation``): two conversions sharing a profile
block each other or fail, so parallel workers would otherwise clash. The
process group is killed on timeout and on any exception that interrupts the
wait, including ``SystemExit`` when gunicorn stops a web worker at its
timeout (soffice forks ``soffice.bin``, which would otherwise live on). Every
failure raises :class:`PdfConversionFailed` with the reason; a missing or
non-PDF output is a failure too, never a silently absent file.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from flask import current_app
from sqlalchemy import update
from sqlalchemy.orm import Session

from omd_gov.db import transaction, utcnow
from omd_gov.documents.models import Document
from omd_gov.documents.storage import get_storage, sha256_hex
from omd_gov.errors import ServiceError

UNIT_OF_WORK_KEY = "omd_unit_of_work"  # set by omd_gov.db.transaction() while it is open


class PdfConversionFailed(ServiceError):
    status, title, slug = 503, "PDF conversion failed", "pdf-conversion-failed"


def soffice_binary(configured: str) -> str:
    found = shutil.which(configured)
    if found is None:
        raise PdfConversionFailed(
            f"LibreOffice ({configured!r}) is not installed on this server; "
            "run scripts/install-system-deps.sh (Debian package libreoffice-writer-nogui)"
        )
    return found


def convert_docx_to_pdf(docx: bytes, *, soffice: str, timeout: float) -> bytes:
    binary = soffice_binary(soffice)
    with tempfile.TemporaryDirectory(prefix="omd-pdf-") as work:
        folder = Path(work)
        source = folder / "document.docx"
        source.write_bytes(docx)
        command = [
            binary,
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--headless",
            "--invisible",
            "--nologo",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            "pdf:writer_pdf_Export",
            "--outdir",
            str(folder / "out"),
            str(source),
        ]
        _run(command, timeout, home=folder)
        target = folder / "out" / "document.pdf"
        if not target.is_file():
            raise PdfConversionFailed(
                "LibreOffice finished without writing a PDF (is the .docx readable?)"
            )
        data = target.read_bytes()
    if not data.startswith(b"%PDF-"):
        raise PdfConversionFailed("LibreOffice wrote a file that is not a PDF")
    return data


def _run(command: list[str], timeout: float, home: Path) -> None:
    # Its own session, so a timeout can kill soffice.bin too, not just the wrapper.
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**os.environ, "HOME": str(home)},  # nothing lands in the service's home
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise PdfConversionFailed(
            f"LibreOffice did not finish within {timeout:g} s; the conversion was stopped"
        ) from None
    finally:
        if process.returncode is None:  # interrupted: timeout, SystemExit, anything
            _kill_group(process)
    if process.returncode != 0:
        tail = output.decode("utf-8", "replace").strip()[-300:]
        raise PdfConversionFailed(f"LibreOffice failed (exit code {process.returncode}): {tail}")


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):  # the whole group is gone already
        os.killpg(process.pid, signal.SIGKILL)
    if process.stdout is not None:
        process.stdout.close()
    process.wait()  # reap it: the group id is not reused while we hold it


def end_read(session: Session, what: str) -> None:
    """End the session's read transaction before slow work (a render, a
    conversion). Refused inside a caller's unit of work, whose changes a
    rollback would silently discard."""
    if session.info.get(UNIT_OF_WORK_KEY):
        raise RuntimeError(
            f"{what} cannot run inside an open omd_gov.db.transaction(): it ends the "
            "session's transaction before slow work; call it outside the block"
        )
    session.rollback()


def ensure_pdf(session: Session, document: Document, docx: bytes) -> None:
    """Convert once; later calls reuse the stored PDF. A failure is recorded on
    the document (so listings show it) and raised."""
    # A fresh snapshot (another worker may have converted it meanwhile), and no
    # transaction held open while LibreOffice works for seconds.
    end_read(session, "a PDF conversion")
    if document.pdf_storage_key:
        return
    config = current_app.config
    try:
        pdf = convert_docx_to_pdf(
            docx, soffice=config["OMD_SOFFICE"], timeout=config["OMD_PDF_TIMEOUT"]
        )
    except PdfConversionFailed as error:
        with transaction(session):
            document.pdf_error = error.detail
        raise
    key = get_storage().put(pdf, ".pdf")
    with transaction(session):
        # Only the first conversion is kept: a PDF, once stored, is immutable too.
        session.execute(
            update(Document)
            .where(Document.id == document.id, Document.pdf_storage_key.is_(None))
            .values(pdf_storage_key=key, pdf_sha256=sha256_hex(pdf), pdf_created_at=utcnow(),
                    pdf_error=None)
        )  # fmt: skip
    session.refresh(document)
