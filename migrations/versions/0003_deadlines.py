"""deadlines, reminders, business calendar, deadline policy, notifications,
deliveries, webhooks, calendar feed tokens

Revision ID: 0003_deadlines
Revises: 0002_documents
Create Date: 2026-11-27 12:00:00
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0003_deadlines"
down_revision = "0002_documents"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def _pk(table):
    return sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}"))


def _fk(table, column, target, **options):
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), **options
    )


# The office's defaults (the same as omd_gov.deadlines.policy.DEFAULTS, a test
# checks it), editable by admins. Kept here so the migration stays self-contained.
DEFAULT_POLICIES = [
    ("legal_review", 10, [2, 0], None, 3, [], True),
    ("changes", 10, [], None, None, [], True),
    ("signature", 15, [], 5, None, [], True),
    ("publication", 20, [], None, None, [], True),
    ("expiry", None, [], None, None, [90, 30, 7], False),
    ("periodic_review", None, [], None, None, [0], False),
]


def upgrade() -> None:
    _calendar_and_policy()
    _deadlines()
    _notifications()


def _calendar_and_policy() -> None:
    op.create_table(
        "municipal_holidays",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        _fk("municipal_holidays", "created_by_id", "users"),
        _pk("municipal_holidays"),
        sa.UniqueConstraint("day", name=op.f("uq_municipal_holidays_day")),
    )
    policies = op.create_table(
        "deadline_policies",
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("due_business_days", sa.Integer(), nullable=True),
        sa.Column("remind_before_business_days", sa.JSON(), nullable=False),
        sa.Column("remind_every_business_days", sa.Integer(), nullable=True),
        sa.Column("escalate_after_business_days", sa.Integer(), nullable=True),
        sa.Column("notice_days_before", sa.JSON(), nullable=False),
        sa.Column("notify_on_start", sa.Boolean(), nullable=False),
        sa.Column("review_every_months", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", TZ, nullable=False),
        _fk("deadline_policies", "updated_by_id", "users"),
        sa.PrimaryKeyConstraint("kind", name=op.f("pk_deadline_policies")),
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        policies,
        [
            {
                "kind": kind,
                "due_business_days": due,
                "remind_before_business_days": before,
                "remind_every_business_days": every,
                "escalate_after_business_days": escalate,
                "notice_days_before": notices,
                "notify_on_start": start,
                "review_every_months": None,
                "updated_by_id": None,
                "updated_at": now,
            }
            for kind, due, before, every, escalate, notices, start in DEFAULT_POLICIES
        ],
    )
    op.create_table(
        "calendar_feed_tokens",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        _fk("calendar_feed_tokens", "user_id", "users"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_calendar_feed_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_feed_tokens_token_hash")),
    )


def _deadlines() -> None:
    op.create_table(
        "deadlines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("assignee_role", sa.String(30), nullable=True),
        sa.Column("assignee_organization_id", sa.Integer(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("close_reason", sa.String(40), nullable=True),
        sa.Column("closed_at", TZ, nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("opened_at", TZ, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        _fk("deadlines", "agreement_id", "agreements"),
        # A party removed from an agreement (after a decline) keeps its closed deadlines.
        _fk("deadlines", "party_id", "agreement_parties", ondelete="SET NULL"),
        _fk("deadlines", "assignee_id", "users"),
        _fk("deadlines", "assignee_organization_id", "organizations"),
        _pk("deadlines"),
    )
    op.create_index("ix_deadlines_agreement_id_kind", "deadlines", ["agreement_id", "kind"])
    op.create_index("ix_deadlines_assignee_id_due_on", "deadlines", ["assignee_id", "due_on"])
    op.create_index(
        "ix_deadlines_open_due_on",
        "deadlines",
        ["due_on"],
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deadline_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("step", sa.String(40), nullable=False),
        sa.Column("scheduled_for", TZ, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("claimed_at", TZ, nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["deadline_id"],
            ["deadlines.id"],
            name=op.f("fk_reminders_deadline_id_deadlines"),
            ondelete="CASCADE",
        ),
        _pk("reminders"),
        sa.UniqueConstraint("deadline_id", "kind", "step", name=op.f("uq_reminders_deadline_id")),
    )
    op.create_index(
        "ix_reminders_due",
        "reminders",
        ["scheduled_for"],
        sqlite_where=sa.text("status = 'scheduled'"),
        postgresql_where=sa.text("status = 'scheduled'"),
    )


def _notifications() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=True),
        sa.Column("deadline_id", sa.Integer(), nullable=True),
        sa.Column("reminder_id", sa.Integer(), nullable=True),
        sa.Column("topic", sa.String(60), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.String(500), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("read_at", TZ, nullable=True),
        _fk("notifications", "user_id", "users"),
        _fk("notifications", "agreement_id", "agreements"),
        _fk("notifications", "deadline_id", "deadlines"),
        _fk("notifications", "reminder_id", "reminders"),
        _pk("notifications"),
    )
    op.create_index("ix_notifications_user_id_id", "notifications", ["user_id", "id"])
    op.create_table(
        "webhooks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("secret", sa.String(100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        _fk("webhooks", "organization_id", "organizations"),
        _pk("webhooks"),
        sa.UniqueConstraint("organization_id", name=op.f("uq_webhooks_organization_id")),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("dedupe_key", sa.String(120), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=True),
        sa.Column("webhook_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("rounds", sa.Integer(), nullable=False),
        sa.Column("due_at", TZ, nullable=True),
        sa.Column("lease_token", sa.String(32), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", TZ, nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        _fk("deliveries", "notification_id", "notifications"),
        _fk("deliveries", "webhook_id", "webhooks"),
        _pk("deliveries"),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_deliveries_dedupe_key")),
    )
    op.create_index(
        "ix_deliveries_unfinished_due_at",
        "deliveries",
        ["due_at"],
        sqlite_where=sa.text("status IN ('pending', 'sending', 'failed')"),
        postgresql_where=sa.text("status IN ('pending', 'sending', 'failed')"),
    )
    op.create_table(
        "delivery_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("recipient", sa.String(500), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("permanent", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("failed_at", TZ, nullable=False),
        sa.Column("resolved_at", TZ, nullable=True),
        _fk("delivery_failures", "delivery_id", "deliveries"),
        _pk("delivery_failures"),
    )
    op.create_index("ix_delivery_failures_delivery_id", "delivery_failures", ["delivery_id"])


def downgrade() -> None:
    for table in (
        "delivery_failures",
        "deliveries",
        "webhooks",
        "notifications",
        "reminders",
        "deadlines",
        "calendar_feed_tokens",
        "deadline_policies",
        "municipal_holidays",
    ):
        op.drop_table(table)
