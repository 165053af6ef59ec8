"""Who is logged in. Staff and customers share Flask-Login; their ids carry a prefix so they never mix, and the
row's session stamp, so that logging out or a new password ends every session (``backoffice.sessions``).

A member of staff is read from the database when a process first sees them, and then kept (``StaffDirectory``)
until their row changes: a page then costs no round trip for who is asking. A change made in this process drops
the copy when it is committed; one made by another process (another web worker, the CLI) reaches every process
through PostgreSQL's LISTEN/NOTIFY, sent in the transaction that changes the row, so a deactivation, a new role or
center, or a new password counts from the first request after the notice has arrived, whichever worker serves it
(the server delivers it moments after the commit: milliseconds, more on a busy machine). SQLite has no notifications:
there the row is read on every request (a read of a local file, not a round trip).
"""

from __future__ import annotations

import select
import threading
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import bindparam, event, func
from sqlalchemy import select as select_
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from backoffice.actors import Actor
from backoffice.sessions import stamp_matches
from backoffice.staff.models import Operator
from backoffice.web import database, db_session, login_manager
from workflows.roles import Role

#: ``app.extensions`` key: the loaders of the users other than staff, by the prefix of their id. The pages that log
#: them in register theirs (``backoffice.customers.web``), so this plumbing knows none of them.
USER_LOADERS = "backoffice.user_loaders"
#: The PostgreSQL channel on which a change of a staff row is announced (its payload: the operator's id).
CHANNEL = "backoffice_staff"


@dataclass(frozen=True)
class StaffUser(UserMixin):  # type: ignore[misc]
    operator_id: int
    login: str
    full_name: str
    role: Role
    center_id: int | None
    session_stamp: str

    def get_id(self) -> str:
        return f"staff:{self.operator_id}:{self.session_stamp}"

    @property
    def actor(self) -> Actor:
        return Actor(self.role, self.login, self.operator_id, self.center_id)

    @property
    def is_staff(self) -> bool:
        return True

    @classmethod
    def of(cls, operator: Operator) -> StaffUser:
        return cls(
            operator.id, operator.login, operator.full_name, operator.role, operator.center_id, operator.session_stamp
        )


#: The user a request runs as: six columns of an active account.
_ACTIVE_STAFF = select_(
    Operator.id, Operator.login, Operator.full_name, Operator.role, Operator.center_id, Operator.session_stamp
).where(Operator.id == bindparam("id"), Operator.is_active.is_(True))


class StaffDirectory:
    """The staff rows this process has read, each kept until it changes (one directory per engine).

    ``generation`` counts the changes heard of: a row read while a change was being heard of is not kept, so a
    copy older than the change can never outlive it.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._users: dict[int, StaffUser] = {}
        self._lock = threading.Lock()
        self._listener: Any = None  # psycopg connection LISTENing on CHANNEL, opened on first use
        self.generation = 0

    def user(self, connection: Connection, operator_id: int) -> StaffUser | None:
        """The active member of staff with this id, from the copy this process keeps when it is still current."""
        if not self._hear():
            return _read(connection, operator_id)
        known = self._users.get(operator_id)
        if known is not None:
            return known
        generation = self.generation
        user = _read(connection, operator_id)
        with self._lock:
            if user is not None and generation == self.generation:
                self._users[operator_id] = user
        return user

    def forget(self, operator_ids: set[int]) -> None:
        with self._lock:
            self.generation += 1
            for operator_id in operator_ids:
                self._users.pop(operator_id, None)

    def _hear(self) -> bool:
        """Take in the changes announced since the last request (no round trip: the notices wait on the socket).
        False when this database cannot announce them (SQLite) or the listening connection is lost: then the row
        is read every time, and every copy is dropped until listening works again."""
        if self._engine.dialect.name != "postgresql":
            return False
        with self._lock:
            try:
                if self._listener is None:
                    self._listen()
                elif select.select([self._listener.fileno()], [], [], 0)[0]:
                    changed = {int(n.payload) for n in self._listener.notifies(timeout=0) if n.payload.isdigit()}
                    self.generation += 1
                    for operator_id in changed:
                        self._users.pop(operator_id, None)
                return True
            except (OSError, self._engine.dialect.loaded_dbapi.Error):
                self._close()
                return False

    def _listen(self) -> None:
        # Copies kept before listening started may have missed a change: none are kept across it.
        self._users.clear()
        self.generation += 1
        raw = self._engine.raw_connection()  # the pool's settings (time zone, no prepared statements) ...
        self._listener = raw.driver_connection
        raw.detach()  # ... but no longer one of the pool's: it stays with this directory
        self._listener.autocommit = True
        self._listener.execute(f"LISTEN {CHANNEL}")

    def close(self) -> None:
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._listener is not None:
            self._listener.close()  # psycopg closes a broken connection without complaint
        self._listener = None
        self._users.clear()
        self.generation += 1


#: One directory per pool: shared by the engine and its read-only variant (``Database.read_sessions``).
_directories: dict[Any, StaffDirectory] = {}


def _directory(engine: Engine) -> StaffDirectory:
    directory = _directories.get(engine.pool)
    if directory is None:
        directory = _directories.setdefault(engine.pool, StaffDirectory(engine))

        @event.listens_for(engine, "engine_disposed")
        def _disposed(_engine: Engine) -> None:  # the listening connection goes with the engine's others
            _directories.pop(engine.pool, None)
            directory.close()

    return directory


def _read(connection: Connection, operator_id: int) -> StaffUser | None:
    row = connection.execute(_ACTIVE_STAFF, {"id": operator_id}).first()
    return StaffUser(*row) if row is not None else None


@event.listens_for(Operator, "after_update")
@event.listens_for(Operator, "after_delete")
def _staff_row_changed(_mapper: Any, connection: Connection, target: Operator) -> None:
    """Announce the change to every process, in the changing transaction (PostgreSQL delivers it at commit), and
    drop this process's own copy once the change is committed."""
    if connection.dialect.name == "postgresql":
        connection.execute(select_(func.pg_notify(CHANNEL, str(target.id))))
    session = Session.object_session(target)
    if session is not None:
        session.info.setdefault("staff_changed", set()).add(target.id)


@event.listens_for(Session, "after_commit")
def _staff_change_committed(session: Session) -> None:
    changed = session.info.pop("staff_changed", None)
    directory = _directories.get(session.get_bind().engine.pool) if changed else None
    if directory is not None:
        directory.forget(changed)


@login_manager.user_loader
def _load_user(user_id: str) -> UserMixin | None:
    kind, _, raw_id = user_id.partition(":")
    if kind in (loaders := current_app.extensions.get(USER_LOADERS, {})):
        return loaders[kind](raw_id)  # a customer: the customer pages registered their loader
    operator_id, _, stamp = raw_id.partition(":")
    if kind == "staff" and operator_id.isdigit():
        user = _directory(database().engine).user(db_session().connection(), int(operator_id))
        if user is not None and stamp_matches(user, stamp):
            return user
    return None
