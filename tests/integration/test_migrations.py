"""The migrated schema is exactly what the models describe: Alembic's
autogenerate comparison finds nothing to do (on SQLite and on PostgreSQL)."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

import omd_gov
from omd_gov.db import Base, db
from omd_gov.deadlines.policy import DEFAULTS, Policy
from omd_gov.migrate import alembic_config

# Created by raw SQL in the migrations on purpose (PostgreSQL trigram indexes for
# the free-text filter); the models cannot express them.
DATABASE_ONLY_INDEXES = frozenset(
    {"ix_agreements_title_trgm", "ix_agreements_reference_trgm", "ix_agreements_purpose_trgm"}
)


def _import_every_model() -> None:
    """Register every feature's tables, not only those the test run happened to import."""
    for path in sorted(Path(omd_gov.__file__).parent.glob("**/models.py")):
        relative = path.relative_to(Path(omd_gov.__file__).parent.parent).with_suffix("")
        importlib.import_module(".".join(relative.parts))


def _include(obj: Any, name: str | None, type_: str, reflected: bool, _compare_to: Any) -> bool:
    return not (type_ == "index" and reflected and name in DATABASE_ONLY_INDEXES)


def test_the_migrated_schema_matches_the_models(app: Any) -> None:
    _import_every_model()
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": _include}
        )
        differences = compare_metadata(context, Base.metadata)
    assert differences == [], "\n".join(map(str, differences))


def test_one_linear_history_and_the_database_is_at_its_head(app: Any) -> None:
    heads = ScriptDirectory.from_config(alembic_config(app)).get_heads()
    assert len(heads) == 1, f"the migrations branch: heads {heads}"
    with app.app_context(), db.engine.connect() as connection:
        current = list(
            connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
        )
    assert current == heads


def test_the_seeded_deadline_policies_are_the_built_in_defaults(app: Any) -> None:
    """Migration 0003 keeps its own copy of the defaults (migrations must not
    import application code): what it seeds must equal ``DEFAULTS``."""
    migration = ScriptDirectory.from_config(alembic_config(app)).get_revision("0003_deadlines")
    assert migration is not None
    seeded = {
        kind: Policy(kind, due, tuple(before), every, escalate, tuple(notices), start)
        for kind, due, before, every, escalate, notices, start in migration.module.DEFAULT_POLICIES
    }
    assert seeded == DEFAULTS
