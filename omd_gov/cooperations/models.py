from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import JSON, Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from omd_gov.db import Base, UtcDateTime, utcnow
from omd_gov.organizations.models import Organization

cooperation_organizations = Table(
    "cooperation_organizations",
    Base.metadata,
    Column("cooperation_id", ForeignKey("cooperations.id"), primary_key=True),
    Column("organization_id", ForeignKey("organizations.id"), primary_key=True),
)


class Cooperation(Base):
    __tablename__ = "cooperations"
    audit_entity: ClassVar[str] = "cooperation"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    stage: Mapped[str] = mapped_column(String(20), default="exploratory")
    canvas: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    mims: Mapped[list[str]] = mapped_column(JSON, default=list)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)

    organizations: Mapped[list[Organization]] = relationship(
        secondary=cooperation_organizations, order_by=Organization.id
    )

    __mapper_args__ = {"version_id_col": version}
