"""lifecycle webhooks: office-wide endpoints, event types per endpoint, the
delivery log's index, and the audit-trail cursor of the lifecycle fan-out

Revision ID: 0010_lifecycle_webhooks
Revises: 0009_register
Create Date: 2026-11-29 22:10:00
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0010_lifecycle_webhooks"
down_revision = "0009_register"
branch_labels = None
depends_on = None

# Existing endpoints keep receiving what they did: the reminders (a copy of
# notifications.events.DEADLINE_TYPES: migrations import no application code).
DEADLINE_TYPES = [
    "org.omd-gov.deadline.start",
    "org.omd-gov.deadline.reminder",
    "org.omd-gov.deadline.escalation",
    "org.omd-gov.deadline.notice",
]


def upgrade() -> None:
    with op.batch_alter_table("webhooks") as batch_op:
        batch_op.alter_column("organization_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(
            sa.Column(
                "event_types",
                sa.JSON(),
                nullable=False,
                server_default=sa.text(f"'{json.dumps(DEADLINE_TYPES)}'"),
            )
        )
    op.create_index("ix_deliveries_webhook_id_id", "deliveries", ["webhook_id", "id"])
    cursor = op.create_table(
        "webhook_cursor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_cursor")),
    )
    # Lifecycle events start now: the trail so far is history, not news.
    last = op.get_bind().execute(sa.text("SELECT COALESCE(MAX(seq), 0) FROM audit_events"))
    op.bulk_insert(cursor, [{"id": 1, "audit_seq": int(last.scalar_one())}])


def downgrade() -> None:
    op.drop_table("webhook_cursor")
    op.drop_index("ix_deliveries_webhook_id_id", table_name="deliveries")
    office = "SELECT id FROM webhooks WHERE organization_id IS NULL"
    deliveries = f"SELECT id FROM deliveries WHERE webhook_id IN ({office})"
    op.execute(f"DELETE FROM delivery_failures WHERE delivery_id IN ({deliveries})")
    op.execute(f"DELETE FROM deliveries WHERE webhook_id IN ({office})")
    op.execute("DELETE FROM webhooks WHERE organization_id IS NULL")
    with op.batch_alter_table("webhooks") as batch_op:
        batch_op.drop_column("event_types")
        batch_op.alter_column("organization_id", existing_type=sa.Integer(), nullable=False)
