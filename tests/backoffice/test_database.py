"""The engine's own behaviour on PostgreSQL: pooled connections that died while idle never reach a request."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from backoffice import database
from tests.pgcluster import PgCluster

pytestmark = pytest.mark.postgres


@pytest.fixture
def engine(migrated: str) -> Iterator[Engine]:
    made = database.make_engine(migrated)
    try:
        yield made
    finally:
        made.dispose()


def _backend(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _kill(url: str, pid: int) -> None:
    """What a database restart, a failover or an idle-connection timeout does to a pooled connection."""
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            # Waits until the backend has gone (PostgreSQL 14+), as a restart has ended every session before anyone
            # reconnects: without the wait, the next checkout may come before the server has said goodbye.
            conn.execute(text("SELECT pg_terminate_backend(:pid, 10000)"), {"pid": pid})
    finally:
        admin.dispose()


def test_a_connection_that_died_while_idle_is_replaced_before_use(
    engine: Engine, migrated: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _backend(engine)
    _kill(migrated, first)
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)  # as if it had sat in the pool a while

    second = _backend(engine)  # no error: the pool tried it, found it dead and connected afresh

    assert second != first


def test_a_connection_tried_after_sitting_idle_serves_reads_and_writes_alike(
    migrated: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The queue's read-only requests switch their connection to autocommit: the idle check must leave no
    transaction open behind it, or the first queue page after a quiet moment would fail."""
    db = database.Database(migrated)
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)  # every checkout is tried
    try:
        for _ in range(2):
            with db.read_sessions() as session:
                session.execute(text("SELECT 1"))
                # autocommit: each statement is a transaction of its own, started when the statement starts
                assert session.execute(text("SELECT now() = statement_timestamp()")).scalar_one() is True
            with db.session() as session:
                session.execute(text("SELECT 1"))
                # a unit of work: one transaction, started with its first statement
                assert session.execute(text("SELECT now() = statement_timestamp()")).scalar_one() is False
    finally:
        db.dispose()


def test_a_connection_the_server_ended_a_moment_ago_is_replaced_before_use(engine: Engine, migrated: str) -> None:
    """A restart within the idle window (the connection was back in the pool a moment ago, so the idle timer
    would not try it): the server's farewell waits on the socket, so the pool sees it and connects afresh
    instead of handing the dead connection to a request."""
    first = _backend(engine)
    _kill(migrated, first)

    second = _backend(engine)  # no error, although the connection had sat idle for milliseconds only

    assert second != first


def test_a_request_right_after_a_database_restart_gets_a_working_connection(pg_cluster: PgCluster) -> None:
    """The whole server restarted (``pg_ctl restart -m fast``, what an administrator or an upgrade does): the
    first statement after it must not be the one that finds out."""
    made = database.make_engine(pg_cluster.url)
    try:
        first = _backend(made)
        pg_cluster.restart()
        assert _backend(made) != first
    finally:
        made.dispose()


def test_result_columns_read_through_the_engine_are_those_psycopg_describes(engine: Engine) -> None:
    """The engine's cursors build their description only when it is read (``backoffice.pg_cursor``): what a
    reader gets must be what psycopg's own cursor says, name for name and type for type, and a description kept
    across a later statement must still describe its own result."""
    import psycopg

    with engine.connect() as conn:
        dbapi = conn.connection.dbapi_connection
        sql = "SELECT 1 AS one, 'два'::text AS \"друге\", now() AS at, NULL::numeric(10, 2) AS amount"
        with psycopg.Cursor(dbapi) as stock, dbapi.cursor() as ours:
            stock.execute(sql)
            ours.execute(sql)
            kept = ours.description
            ours.execute("SELECT 42 AS answer")
            assert [tuple(c) for c in kept] == [tuple(c) for c in stock.description]
            assert [c.name for c in kept] == ["one", "друге", "at", "amount"]
            assert [c.name for c in ours.description] == ["answer"]
            assert len(kept) == 4 and [c.name for c in kept[1:3]] == ["друге", "at"]
            ours.execute("SET application_name = 'described'")
            assert ours.description is None

        # A statement SQLAlchemy has not seen before reads every column of the description for its keys.
        result = conn.execute(text("SELECT 7 AS seven, 'x' AS ex WHERE :flag"), {"flag": True})
        assert list(result.keys()) == ["seven", "ex"]
        assert result.one()._asdict() == {"seven": 7, "ex": "x"}
        assert conn.execute(text("SELECT 1 WHERE false")).all() == []
