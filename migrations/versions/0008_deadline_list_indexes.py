"""deadline lists: open deadlines indexed in list order (due_on, id), overall, per
person and per role queue (issue 7's dashboard)

Revision ID: 0008_deadline_list_indexes
Revises: 0007_agreement_stays
Create Date: 2026-11-29 21:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_deadline_list_indexes"
down_revision = "0007_agreement_stays"
branch_labels = None
depends_on = None

OPEN = "status = 'open'"
QUEUE = "status = 'open' AND assignee_id IS NULL"


def _partial(name: str, columns: list[str], where: str) -> None:
    op.create_index(
        name,
        "deadlines",
        columns,
        sqlite_where=sa.text(where),
        postgresql_where=sa.text(where),
    )


def upgrade() -> None:
    op.drop_index("ix_deadlines_open_due_on", table_name="deadlines")
    _partial("ix_deadlines_open_due_on", ["due_on", "id"], OPEN)
    _partial("ix_deadlines_open_assignee", ["assignee_id", "due_on", "id"], OPEN)
    _partial("ix_deadlines_open_queue", ["assignee_role", "due_on", "id"], QUEUE)


def downgrade() -> None:
    op.drop_index("ix_deadlines_open_queue", table_name="deadlines")
    op.drop_index("ix_deadlines_open_assignee", table_name="deadlines")
    op.drop_index("ix_deadlines_open_due_on", table_name="deadlines")
    _partial("ix_deadlines_open_due_on", ["due_on"], OPEN)
