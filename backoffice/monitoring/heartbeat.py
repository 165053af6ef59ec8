"""Heartbeats: processes that run apart from the web server say, in the shared database, that they are alive.

Recording a heartbeat must never be what stops the work it reports on: a database that is down is logged and
the job or poll goes on (the stale heartbeat is then exactly what /readyz should see).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from backoffice.database import Database
from backoffice.monitoring.models import Heartbeat
from backoffice.types import utcnow

log = logging.getLogger(__name__)
SCHEDULER = "scheduler"
INTAKE = "intake"
JOB_PREFIX = "job:"


def job(job_id: str) -> str:
    return JOB_PREFIX + job_id


def beat(db: Database, *names: str, ok: bool, now: datetime | None = None) -> None:
    """Record that the named processes ran just now, and whether the run succeeded (one short transaction)."""
    now = now or utcnow()
    values: dict[str, Any] = {"beat_at": now, "outcome": "ok" if ok else "failed", "process": _process()}
    if ok:
        values["succeeded_at"] = now
    try:
        with db.session() as session:
            for name in names:
                _upsert(session, name, values)
    except SQLAlchemyError as exc:
        log.warning("heartbeat %s not recorded: %s", ", ".join(names), exc.__class__.__name__)


def _process() -> str:
    # Read at each beat, not at import: a forked child has a pid of its own.
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def _upsert(session: Session, name: str, values: dict[str, Any]) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(Heartbeat).values(name=name, **values)
    session.execute(statement.on_conflict_do_update(index_elements=[Heartbeat.name], set_=values))


def read(session: Session, names: Iterable[str] | None = None) -> dict[str, Heartbeat]:
    query = select(Heartbeat)
    if names is not None:
        query = query.where(Heartbeat.name.in_(list(names)))
    return {row.name: row for row in session.scalars(query)}
