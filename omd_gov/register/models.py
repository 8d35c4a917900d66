"""One register entry per published agreement. Its content is not stored: it
is built from the agreement whenever it is read (``entries.public_entry``),
so the status and the dates follow the agreement by themselves; the entry
keeps who published it, when, the per-field overrides, and the withdrawal."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from omd_gov.agreements.models import Agreement
from omd_gov.db import Base, UtcDateTime, utcnow


class RegisterEntry(Base):
    __tablename__ = "register_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), unique=True)
    # The stable public key (the agreement's reference, kept if it ever changed).
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    # field -> {"public": bool, "justification": str}: departures from policy.DEFAULTS
    overrides: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    published_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    withdrawal_reason: Mapped[str] = mapped_column(Text, default="")
    # The public fields the register's search matches (entries.search_text),
    # kept at publication: a signed agreement's content no longer changes.
    search_text: Mapped[str] = mapped_column(Text, default="")

    agreement: Mapped[Agreement] = relationship()

    __table_args__ = (Index("ix_register_entries_published_at_id", "published_at", "id"),)

    @property
    def is_live(self) -> bool:
        return self.withdrawn_at is None
