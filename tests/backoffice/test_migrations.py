"""The migrations build the schema from nothing, and the models say exactly what the migrations build."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, create_engine, inspect, text
from sqlalchemy.schema import CreateIndex

from backoffice import migrate
from backoffice.database import Base

# SQLAlchemy and Alembic cannot read an index on an expression (``lower(email)``) back from SQLite, and say so:
# there, such indexes are compared by their SQL (test_expression_indexes_are_built_as_the_models_say).
pytestmark = [
    pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index"),
    pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index"),
]


def test_upgrade_from_empty_creates_every_table(migrated: str) -> None:
    # `migrated` ran every migration on an empty database of this run's backend (SQLite or PostgreSQL).
    engine = create_engine(migrated)
    try:
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        heads = set(ScriptDirectory.from_config(migrate.alembic_config(migrated)).get_heads())
        with engine.connect() as conn:
            assert set(MigrationContext.configure(conn).get_current_heads()) == heads
    finally:
        engine.dispose()


def test_models_match_migrations(migrated: str) -> None:
    engine = create_engine(migrated)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_name": migrate.is_modelled}
            )
            drift = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert drift == [], f"models and migrations differ: {drift}"


def test_expression_indexes_are_built_as_the_models_say(migrated: str) -> None:
    """On PostgreSQL Alembic compares them above; on SQLite each is compared by the SQL SQLite keeps for it."""
    expression = [
        index for table in Base.metadata.tables.values() for index in table.indexes
        if not all(isinstance(e, Column) for e in index.expressions)
    ]
    assert {i.name for i in expression} >= {"ix_application_email_lower_id", "ix_customer_account_email_lower"}
    engine = create_engine(migrated)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                built = dict(conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'index'")).all())
                for index in expression:
                    model = str(CreateIndex(index).compile(dialect=engine.dialect))
                    assert _words(built.get(index.name) or "") == _words(model), index.name
            else:
                built = {name for (name,) in conn.execute(text("SELECT indexname FROM pg_indexes"))}
                assert {i.name for i in expression} <= built
    finally:
        engine.dispose()


def _words(sql: str) -> str:
    return " ".join(sql.replace("(", " ( ").replace(")", " ) ").split()).lower()


def test_upgrade_is_repeatable(migrated: str) -> None:
    engine = create_engine(migrated)
    try:
        migrate.upgrade(engine)  # already at head: nothing to do, nothing fails
        assert migrate.current(engine) is not None
    finally:
        engine.dispose()


def test_my_work_indexes_cover_exactly_the_states_that_wait_for_staff(migrated: str) -> None:
    # The partial indexes of migration 0008 are used only if the queue's condition is literally theirs; a state
    # added to (or taken from) WAITING_FOR_STAFF needs a migration that rebuilds them.
    import importlib

    from backoffice.applications.models import WAITING_SQL

    migration = importlib.import_module("backoffice.migrations.versions.0008_my_work_indexes")
    assert WAITING_SQL.text == migration.WAITING
    engine = create_engine(migrated)
    try:
        indexes = {ix["name"] for ix in inspect(engine).get_indexes("application")}
    finally:
        engine.dispose()
    assert set(migration.INDEXES) <= indexes
