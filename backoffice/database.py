"""The database: one declarative base, one engine per process, sessions handed to services explicitly.

Plain SQLAlchemy (no Flask extension) so that the CLI, the scheduler and the intake worker use exactly the
same models and sessions as the web app.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import JSON, MetaData, create_engine, event
from sqlalchemy.engine import Engine
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
    # depends on the server's own time-zone setting. No server-side prepared statements: psycopg forgets them
    # at every rollback (which ends every request), so they would only ever appear in long transactions (a CSV
    # export's chunks), where PostgreSQL may switch to a generic plan that cannot see which state is asked
    # for and walks a million rows by deadline to find fifty of a recent state.
    return create_engine(
        url,
        echo=echo,
        pool_pre_ping=True,
        connect_args={"options": "-c timezone=UTC", "prepare_threshold": None},
    )


class Database:
    """The engine and session factory of one process."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = make_engine(url, echo=echo)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed when the block ends normally, rolled back when it raises."""
        with self.sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
