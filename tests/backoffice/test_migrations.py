"""The migrations build the schema from nothing, and the models say exactly what the migrations build."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from backoffice import migrate
from backoffice.database import Base


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
