"""/api/v1: agreement documents and the template registry. Each view parses
its input, calls one service (``services.py``) or query (``queries.py``) and
shapes the answer."""

from __future__ import annotations

import io
from typing import Any

from apiflask import APIBlueprint
from flask import Response, jsonify, send_file, url_for

from omd_gov.api_contract import file_response
from omd_gov.auth.models import Role
from omd_gov.auth.security import auth, current_actor, current_user, roles_required
from omd_gov.db import db
from omd_gov.documents import queries, registry, services
from omd_gov.documents.models import Document, GenerationJob
from omd_gov.documents.pdf import PdfConversionFailed
from omd_gov.documents.schemas import (
    ContentQuery,
    DocumentList,
    DocumentRequestIn,
    JobOut,
    TemplateOut,
    TemplateUploadIn,
    VerifyOut,
)
from omd_gov.errors import Forbidden, problem

bp = APIBlueprint("documents", __name__, tag="Documents")

MIMETYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}
DOCUMENTS = "/agreements/<int:agreement_id>/documents"
# Partners get this instead of LibreOffice's own output (paths, versions).
PDF_FAILED_FOR_PARTNERS = (
    "the PDF could not be produced right now; try again later, or ask the "
    "Municipal Data Office (the .docx is available)"
)


def document_view(document: Document) -> dict[str, Any]:
    """A document's metadata, with its PDF state and links."""
    ids: dict[str, Any] = {"agreement_id": document.agreement_id, "document_id": document.id}
    content = "documents.get_content"
    return {
        **{column: getattr(document, column) for column in _COLUMNS},
        "filename": document.filename(),
        "created_by": document.created_by.name if document.created_by else "system",
        "pdf": {
            "status": document.pdf_status,
            "sha256": document.pdf_sha256,
            "created_at": document.pdf_created_at,
            "error": _pdf_error(document.pdf_error),
        },
        "links": {
            "docx": url_for(content, **ids, format="docx"),
            "pdf": url_for(content, **ids, format="pdf"),
            "verify": url_for("documents.verify_document", **ids),
        },
    }


def _pdf_error(error: str | None) -> str | None:
    return error if error is None or current_user().is_office else PDF_FAILED_FOR_PARTNERS


_COLUMNS = (
    "id",
    "agreement_id",
    "agreement_version",
    "kind",
    "language",
    "template_name",
    "template_version",
    "package_id",
    "sha256",
    "size_bytes",
    "frozen_at",
    "created_at",
    "created_by_id",
)


@bp.post(DOCUMENTS)
@bp.auth_required(auth)
@roles_required(Role.DATA_OFFICER, Role.LEGAL_OFFICER)
@bp.input(DocumentRequestIn, arg_name="data")
@bp.output(DocumentList, status_code=201)
@bp.doc(
    responses={
        202: "An uploaded template is involved: the worker renders it; poll the job "
        "(JobOut, Location header)",
        409: "The agreement changed meanwhile",
        422: "No annex applies; a render failed",
    }
)
def generate_documents(agreement_id: int, data: dict[str, Any]) -> Any:
    """Generate a document, or the whole package (DSA, applicable GDPR annexes, canvas)."""
    language = data["language"] or current_user().language
    result = services.request_documents(
        db.session, current_actor(), agreement_id, data["kind"], language
    )
    if isinstance(result, GenerationJob):
        view = job_view(result, "queued", [])
        response = jsonify(JobOut().dump(view))
        response.status_code = 202
        response.headers["Location"] = view["links"]["self"]
        return response
    return {
        "items": [document_view(document) for document in result],
        "package_id": result[0].package_id,
    }


def job_view(job: GenerationJob, status: str, documents: list[Document]) -> dict[str, Any]:
    columns = ("id", "agreement_id", "kind", "language", "created_at", "started_at")
    return {
        **{column: getattr(job, column) for column in columns},
        "finished_at": job.finished_at,
        "status": status,
        "items": [document_view(document) for document in documents],
        "package_id": documents[0].package_id if documents else None,
        "links": {"self": url_for("documents.get_job", agreement_id=job.agreement_id,
                                  job_id=job.id)},
    }  # fmt: skip


@bp.get(f"{DOCUMENTS}/jobs/<int:job_id>")
@bp.auth_required(auth)
@bp.output(JobOut)
@bp.doc(responses={409: "The generation failed: its problem", 422: "The render failed"})
def get_job(agreement_id: int, job_id: int) -> Any:
    """A generation job: queued, running, done (with its documents) or, when the
    render failed or timed out, the failure as a problem with its status."""
    state = queries.job_state(db.session, current_user(), agreement_id, job_id)
    failure = state.problem
    if failure is not None:
        return problem(
            failure["status"], failure["title"], failure["detail"], failure["slug"],
            errors=failure["errors"], job_id=state.job.id, job_status=state.status,
        )  # fmt: skip
    return job_view(state.job, state.status, state.documents)


@bp.get(DOCUMENTS)
@bp.auth_required(auth)
@bp.output(DocumentList)
def list_documents(agreement_id: int) -> Any:
    documents = queries.list_documents(db.session, current_user(), agreement_id)
    return {"items": [document_view(document) for document in documents]}


@bp.get(f"{DOCUMENTS}/<int:document_id>/content")
@bp.auth_required(auth)
@bp.input(ContentQuery, location="query", arg_name="query")
@bp.doc(
    responses={
        200: file_response("The file (.docx or PDF) as an attachment", *MIMETYPES.values()),
        409: "The stored file no longer matches its sha256",
        503: "PDF conversion failed (office staff see the reason; partners a generic message)",
    }
)
def get_content(agreement_id: int, document_id: int, query: dict[str, Any]) -> Response:
    fmt = query["format"]
    document = queries.get_document(db.session, current_user(), agreement_id, document_id)
    try:
        data = services.content(db.session, document, fmt)
    except PdfConversionFailed as error:
        if current_user().is_office:
            raise  # staff may see LibreOffice's own reason
        raise PdfConversionFailed(PDF_FAILED_FOR_PARTNERS) from error
    response = send_file(
        io.BytesIO(data),
        mimetype=MIMETYPES[fmt],
        as_attachment=True,
        download_name=document.filename(fmt),
        etag=False,
    )
    response.set_etag(document.sha256 if fmt == "docx" else str(document.pdf_sha256))
    response.headers["X-Content-SHA256"] = response.get_etag()[0]
    return response


@bp.get(f"{DOCUMENTS}/<int:document_id>/verify")
@bp.auth_required(auth)
@bp.output(VerifyOut)
def verify_document(agreement_id: int, document_id: int) -> Any:
    """Recompute the stored file's sha256 and say whether it matches the record."""
    document = queries.get_document(db.session, current_user(), agreement_id, document_id)
    return queries.verification(document)


def _office_only() -> None:
    if not current_user().is_office:
        raise Forbidden("templates are for office staff")


@bp.get("/templates")
@bp.auth_required(auth)
@bp.output(TemplateOut(many=True))
def list_templates() -> Any:
    """The newest version of every template (built-in and uploaded)."""
    _office_only()
    return queries.latest_templates(db.session)


@bp.get("/templates/<name>/versions")
@bp.auth_required(auth)
@bp.output(TemplateOut(many=True))
def list_versions(name: str) -> Any:
    _office_only()
    return queries.template_versions(db.session, name)


@bp.post("/templates")
@bp.auth_required(auth)
@roles_required()
@bp.input(TemplateUploadIn, location="form_and_files", arg_name="data")
@bp.output(TemplateOut, status_code=201)
@bp.doc(responses={413: "The request is over MAX_CONTENT_LENGTH", 422: "The template is refused"})
def upload_template(data: dict[str, Any]) -> Any:
    """Upload a new template version (admin). Every refusal says what is wrong."""
    upload = data["file"]
    limit = registry.package_limits().max_bytes
    content = upload.read(limit + 1)  # one byte more is enough to know it is too big
    return services.upload_template(
        db.session,
        current_actor(),
        data=content,
        filename=upload.filename or "",
        name=data["name"],
        kind=data["kind"],
        language=data["language"],
    )
