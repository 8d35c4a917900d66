"""Request and response shapes for documents and templates."""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Boolean, DateTime, File, Integer, List, Nested, String
from apiflask.validators import Length, OneOf

from omd_gov.documents.context_labels import LANGUAGES
from omd_gov.documents.generation import REQUEST_KINDS
from omd_gov.documents.models import JOB_STATES, TEMPLATE_KINDS


class DocumentRequestIn(Schema):
    kind = String(required=True, validate=OneOf(REQUEST_KINDS))
    # Defaults to the caller's own language.
    language = String(load_default=None, validate=OneOf(LANGUAGES))


class ContentQuery(Schema):
    format = String(load_default="docx", validate=OneOf(("docx", "pdf")))


class PdfOut(Schema):
    status = String(metadata={"description": "ready, failed or not_converted"})
    sha256 = String(allow_none=True)
    created_at = DateTime(allow_none=True)
    error = String(allow_none=True)


class DocumentOut(Schema):
    id = Integer()
    agreement_id = Integer()
    agreement_version = Integer()
    kind = String()
    language = String()
    template_name = String()
    template_version = Integer()
    package_id = String(allow_none=True)
    sha256 = String()
    size_bytes = Integer()
    filename = String()
    frozen_at = DateTime(allow_none=True)
    created_at = DateTime()
    created_by_id = Integer(allow_none=True)
    created_by = String()
    pdf = Nested(PdfOut)
    links = Nested(
        Schema.from_dict(
            {"docx": String(), "pdf": String(), "verify": String()}, name="DocumentLinks"
        )()
    )


class DocumentList(Schema):
    items = List(Nested(DocumentOut))
    package_id = String(allow_none=True)


class JobOut(Schema):
    """A generation that renders an uploaded template, run by the worker."""

    id = Integer()
    agreement_id = Integer()
    kind = String()
    language = String()
    status = String(metadata={"description": " / ".join(JOB_STATES)})
    created_at = DateTime()
    started_at = DateTime(allow_none=True)
    finished_at = DateTime(allow_none=True)
    items = List(Nested(DocumentOut), metadata={"description": "the documents, once done"})
    package_id = String(allow_none=True)
    links = Nested(Schema.from_dict({"self": String()}, name="JobLinks")())


class FileCheckOut(Schema):
    sha256_recorded = String()
    sha256_actual = String(allow_none=True)
    matches = Boolean()
    problem = String(allow_none=True)


class VerifyOut(FileCheckOut):
    document_id = Integer()
    frozen = Boolean()
    signed_document = Boolean(
        metadata={"description": "whether this is the frozen document the parties sign"}
    )
    pdf = Nested(FileCheckOut, allow_none=True)
    checked_at = DateTime()


class TemplateUploadIn(Schema):
    file = File(required=True)
    name = String(required=True, validate=Length(1, 100))
    kind = String(required=True, validate=OneOf(TEMPLATE_KINDS))
    language = String(required=True, validate=OneOf(LANGUAGES))


class TemplateOut(Schema):
    id = Integer()
    name = String()
    kind = String()
    language = String()
    version = Integer()
    sha256 = String()
    size_bytes = Integer()
    source = String(metadata={"description": "builtin or upload"})
    filename = String()
    variables = List(String())
    uploaded_by_id = Integer(allow_none=True)
    created_at = DateTime()
