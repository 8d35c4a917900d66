from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from omd_gov.cooperations.models import Cooperation
from omd_gov.db import Base, UtcDateTime, utcnow
from omd_gov.organizations.models import Organization

SHARING_MODELS = ("B2G", "G2B", "G2G", "B2B")
PARTY_ROLES = ("controller", "joint_controller", "processor", "data_provider", "data_recipient")
DELIVERIES = ("batch", "online")


# "simple": click-to-sign over the frozen DSA's sha256; "advanced": a PAdES
# signature inside the frozen PDF from every signing party (omd_gov.signatures).
SIGNATURE_LEVELS = ("simple", "advanced")

# The longest exclusive re-use arrangement the Data Governance Act (art. 4)
# allows; a draft may hold a longer one, which the submit guard refuses.
MAX_EXCLUSIVITY_MONTHS = 12


class Agreement(Base):
    __tablename__ = "agreements"
    audit_entity: ClassVar[str] = "agreement"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    purpose: Mapped[str] = mapped_column(Text)
    sharing_model: Mapped[str] = mapped_column(String(3))
    state: Mapped[str] = mapped_column(String(30))  # a lifecycle.State
    # The row's optimistic-lock counter (the ETag): every write bumps it.
    version: Mapped[int] = mapped_column(default=1)
    # The content's version: only edits bump it. Documents and signatures
    # refer to it, so a DSA generated during review can be frozen after approval.
    content_version: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    cooperation_id: Mapped[int] = mapped_column(ForeignKey("cooperations.id"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    gdpr: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    statutory_power: Mapped[str] = mapped_column(Text, default="")
    security_measures: Mapped[str] = mapped_column(Text, default="")
    renewal_terms: Mapped[str] = mapped_column(Text, default="")
    review_interval_months: Mapped[int] = mapped_column(default=12)
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    amends_id: Mapped[int | None] = mapped_column(ForeignKey("agreements.id"))
    renews_id: Mapped[int | None] = mapped_column(ForeignKey("agreements.id"))
    frozen_sha256: Mapped[str | None] = mapped_column(String(64))
    # The frozen DSA as PDF (PDF/A-2b): what an advanced signing round signs.
    frozen_pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    # One of SIGNATURE_LEVELS; the office default is the floor (docs/SIGNATURES.md).
    signature_level: Mapped[str] = mapped_column(
        String(10), default="simple", server_default="simple"
    )
    # For the transparency register (issue 8). NULL: none. Else currency (ISO
    # 4217), amount_per_annuity, total_amount (decimal strings), budget_line.
    economic_terms: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # NULL: not exclusive. Else exclusive (true), justification, period_months;
    # more than 12 months is refused at submission (Data Governance Act art. 4).
    exclusivity: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    activated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    closed_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)

    cooperation: Mapped[Cooperation] = relationship()
    parties: Mapped[list[Party]] = relationship(
        back_populates="agreement", cascade="all, delete-orphan", order_by="Party.id"
    )
    data_assets: Mapped[list[DataAsset]] = relationship(
        back_populates="agreement", cascade="all, delete-orphan", order_by="DataAsset.position"
    )
    signatures: Mapped[list[Signature]] = relationship(
        back_populates="agreement", cascade="all, delete-orphan", order_by="Signature.id"
    )

    # Optimistic locking: a stale writer gets StaleDataError, answered as 409.
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_agreements_state_id", "state", "id"),
        Index("ix_agreements_cooperation_id_id", "cooperation_id", "id"),
        Index("ix_agreements_end_date", "end_date"),
    )

    @property
    def shares_personal_data(self) -> bool:
        return any(asset.personal_data for asset in self.data_assets)

    @property
    def exclusivity_terms(self) -> dict[str, Any]:
        return self.exclusivity or {
            "exclusive": False,
            "justification": None,
            "period_months": None,
        }

    @property
    def signing_parties(self) -> list[Party]:
        return [party for party in self.parties if party.signs]

    @property
    def live_signatures(self) -> list[Signature]:
        return [sig for sig in self.signatures if sig.voided_at is None]


class ReferenceCounter(Base):
    """The last number handed out per reference stem (e.g. ``OMD-2026-``).
    Locked on use, so concurrent drafts never collide on a reference."""

    __tablename__ = "reference_counters"

    stem: Mapped[str] = mapped_column(String(40), primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


class Party(Base):
    __tablename__ = "agreement_parties"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    role: Mapped[str] = mapped_column(String(30))
    signs: Mapped[bool] = mapped_column(default=True)
    # What this party is obliged to do (one line per party, public in the register).
    obligations: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Personal data, never public: {name, email, phone} (the DPO's phone may be null).
    contact: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    dpo: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    agreement: Mapped[Agreement] = relationship(back_populates="parties")
    organization: Mapped[Organization] = relationship()

    __table_args__ = (
        UniqueConstraint("agreement_id", "organization_id"),
        Index(
            "ix_agreement_parties_organization_id_agreement_id", "organization_id", "agreement_id"
        ),
    )


class DataAsset(Base):
    __tablename__ = "agreement_data_assets"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    standard: Mapped[str] = mapped_column(String(100))
    delivery: Mapped[str] = mapped_column(String(10))
    personal_data: Mapped[bool] = mapped_column(default=False)

    agreement: Mapped[Agreement] = relationship(back_populates="data_assets")


class Signature(Base):
    __tablename__ = "agreement_signatures"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    # NULL once the party is removed from a redrafted agreement: a voided
    # signature stays on record (the audit event names the organisation).
    party_id: Mapped[int | None] = mapped_column(
        ForeignKey("agreement_parties.id", ondelete="SET NULL")
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    agreement_version: Mapped[int]
    document_sha256: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    # A decline sends the agreement back to drafting; that round's signatures
    # are voided (kept for the record) rather than deleted.
    voided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    agreement: Mapped[Agreement] = relationship(back_populates="signatures")
    party: Mapped[Party | None] = relationship()

    __table_args__ = (
        Index("ix_agreement_signatures_agreement_id", "agreement_id"),
        # One live signature per party, enforced by the database under races.
        Index(
            "uq_agreement_signatures_live_party",
            "party_id",
            unique=True,
            sqlite_where=text("voided_at IS NULL"),
            postgresql_where=text("voided_at IS NULL"),
        ),
    )


class AgreementStay(Base):
    """One stay of an agreement in a state: from the audit event that moved it
    there (``entered_seq``) to the next one (``left_at``, NULL while it is
    still there). Written in the transition's unit of work
    (``agreements.stays``), so it is the audit trail's state changes kept
    ready for the analytics page, and can be rebuilt from them at any time."""

    __tablename__ = "agreement_stays"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    state: Mapped[str] = mapped_column(String(30))
    entered_at: Mapped[datetime] = mapped_column(UtcDateTime())
    left_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    entered_seq: Mapped[int] = mapped_column(unique=True)  # one stay per audit event

    __table_args__ = (
        Index("ix_agreement_stays_agreement_id", "agreement_id"),
        # The page reads the stays that began in a period.
        Index("ix_agreement_stays_entered_at", "entered_at"),
    )
