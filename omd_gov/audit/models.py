from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from omd_gov.db import Base, UtcDateTime

GENESIS_HASH = "0" * 64


class AuditEvent(Base):
    """One audited change. Rows are never updated or deleted (the ORM refuses,
    and on PostgreSQL a trigger refuses too)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(unique=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_label: Mapped[str] = mapped_column(String(300))
    acting_role: Mapped[str] = mapped_column(String(30))
    source: Mapped[str] = mapped_column(String(10))
    entity_type: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[int]
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreements.id"))
    action: Mapped[str] = mapped_column(String(50))
    from_state: Mapped[str | None] = mapped_column(String(30))
    to_state: Mapped[str | None] = mapped_column(String(30))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    comment: Mapped[str] = mapped_column(Text, default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_audit_events_agreement_id_seq", "agreement_id", "seq"),
        Index("ix_audit_events_entity", "entity_type", "entity_id"),
    )


class AuditChainHead(Base):
    """A single row holding the tip of the chain. Appenders lock it, which
    serialises appends and makes a silently truncated tail detectable."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(default=0)
    hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)
    # The Merkle tree's right edge (merkle.CompactRange.to_json()): appending
    # a leaf needs no read of the stored nodes.
    tree: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AuditTreeNode(Base):
    """The hash of one complete subtree of the Merkle tree over the events
    (RFC 6962): ``2**level`` leaves from leaf ``index * 2**level``. Level 0
    holds the leaf hashes. Any tree size's root and proofs are a few of
    these; rows are written once, when the subtree completes."""

    __tablename__ = "audit_tree_nodes"

    level: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    index: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class AuditCheckpoint(Base):
    """A signed statement of the tree's size and root (C2SP signed note).
    Every checkpoint is kept; the newest is public at ``/audit/checkpoint``."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    size: Mapped[int] = mapped_column(index=True)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    key_id: Mapped[str] = mapped_column(String(8))
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    @property
    def root_hex(self) -> str:
        return self.root_hash.hex()


class AuditVerification(Base):
    """One run of ``audit verify``: incremental (from the last checkpoint a
    successful run verified) or full (every event, in the worker)."""

    __tablename__ = "audit_verifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    full: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(10))  # queued, running, done
    ok: Mapped[bool | None]
    from_size: Mapped[int] = mapped_column(default=0)
    to_size: Mapped[int | None]
    checkpoint_id: Mapped[int | None] = mapped_column(ForeignKey("audit_checkpoints.id"))
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
