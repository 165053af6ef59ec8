"""The engine's own behaviour on PostgreSQL: pooled connections that died while idle never reach a request."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from backoffice import database

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
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
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


def test_a_connection_back_in_the_pool_a_moment_ago_is_used_without_a_round_trip(
    engine: Engine, migrated: str
) -> None:
    """The price of skipping the ping on a busy server: a connection that dies within the idle window fails
    the one request that gets it, and the pool starts afresh for the next."""
    first = _backend(engine)
    _kill(migrated, first)

    with pytest.raises(OperationalError):
        _backend(engine)

    assert _backend(engine) != first
