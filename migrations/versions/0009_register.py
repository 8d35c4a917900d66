"""register: one entry per published agreement (issue 8)

Revision ID: 0009_register
Revises: 0008_deadline_list_indexes
Create Date: 2026-11-29 22:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_register"
down_revision = "0008_deadline_list_indexes"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "register_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(40), nullable=False),
        sa.Column("overrides", sa.JSON(), nullable=False),
        sa.Column("published_at", TZ, nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("withdrawn_at", TZ, nullable=True),
        sa.Column("withdrawal_reason", sa.Text(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_register_entries_agreement_id_agreements"),
        ),
        sa.ForeignKeyConstraint(
            ["published_by_id"],
            ["users.id"],
            name=op.f("fk_register_entries_published_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_entries")),
        sa.UniqueConstraint("agreement_id", name=op.f("uq_register_entries_agreement_id")),
        sa.UniqueConstraint("reference", name=op.f("uq_register_entries_reference")),
    )
    op.create_index(
        "ix_register_entries_published_at_id", "register_entries", ["published_at", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_register_entries_published_at_id", table_name="register_entries")
    op.drop_table("register_entries")
