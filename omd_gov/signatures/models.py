"""The PDFs of a signing round, and the identity mismatches legal accepted.

A round starts when the agreement is sent for signature: its first revision
is the frozen PDF/A (seq 0). Each accepted signed upload, and the city's
seal, adds the next revision: the previous PDF's exact bytes plus one
incremental update carrying one new signature. The last revision of the
agreement's last round is its document of record once it is active. Rows are
never changed after the unit of work that adds them, except to link the
signature they produced.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from omd_gov.db import Base, UtcDateTime, utcnow

REVISION_KINDS = ("frozen", "signed", "sealed")


class SigningRevision(Base):
    __tablename__ = "signing_revisions"
    audit_entity: ClassVar[str] = "signing_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    round: Mapped[int]
    seq: Mapped[int]
    kind: Mapped[str] = mapped_column(String(10))  # one of REVISION_KINDS
    storage_key: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    # Who the new signature belongs to (NULL for the frozen PDF).
    party_id: Mapped[int | None] = mapped_column(
        ForeignKey("agreement_parties.id", ondelete="SET NULL")
    )
    signature_id: Mapped[int | None] = mapped_column(ForeignKey("agreement_signatures.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    # The new signature's validation report, with the validation data used
    # (certificates, roots, time), so it can be re-validated offline.
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    __table_args__ = (
        UniqueConstraint("agreement_id", "round", "seq", name="uq_signing_revisions_position"),
    )

    def audit_summary(self) -> dict[str, Any]:
        return {"round": self.round, "seq": self.seq, "kind": self.kind, "sha256": self.sha256}


class IdentityAcceptance(Base):
    """A legal officer's audited decision that a certificate whose subject
    does not match the signatory's configured identity may sign this agreement."""

    __tablename__ = "signature_identity_acceptances"
    audit_entity: ClassVar[str] = "signature_identity_acceptance"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    certificate_sha256: Mapped[str] = mapped_column(String(64))
    comment: Mapped[str] = mapped_column(Text)
    accepted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    accepted_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    __table_args__ = (
        Index(
            "uq_signature_identity_acceptances",
            "agreement_id",
            "certificate_sha256",
            unique=True,
        ),
    )
