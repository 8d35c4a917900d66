"""The workspace's documents: generate the DSA or the whole package, download
a file (DOCX or PDF), preview the PDF in the page, and verify a stored file
against its sha256. The same services and queries as the documents API
(``omd_gov/documents/api.py``), with the same answers: a partner gets the
API's generic message when a PDF cannot be produced."""

from __future__ import annotations

import io

from flask import Response, flash, redirect, request, send_file, url_for
from flask_babel import gettext
from marshmallow import ValidationError
from werkzeug.wrappers import Response as BaseResponse

from omd_gov.auth.security import require_role
from omd_gov.db import db
from omd_gov.documents import queries, services
from omd_gov.documents.api import MIMETYPES, PDF_FAILED_FOR_PARTNERS
from omd_gov.documents.models import GenerationJob
from omd_gov.documents.pdf import PdfConversionFailed
from omd_gov.documents.schemas import DocumentRequestIn
from omd_gov.errors import ServiceError, Unprocessable
from omd_gov.web.accounts import login_required, web_actor, web_user
from omd_gov.web.blueprint import bp
from omd_gov.web.workspace_view import GENERATORS, render_workspace

DOCUMENT = "/agreements/<int:agreement_id>/documents/<int:document_id>"
# The preview is framed by our own page (and only by it).
FRAMED_BY_US = {
    "X-Frame-Options": "SAMEORIGIN",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'self'; base-uri 'none'",
}


@bp.post("/agreements/<int:agreement_id>/documents")
@login_required
def generate(agreement_id: int) -> BaseResponse | tuple[str, int]:
    user = web_user()
    try:
        require_role(user, *GENERATORS)  # as the API's view does
        wanted = DocumentRequestIn().load({"kind": request.form.get("kind", "")})
        result = services.request_documents(
            db.session, web_actor(), agreement_id, wanted["kind"], user.language
        )
    except ValidationError as error:
        refusal = Unprocessable("this kind of document cannot be generated", _messages(error))
        return render_workspace(agreement_id, status=422, refusal=refusal)
    except ServiceError as error:
        return render_workspace(agreement_id, status=error.status, refusal=error)
    if isinstance(result, GenerationJob):
        flash(gettext("The documents are being generated; reload this page in a moment."))
    else:
        names = ", ".join(document.filename() for document in result)
        flash(gettext("Generated: %(files)s", files=names))
    target = url_for("web.workspace", agreement_id=agreement_id, _anchor="documents")
    return redirect(target, code=303)


def _messages(error: ValidationError) -> list[dict[str, str]]:
    found = error.messages if isinstance(error.messages, dict) else {"kind": error.messages}
    return [
        {"field": field, "message": message}
        for field, messages in found.items()
        for message in (messages if isinstance(messages, list) else [messages])
    ]


@bp.get(f"{DOCUMENT}/<any(docx, pdf):fmt>")
@login_required
def download(agreement_id: int, document_id: int, fmt: str) -> Response:
    """The file, checked against its sha256 by the service; ``?inline=1``
    for the PDF preview (shown in the page, not saved)."""
    user = web_user()
    document = queries.get_document(db.session, user, agreement_id, document_id)
    try:
        data = services.content(db.session, document, fmt)
    except PdfConversionFailed as error:
        if user.is_office:
            raise  # staff may see LibreOffice's own reason
        raise PdfConversionFailed(PDF_FAILED_FOR_PARTNERS) from error
    inline = fmt == "pdf" and request.args.get("inline") == "1"
    response = send_file(
        io.BytesIO(data),
        mimetype=MIMETYPES[fmt],
        as_attachment=not inline,
        download_name=document.filename(fmt),
        etag=False,
    )
    response.set_etag(document.sha256 if fmt == "docx" else str(document.pdf_sha256))
    response.headers["X-Content-SHA256"] = response.get_etag()[0]
    if inline:
        response.headers.update(FRAMED_BY_US)
    return response


@bp.get(f"{DOCUMENT}/verify")
@login_required
def verify(agreement_id: int, document_id: int) -> tuple[str, int]:
    """Recompute the stored files' sha256 and show whether they match."""
    document = queries.get_document(db.session, web_user(), agreement_id, document_id)
    return render_workspace(
        agreement_id, verified=document, verification=queries.verification(document)
    )
