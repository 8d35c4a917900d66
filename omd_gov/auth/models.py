from __future__ import annotations

import enum
from datetime import datetime
from typing import ClassVar

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from omd_gov.db import Base, UtcDateTime, utcnow


class Role(enum.StrEnum):
    ADMIN = "admin"
    DATA_OFFICER = "data_officer"
    LEGAL_OFFICER = "legal_officer"
    TRANSPARENCY_OFFICER = "transparency_officer"
    AUDITOR = "auditor"
    SIGNATORY = "signatory"


# Roles that work inside the data office and may see every agreement.
OFFICE_ROLES = frozenset(Role) - {Role.SIGNATORY}


class User(Base):
    __tablename__ = "users"
    audit_entity: ClassVar[str] = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(30))
    language: Mapped[str] = mapped_column(String(2), default="en")
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # sha256 of the bearer token: tokens are 256-bit random, so a fast hash is enough.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    # A signatory's expected certificate identity (a national id such as
    # IDCPT-12345678, or the certificate's common name): docs/SIGNATURES.md.
    signing_identity: Mapped[str | None] = mapped_column(String(200))
    # argon2id hash for the web pages (auth/passwords.py); None: API token only.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    @property
    def is_office(self) -> bool:
        return self.role in OFFICE_ROLES

    @property
    def label(self) -> str:
        return f"{self.name} <{self.email}> ({self.role})"
