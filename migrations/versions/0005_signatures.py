"""signature level per agreement, the frozen PDF's sha256, signatories'
certificate identities, signing-round PDF revisions, accepted identity mismatches

Revision ID: 0005_signatures
Revises: 0004_audit_tree
Create Date: 2026-11-29 18:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_signatures"
down_revision = "0004_audit_tree"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("agreements") as batch_op:
        batch_op.add_column(
            sa.Column("signature_level", sa.String(10), nullable=False, server_default="simple")
        )
        batch_op.add_column(sa.Column("frozen_pdf_sha256", sa.String(64), nullable=True))
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("signing_identity", sa.String(200), nullable=True))
    op.create_table(
        "signing_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("storage_key", sa.String(300), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=True),
        sa.Column("signature_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agreement_id"], ["agreements.id"], name=op.f("fk_signing_revisions_agreement_id_agreements")
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["agreement_parties.id"],
            name=op.f("fk_signing_revisions_party_id_agreement_parties"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["signature_id"],
            ["agreement_signatures.id"],
            name=op.f("fk_signing_revisions_signature_id_agreement_signatures"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_signing_revisions_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signing_revisions")),
        sa.UniqueConstraint("agreement_id", "round", "seq", name="uq_signing_revisions_position"),
    )
    op.create_table(
        "signature_identity_acceptances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("certificate_sha256", sa.String(64), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("accepted_by_id", sa.Integer(), nullable=False),
        sa.Column("accepted_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_signature_identity_acceptances_agreement_id_agreements"),
        ),
        sa.ForeignKeyConstraint(
            ["accepted_by_id"],
            ["users.id"],
            name=op.f("fk_signature_identity_acceptances_accepted_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signature_identity_acceptances")),
    )
    op.create_index(
        "uq_signature_identity_acceptances",
        "signature_identity_acceptances",
        ["agreement_id", "certificate_sha256"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_signature_identity_acceptances", table_name="signature_identity_acceptances")
    op.drop_table("signature_identity_acceptances")
    op.drop_table("signing_revisions")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("signing_identity")
    with op.batch_alter_table("agreements") as batch_op:
        batch_op.drop_column("frozen_pdf_sha256")
        batch_op.drop_column("signature_level")
