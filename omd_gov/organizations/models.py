from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from omd_gov.db import Base, UtcDateTime, utcnow

ORGANIZATION_KINDS = ("municipality", "public_body", "company", "research", "ngo")


class Organization(Base):
    __tablename__ = "organizations"
    audit_entity: ClassVar[str] = "organization"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2))
    tax_id: Mapped[str] = mapped_column(String(40))
    contacts: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
