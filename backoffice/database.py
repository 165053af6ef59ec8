"""The database: one declarative base, one engine per process, sessions handed to services explicitly.

Plain SQLAlchemy (no Flask extension) so that the CLI, the scheduler and the intake worker use exactly the
same models and sessions as the web app.
"""

from __future__ import annotations

import select
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import JSON, MetaData, create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Every table of the product; constraint names are fixed so migrations name them the same everywhere."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[str]: JSON}


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine with the settings the product relies on for each backend."""
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Foreign keys are off by default in SQLite; WAL lets the web app read while the scheduler writes.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    # Sessions in UTC, as every timestamp the product stores: values come back already in UTC, and nothing
    # depends on the server's own time-zone setting. No server-side prepared statements: they would save the
    # planning (0.7 ms of the queue's "my work"), but after five runs PostgreSQL may switch to a generic plan that
    # cannot see which state is asked for and walks a million rows by deadline to find fifty of a recent state.
    # (psycopg also forgets them at the rollback that ends a request which did not commit; a read-only request
    # runs in autocommit, has nothing to roll back, and would keep them.)
    # Cursors whose description is built only when read (``pg_cursor``): SQLAlchemy reads it after every statement.
    from backoffice.pg_cursor import Cursor

    engine = create_engine(
        url,
        echo=echo,
        connect_args={"options": "-c timezone=UTC", "prepare_threshold": None, "cursor_factory": Cursor},
    )
    _ping_when_idle(engine)
    return engine


#: A pooled connection idle for longer than this is tried before it is handed out.
PING_AFTER_IDLE_SECONDS = 10.0


def _ping_when_idle(engine: Engine) -> None:
    """Test a pooled connection before use if it sat idle, or if the server has written to it while it sat in
    the pool: a database restart or a dropped idle connection is then never seen by a request, while a busy
    server (a connection back in the pool milliseconds ago, nothing waiting on its socket) saves the round trip
    that ``pool_pre_ping`` spends on every checkout.

    An idle pooled connection is never spoken to, so anything readable on its socket is the server's farewell: a
    restart's "terminating connection" notice, or the end of the stream. Looking costs one ``poll`` with no wait,
    and catches a restart within the idle window, which the idle timer alone would hand to a request as an error.
    """

    @event.listens_for(engine, "connect")
    def _new(_dbapi_connection: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()  # just opened: nothing to try yet

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        recently_used = time.monotonic() - record.info.get("returned_at", 0.0) <= PING_AFTER_IDLE_SECONDS
        if recently_used and not _server_has_spoken(dbapi_connection):
            return
        # Outside a transaction: psycopg would otherwise open one for the SELECT and leave it open, and the
        # read-only sessions (``Database.read_sessions``) could then not switch the connection to autocommit.
        transactional = getattr(dbapi_connection, "autocommit", None) is False
        try:
            if transactional:
                dbapi_connection.autocommit = True
            try:
                with dbapi_connection.cursor() as cursor:
                    cursor.execute("SELECT 1")
            finally:
                if transactional and not dbapi_connection.closed:
                    dbapi_connection.autocommit = False
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError("pooled connection was closed while idle") from exc


def _server_has_spoken(dbapi_connection: Any) -> bool:
    """True when bytes (or the end of the stream) wait on an idle connection's socket."""
    try:
        fileno = dbapi_connection.fileno()
    except Exception:  # closed, or no socket to name: it is tried the long way
        return True
    poller = select.poll()
    poller.register(fileno, select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))


class Database:
    """The engine and session factory of one process."""

    #: The connection every session joins (``Database.joining``); None in production, where each session takes
    #: a connection of its own from the engine's pool.
    connection: Connection | None = None

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = make_engine(url, echo=echo)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        # For requests that only read (``backoffice.web.reads_only``): no transaction, so none of the BEGIN and
        # ROLLBACK round trips that frame every other request; each statement sees the latest committed data.
        self.read_sessions = sessionmaker(
            self.engine.execution_options(isolation_level="AUTOCOMMIT"),
            expire_on_commit=False,
            info={"reads_only": True},
        )

    @classmethod
    def joining(cls, connection: Connection) -> Database:
        """A database whose every session works inside the transaction already begun on ``connection``.

        For the tests, which hand the app a connection whose transaction they roll back at the end, so that no test
        leaves rows behind to empty: a session's ``commit()`` and ``rollback()`` only end a savepoint
        (``join_transaction_mode="create_savepoint"``), so the code commits and rolls back as it does in
        production, and every session sees what the others committed. The read-only sessions join too, instead of
        switching to autocommit, which would step out of the transaction (their guard against writes still
        holds). Only this connection sees the rows: code that opens another one (a second engine, a thread, a
        process, ``engine.connect()``) finds none of them.
        """
        database = cls.__new__(cls)
        database.url = connection.engine.url.render_as_string(hide_password=False)
        database.engine = connection.engine
        database.connection = connection
        database.sessions = sessionmaker(connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
        database.read_sessions = sessionmaker(
            connection, join_transaction_mode="create_savepoint", expire_on_commit=False, info={"reads_only": True}
        )
        return database

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed when the block ends normally, rolled back when it raises."""
        with self.sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        """Close the engine's connections; a database joining a connection leaves it, and its engine, to their
        owner, who still has a transaction to end on it."""
        if self.connection is None:
            self.engine.dispose()


class WriteInReadOnlySession(RuntimeError):
    """A view declared to only read tried to change data: without a transaction it would not be atomic."""


@event.listens_for(Session, "before_flush")
def _no_flush_when_reading(session: Session, _context: Any, _instances: Any) -> None:
    if session.info.get("reads_only") and (session.new or session.dirty or session.deleted):
        raise WriteInReadOnlySession("this request was declared read-only and tried to save changes")


@event.listens_for(Session, "do_orm_execute")
def _no_dml_when_reading(state: Any) -> None:
    if state.session.info.get("reads_only") and (state.is_insert or state.is_update or state.is_delete):
        raise WriteInReadOnlySession("this request was declared read-only and tried to change data")
