"""documents: template registry, generated-document metadata, PDF, generation jobs

Revision ID: 0002_documents
Revises: 0001_core
Create Date: 2026-11-27 10:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0002_documents"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=300), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("variables", sa.JSON(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["users.id"],
            name=op.f("fk_document_templates_uploaded_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_templates")),
        sa.UniqueConstraint(
            "name", "language", "version", name=op.f("uq_document_templates_name")
        ),
    )
    with op.batch_alter_table("document_templates", schema=None) as batch_op:
        batch_op.create_index(
            "ix_document_templates_kind_language_id", ["kind", "language", "id"], unique=False
        )

    # Batch mode: SQLite cannot add a foreign key to an existing table in place.
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("template_version_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("package_id", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("size_bytes", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("pdf_storage_key", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("pdf_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("pdf_created_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("pdf_error", sa.Text(), nullable=True))
        # The placeholder rows of the core are gone: nothing sets the flag any more.
        batch_op.drop_column("placeholder")
        batch_op.create_foreign_key(
            op.f("fk_documents_template_version_id_document_templates"),
            "document_templates",
            ["template_version_id"],
            ["id"],
        )

    op.create_table(
        "document_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("document_ids", sa.JSON(), nullable=False),
        sa.Column("problem", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_document_jobs_agreement_id_agreements"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["users.id"], name=op.f("fk_document_jobs_requested_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_jobs")),
    )


def downgrade() -> None:
    op.drop_table("document_jobs")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_constraint(
            op.f("fk_documents_template_version_id_document_templates"), type_="foreignkey"
        )
        for column in (
            "pdf_error",
            "pdf_created_at",
            "pdf_sha256",
            "pdf_storage_key",
            "size_bytes",
            "package_id",
            "template_version_id",
        ):
            batch_op.drop_column(column)
        batch_op.add_column(
            sa.Column("placeholder", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("document_templates", schema=None) as batch_op:
        batch_op.drop_index("ix_document_templates_kind_language_id")
    op.drop_table("document_templates")
