from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from omd_gov.db import Base, utcnow


class Document(Base):
    """An immutable generated document for one agreement version."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    agreement_version: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(2), default="en")
    template_name: Mapped[str] = mapped_column(String(100), default="")
    template_version: Mapped[int] = mapped_column(default=0)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str | None] = mapped_column(String(300))
    # A placeholder records only the hash of the agreement's canonical JSON,
    # until a real .docx is generated for the version.
    placeholder: Mapped[bool] = mapped_column(default=False)
    frozen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (Index("ix_documents_agreement_id_id", "agreement_id", "id"),)
