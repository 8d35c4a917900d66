"""register fields: an agreement's economic terms and exclusivity, each
party's obligations, contact person and data protection officer (issue 8)

Revision ID: 0011_register_fields
Revises: 0010_lifecycle_webhooks
Create Date: 2026-11-29 22:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_register_fields"
down_revision = "0010_lifecycle_webhooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agreements") as batch_op:
        batch_op.add_column(sa.Column("economic_terms", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("exclusivity", sa.JSON(), nullable=True))
    with op.batch_alter_table("agreement_parties") as batch_op:
        batch_op.add_column(sa.Column("obligations", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("contact", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("dpo", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agreement_parties") as batch_op:
        batch_op.drop_column("dpo")
        batch_op.drop_column("contact")
        batch_op.drop_column("obligations")
    with op.batch_alter_table("agreements") as batch_op:
        batch_op.drop_column("exclusivity")
        batch_op.drop_column("economic_terms")
