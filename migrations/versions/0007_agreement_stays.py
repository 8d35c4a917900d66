"""analytics: agreement_stays, each stay of an agreement in a state (issue 7)

The rows are filled from the audit trail by ``omd-gov init``
(``agreements.stays.services.catch_up_stays``), then kept by every transition.

Revision ID: 0007_agreement_stays
Revises: 0006_web_passwords
Create Date: 2026-11-29 19:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_agreement_stays"
down_revision = "0006_web_passwords"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "agreement_stays",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(30), nullable=False),
        sa.Column("entered_at", TZ, nullable=False),
        sa.Column("left_at", TZ, nullable=True),
        sa.Column("entered_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_agreement_stays_agreement_id_agreements"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_stays")),
        sa.UniqueConstraint("entered_seq", name=op.f("uq_agreement_stays_entered_seq")),
    )
    op.create_index("ix_agreement_stays_agreement_id", "agreement_stays", ["agreement_id"])
    op.create_index("ix_agreement_stays_entered_at", "agreement_stays", ["entered_at"])


def downgrade() -> None:
    op.drop_index("ix_agreement_stays_entered_at", table_name="agreement_stays")
    op.drop_index("ix_agreement_stays_agreement_id", table_name="agreement_stays")
    op.drop_table("agreement_stays")
