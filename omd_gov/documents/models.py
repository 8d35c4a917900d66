"""Agreement documents and the versioned template registry.

Both are immutable records of stored files: the bytes live in document
storage under ``storage_key`` and the row keeps their sha256, so anyone can
check later that the file is still the one that was generated (or signed).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from omd_gov.auth.models import User
from omd_gov.db import Base, UtcDateTime, utcnow

if TYPE_CHECKING:
    from omd_gov.agreements.models import Agreement

TEMPLATE_KINDS = ("dsa", "annex_art28", "annex_art26", "canvas")
JOB_STATES = ("queued", "running", "done", "failed")


class TemplateVersion(Base):
    """One version of a ``.docx`` template: a built-in from ``agreement_templates/``
    or an admin's upload. Versions are never changed, only added."""

    __tablename__ = "document_templates"
    audit_entity: ClassVar[str] = "template"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(2))
    version: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300))
    size_bytes: Mapped[int] = mapped_column(default=0)
    source: Mapped[str] = mapped_column(String(10))
    filename: Mapped[str] = mapped_column(String(255), default="")
    variables: Mapped[list[str]] = mapped_column(JSON, default=list)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    uploaded_by: Mapped[User | None] = relationship()

    __table_args__ = (
        UniqueConstraint("name", "language", "version"),
        # "the current template for (kind, language)" is the newest row.
        Index("ix_document_templates_kind_language_id", "kind", "language", "id"),
    )


class Document(Base):
    """An immutable generated document for one agreement version."""

    __tablename__ = "documents"
    audit_entity: ClassVar[str] = "document"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    agreement_version: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(2), default="en")
    template_name: Mapped[str] = mapped_column(String(100), default="")
    template_version: Mapped[int] = mapped_column(default=0)
    template_version_id: Mapped[int | None] = mapped_column(ForeignKey("document_templates.id"))
    # Documents generated together by one "package" request share this id.
    package_id: Mapped[str | None] = mapped_column(String(32))
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str | None] = mapped_column(String(300))
    size_bytes: Mapped[int] = mapped_column(default=0)
    frozen_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    pdf_storage_key: Mapped[str | None] = mapped_column(String(300))
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    pdf_created_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The last conversion failure, shown until a conversion succeeds.
    pdf_error: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    created_by: Mapped[User | None] = relationship()
    agreement: Mapped[Agreement] = relationship()

    __table_args__ = (Index("ix_documents_agreement_id_id", "agreement_id", "id"),)

    @property
    def pdf_status(self) -> str:
        if self.pdf_storage_key:
            return "ready"
        return "failed" if self.pdf_error else "not_converted"

    def filename(self, extension: str = "docx") -> str:
        reference = self.agreement.reference if self.agreement else str(self.agreement_id)
        stem = f"{reference}-{self.kind}-{self.language}-v{self.agreement_version}-d{self.id}"
        return f"{stem}.{extension}"

    def audit_summary(self) -> dict[str, Any]:
        return {
            "document_id": self.id,
            "kind": self.kind,
            "language": self.language,
            "template": f"{self.template_name} v{self.template_version}",
            "agreement_version": self.agreement_version,
            "sha256": self.sha256,
            "package_id": self.package_id,
        }


class GenerationJob(Base):
    """A generation that renders an uploaded template, run by the worker
    (``omd.documents.generate``) and polled by the client until it is done."""

    __tablename__ = "document_jobs"
    audit_entity: ClassVar[str] = "document_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    kind: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(2))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(10), default="queued")
    document_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    # The failure as a problem (status, title, detail, errors), shown when polled.
    problem: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
