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
