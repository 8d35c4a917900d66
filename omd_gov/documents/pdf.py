"""``.docx`` to PDF with LibreOffice headless: the conversion only (storing
the result is ``services.ensure_pdf``).

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

from omd_gov.errors import ServiceError
from omd_gov.observability.metrics import PDF_CONVERSIONS, PDF_SECONDS, counted

# PDF/A-2b (archival, fonts embedded; incremental PAdES signatures allowed).
# LibreOffice 7.4+ reads the export options as JSON after the filter name.
PDF_A_2B = 'pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"}}'


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


def convert(docx: bytes) -> bytes:
    """Convert with the app's settings (``OMD_SOFFICE``, ``OMD_PDF_TIMEOUT``)."""
    config = current_app.config
    return convert_docx_to_pdf(
        docx, soffice=config["OMD_SOFFICE"], timeout=config["OMD_PDF_TIMEOUT"]
    )


def convert_docx_to_pdf(docx: bytes, *, soffice: str, timeout: float) -> bytes:
    with counted(PDF_CONVERSIONS, PDF_SECONDS):
        return _convert(docx, soffice, timeout)


def _convert(docx: bytes, soffice: str, timeout: float) -> bytes:
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
            PDF_A_2B,
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
