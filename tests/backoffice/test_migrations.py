"""The migrations build the schema from nothing, and the models say exactly what the migrations build."""

from __future__ import annotations

from pathlib import Path

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


def test_documents_checked_before_0024_keep_their_first_check_and_only_the_rest_wait(tmp_path: Path) -> None:
    from backoffice.applications.models import UNCHECKED_SIGNED_SQL

    engine = create_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        migrate.upgrade(engine, "0023")
        row = ("INSERT INTO document (id, application_id, kind, filename, content_type, size, sha256, storage_path,"
               " created_at, origin) VALUES (:id, 1, :kind, 'f', 'application/pdf', 1, 'x', 'p',"
               " '2026-01-01 00:00:00', '')")
        check = ("INSERT INTO signature_check (document_id, checked_at, indication, report)"
                 " VALUES (:doc, :at, 'TOTAL_PASSED', '{}')")
        with engine.begin() as conn:
            for id_, kind in ((1, "signed_pdf"), (2, "signed_pdf"), (3, "scan"), (4, "container")):
                conn.execute(text(row), {"id": id_, "kind": kind})
            conn.execute(text(check), {"doc": 1, "at": "2026-02-01 10:00:00"})
            conn.execute(text(check), {"doc": 1, "at": "2026-01-15 09:00:00"})
            conn.execute(text(check), {"doc": 4, "at": "2026-03-01 08:00:00"})
        migrate.upgrade(engine)
        with engine.connect() as conn:
            checked = dict(conn.execute(text("SELECT id, signature_checked_at FROM document")).all())
            waiting = conn.execute(text(f"SELECT id FROM document WHERE {UNCHECKED_SIGNED_SQL.text}")).scalars().all()
    finally:
        engine.dispose()
    assert str(checked[1]).startswith("2026-01-15 09:00") and str(checked[4]).startswith("2026-03-01 08:00")
    assert checked[2] is None and checked[3] is None
    assert waiting == [2]  # the scan is never a signature to check


def test_the_partial_indexes_of_0024_and_0025_say_what_their_queries_say() -> None:
    """A partial index is used only when the query's condition is literally its own: a signed kind added to the
    code, or the pending state renamed, needs a migration that rebuilds the index."""
    import importlib

    from backoffice.applications.models import UNCHECKED_SIGNED_SQL
    from backoffice.intake.models import SIGNATURE_PENDING_SQL

    documents = importlib.import_module("backoffice.migrations.versions.0024_unchecked_signed_documents")
    assert UNCHECKED_SIGNED_SQL.text == documents.UNCHECKED
    emails = importlib.import_module("backoffice.migrations.versions.0025_pending_email_signatures")
    assert SIGNATURE_PENDING_SQL["postgresql"].text == emails.PENDING["postgresql"]
    assert SIGNATURE_PENDING_SQL["sqlite"].text == emails.PENDING["sqlite"]
