"""audit Merkle tree nodes, signed checkpoints, verification runs

The tree over events that existed before this revision is built by
``omd-gov init`` (``audit.services.catch_up_tree``), not here: it needs the
application's canonical event encoding.

Revision ID: 0004_audit_tree
Revises: 0003_deadlines
Create Date: 2026-11-29 13:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_audit_tree"
down_revision = "0003_deadlines"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
APPEND_ONLY_TABLES = ("audit_tree_nodes", "audit_checkpoints")


def upgrade() -> None:
    with op.batch_alter_table("audit_chain_head") as batch_op:
        batch_op.add_column(sa.Column("tree", sa.JSON(), nullable=False, server_default="{}"))
    op.create_table(
        "audit_tree_nodes",
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("index", sa.Integer(), nullable=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
        sa.PrimaryKeyConstraint("level", "index", name=op.f("pk_audit_tree_nodes")),
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("key_id", sa.String(8), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoints")),
    )
    op.create_index("ix_audit_checkpoints_size", "audit_checkpoints", ["size"])
    op.create_table(
        "audit_verifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("full", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=True),
        sa.Column("from_size", sa.Integer(), nullable=False),
        sa.Column("to_size", sa.Integer(), nullable=True),
        sa.Column("checkpoint_id", sa.Integer(), nullable=True),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("requested_at", TZ, nullable=False),
        sa.Column("finished_at", TZ, nullable=True),
        sa.ForeignKeyConstraint(
            ["checkpoint_id"],
            ["audit_checkpoints.id"],
            name=op.f("fk_audit_verifications_checkpoint_id_audit_checkpoints"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_verifications")),
    )
    _append_only(op.get_bind().dialect.name)


def _append_only(dialect: str) -> None:
    """As for audit_events: the database itself refuses to rewrite them."""
    for table in APPEND_ONLY_TABLES:
        if dialect == "postgresql":  # the function comes from 0001
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION omd_audit_append_only()"
            )
        elif dialect == "sqlite":
            for verb in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                )


def downgrade() -> None:
    op.drop_table("audit_verifications")
    op.drop_index("ix_audit_checkpoints_size", table_name="audit_checkpoints")
    op.drop_table("audit_checkpoints")
    op.drop_table("audit_tree_nodes")
    with op.batch_alter_table("audit_chain_head") as batch_op:
        batch_op.drop_column("tree")
