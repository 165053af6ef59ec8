"""Shared fixtures: a real database (SQLite by default, PostgreSQL when BACKOFFICE_TEST_DATABASE_URL says so),
migrated once per test session, the app, and factories for rows.

Each test leaves the database as it found it in one of two ways:

- rolled back, the default: the test runs inside one transaction on one connection, rolled back at the end, so
  there is nothing to empty. Its own commits, and the app's (``db``, ``app``, ``client``…: the app is handed the
  test's ``Database``, whose sessions join that transaction), only end savepoints. Code that opens a second
  connection would find none of the test's rows there: it fails the test instead (``_OneConnection``);
- committed (``@pytest.mark.committed``, or a fixture in ``COMMITTED_FIXTURES``): for tests of code that opens
  connections of its own (a server thread, gunicorn, a CLI, scheduler or worker process, two sessions racing,
  LISTEN/NOTIFY, a database restart), which can only see committed rows; writes are committed for real and the
  tables are emptied after.
"""

from __future__ import annotations

import os
import re
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from backoffice import migrate
from backoffice import settings as settings_module
from backoffice.actors import Actor
from backoffice.admin import sqlite_search
from backoffice.app import create_app
from backoffice.database import Base, Database, make_engine
from backoffice.settings import Settings
from tests import factories
from tests.pgcluster import ClusterUnavailable, PgCluster

#: ``tests.no_network`` fails a test that connects anywhere but this machine; pytester lets a test prove it does.
pytest_plugins = ("pytester", "tests.no_network")

REPO = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"
TEST_SECRET = "test-secret-key-" + "x" * 32
TEST_CODE_KEY = "test-code-key-" + "y" * 32
STORAGE_BACKENDS = ("folder", "database")


def unavailable(reason: str) -> None:
    """A tool the test drives is missing: a skip on a developer's machine, a failure in CI (CI=true), where
    ``scripts/test`` installs everything and a missing tool is a broken set-up."""
    if IN_CI:
        pytest.fail(f"needed in CI: {reason}")
    pytest.skip(reason)


#: Fixtures that only work on committed rows: a test that asks for one is marked ``committed`` (see above), as is
#: every browser test (the pages are served to Chromium from a thread, some fixtures ask for the server late).
COMMITTED_FIXTURES = frozenset({"live_server", "customer_server", "pg_cluster"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that need committed rows are marked so; PostgreSQL-only tests are left out (not skipped) on a SQLite
    run, CI runs the suite on both."""
    for item in items:
        if item.get_closest_marker("browser") or COMMITTED_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.committed)
    if _backend_url().startswith("postgresql"):
        return
    kept = [i for i in items if "postgres" not in i.keywords]
    deselected = [i for i in items if "postgres" in i.keywords]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


def _backend_url() -> str:
    return os.environ.get("BACKOFFICE_TEST_DATABASE_URL", "")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[str]:
    base = _backend_url()
    if not base.startswith("postgresql"):
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        return
    name = f"backoffice_test_{worker_id}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(base).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:  # no skip: a PostgreSQL run without PostgreSQL is a failure
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def migrated(database_url: str) -> str:
    engine = create_engine(database_url)
    migrate.upgrade(engine)
    if engine.dialect.name == "sqlite":
        # The queue's search index is repaired once per process on a connection of its own: done here, committed,
        # rather than by the first search, which in a rolled-back test may open no second connection.
        with engine.connect() as connection:
            sqlite_search.ensure(connection)
    engine.dispose()
    return database_url


@pytest.fixture
def storage_backend() -> str:
    """Where documents are kept (``[storage] backend``). Folder by default, ``BACKOFFICE_TEST_STORAGE_BACKEND``
    switches a whole run; tests where it matters run on both (``parametrize("storage_backend", STORAGE_BACKENDS)``,
    or the fixture overridden with params, as the intake's conftest does)."""
    return os.environ.get("BACKOFFICE_TEST_STORAGE_BACKEND", "folder")


@pytest.fixture
def settings(migrated: str, tmp_path: Path, storage_backend: str) -> Settings:
    return settings_module.load(
        REPO / "config.toml",
        environ={"BACKOFFICE_SECRET_KEY": TEST_SECRET, "BACKOFFICE_CODE_KEY": TEST_CODE_KEY},
        overrides={
            "database": {"url": migrated},
            "site": {"instance_dir": str(tmp_path / "instance"), "base_url": "http://127.0.0.1:5000"},
            "storage": {"backend": storage_backend},
        },
    )


#: Set on a test whose ``session`` runs in the rolled-back transaction: asking for ``db`` after that is an error.
_ROLLED_BACK = pytest.StashKey[bool]()


def committed(request: pytest.FixtureRequest) -> bool:
    """Whether this test's writes are committed for real (``@pytest.mark.committed``) instead of rolled back."""
    return request.node.get_closest_marker("committed") is not None


def needs_committed(request: pytest.FixtureRequest, what: str) -> None:
    """For a fixture that serves the app from another thread or process: fail, saying why, in a rolled-back test."""
    if not committed(request):
        pytest.fail(f"{what} cannot see the rows of a rolled-back test: mark the test @pytest.mark.committed")


@pytest.fixture
def db(settings: Settings, request: pytest.FixtureRequest) -> Iterator[Database]:
    """The database the test and the app work on: by default every session joins one transaction on one
    connection, rolled back at the end (``Database.joining``); with ``@pytest.mark.committed``, the database
    itself, for code that opens its own connections: writes are committed, and the tables emptied after."""
    if request.node.stash.get(_ROLLED_BACK, False):
        pytest.fail(
            "this test asked for `db` after its session began in a rolled-back transaction of its own: ask for "
            "`db` (or the fixture that needs it) by name, not by getfixturevalue"
        )
    if committed(request):
        database = Database(settings.database_url)
        try:
            yield database
        finally:
            _empty(database.engine)
            database.dispose()
        return
    # An engine of the test's own, as an app has: what the product keeps per pool (the staff directory, the list
    # of centers) starts empty and goes with it.
    engine = make_engine(settings.database_url)
    if engine.dialect.name == "sqlite":
        _sqlite_savepoints(engine)
    guard = _OneConnection()  # listening before the connection is made, so that it sees that connection too
    try:
        with engine.connect() as connection:
            guard.connection = connection
            outer = connection.begin()
            try:
                yield Database.joining(connection)
            finally:
                guard.remove()
                outer.rollback()
    finally:
        guard.remove()
        engine.dispose()
    if guard.broken:
        pytest.fail(guard.report(), pytrace=False)


class SecondConnection(AssertionError):
    """Code under a rolled-back test used a connection of its own, or the test's from another thread."""


#: What a second connection may run under a rolled-back test: an advisory lock (``scheduler.locks.job_lock``)
#: reads no rows.
_ROWLESS = re.compile(r"^\s*SELECT pg_(try_)?advisory_(un)?lock\(", re.IGNORECASE)


class _OneConnection:
    """Fails a rolled-back test whose code runs a statement on any connection but the test's own (another engine's,
    ``engine.connect()``), or on the test's from another thread: the test's rows are not there, and a test that
    passes on empty data proves nothing.

    The error is raised where it happens, and the test fails at teardown as well, in case the code swallowed it.
    Connections the product takes from the pool directly (the staff directory's LISTEN) run no SQL through
    SQLAlchemy and are not seen.
    """

    def __init__(self) -> None:
        self.connection: Connection | None = None  # the test's, once made
        self.thread = threading.get_ident()
        self.broken: list[str] = []
        event.listen(Engine, "before_cursor_execute", self._executing)

    def remove(self) -> None:
        if event.contains(Engine, "before_cursor_execute", self._executing):
            event.remove(Engine, "before_cursor_execute", self._executing)

    def _executing(self, conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        if self.connection is None:
            return
        if conn is not self.connection:
            if not _ROWLESS.match(statement):
                self._fail(f"a second connection ({conn.engine.url.render_as_string()}) ran {statement[:80]!r}")
        elif threading.get_ident() != self.thread:
            self._fail(f"thread {threading.current_thread().name!r} ran {statement[:80]!r} on the test's connection")

    def _fail(self, what: str) -> None:
        self.broken.append(what)
        raise SecondConnection(self.report())

    def report(self) -> str:
        return (
            f"{'; '.join(self.broken)}. This test runs in a transaction rolled back at the end, which only its own "
            "connection sees: a test of code that needs committed rows (another connection, thread or process) is "
            "marked @pytest.mark.committed"
        )


def _empty(engine: Engine) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    if engine.dialect.name != "postgresql":
        with engine.begin() as conn:
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))
            if _has_sqlite_sequence(conn):
                conn.execute(text("DELETE FROM sqlite_sequence"))
        return
    truncate = text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
    try:
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL lock_timeout = '20s'"))
            conn.execute(truncate)
    except OperationalError:
        # Something the test started still holds a transaction open: end it so the run goes on, and fail this
        # test's teardown naming what was left open, instead of hanging the whole run.
        others = "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        with engine.begin() as conn:
            leftovers = conn.execute(text(f"SELECT state, left(query, 120) {others}")).all()
            conn.execute(text(f"SELECT pg_terminate_backend(pid) {others}"))
        with engine.begin() as conn:
            conn.execute(truncate)
        raise AssertionError(f"the test left database transactions open: {leftovers}") from None


def _has_sqlite_sequence(conn: Any) -> bool:
    return bool(conn.execute(text("SELECT 1 FROM sqlite_master WHERE name='sqlite_sequence'")).first())


@pytest.fixture(scope="session")
def rollback_engine(migrated: str) -> Iterator[Engine]:
    """The engine of the tests that run inside one rolled-back transaction (see ``session``)."""
    engine = make_engine(migrated)
    if engine.dialect.name == "sqlite":
        _sqlite_savepoints(engine)
    yield engine
    engine.dispose()


def _sqlite_savepoints(engine: Engine) -> None:
    """SQLAlchemy's recipe for SAVEPOINT on pysqlite: the driver begins transactions on its own, and not before a
    SAVEPOINT, so a rolled-back savepoint would end the test's outer transaction; SQLAlchemy emits BEGIN instead.
    """

    @event.listens_for(engine, "connect")
    def _driver_leaves_transactions_alone(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")


@pytest.fixture
def session(request: pytest.FixtureRequest) -> Iterator[Session]:
    """The test's session: inside one transaction rolled back at the end, unless the test is ``committed``.

    In the rolled-back transaction the session's own ``commit()`` and ``rollback()`` end savepoints
    (``join_transaction_mode="create_savepoint"``), so the code under test commits as it would in production.
    A test that also asks for ``db`` gets one of its sessions, on the connection the app's sessions join too (or,
    committed, sharing its rows with other connections: then it commits for real).
    """
    if "db" in request.fixturenames:
        database: Database = request.getfixturevalue("db")
        with database.sessions() as shared:
            yield shared
            shared.rollback()
        return
    engine: Engine = request.getfixturevalue("rollback_engine")
    request.node.stash[_ROLLED_BACK] = True
    with engine.connect() as connection:
        outer = connection.begin()
        with Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False) as s:
            yield s
        outer.rollback()


def app_on(settings: Settings, db: Database) -> Flask:
    """The app on the test's database: in its rolled-back transaction, or (committed) on an engine of its own from
    the settings, as in production. ``app.extensions["backoffice.db"].dispose()`` afterwards closes the latter."""
    return create_app(settings, database=db if db.connection is not None else None)


@pytest.fixture
def app(settings: Settings, db: Database) -> Iterator[Flask]:
    flask_app = app_on(settings, db)
    flask_app.config.update(TESTING=True)
    yield flask_app
    flask_app.extensions["backoffice.db"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def system() -> Actor:
    return Actor.system("test")


@pytest.fixture
def make(session: Session, settings: Settings) -> factories.Factory:
    return factories.Factory(session, settings)


@pytest.fixture
def pg_cluster() -> Iterator[PgCluster]:
    """A PostgreSQL server of the test's own, started, that the test may stop and restart (tests/pgcluster.py);
    removed afterwards. Without the server programs the test fails in CI and is skipped elsewhere."""
    cluster: PgCluster | None = None
    try:
        cluster = PgCluster()
        cluster.start()
    except ClusterUnavailable as exc:
        if cluster is not None:
            cluster.destroy()
        if IN_CI:
            pytest.fail(f"a private PostgreSQL cluster is required in CI: {exc}")
        pytest.skip(f"no private PostgreSQL cluster: {exc}")
    try:
        yield cluster
    finally:
        cluster.destroy()
