"""Timed work on many rows: each row in its own short transaction, locked, and skipped when another has it.

Every job that acts on rows one by one (the scheduler's reminders, expiries, call retries and retention, Flow B's
reminders and removals) goes through :func:`once`. The row is locked ``FOR UPDATE SKIP LOCKED`` and its state
re-read under the lock, so a second scheduler process either skips it (locked) or finds it already moved on; on
SQLite (one writer) the lock is a no-op and the write path's version check turns a lost race into a skip.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from backoffice.database import Database
from workflows.engine import WorkflowError

log = logging.getLogger(__name__)
Row = TypeVar("Row")


def once(db: Database, statement: Select[Any], work: Callable[[Session, Row], bool], *, what: str) -> int:
    """Do ``work`` on the one row ``statement`` selects, if it is still there and no other process holds it.

    ``statement`` names the row and the conditions under which the work is still due (its id and states);
    ``work`` says whether it did anything. Returns 1 when the work was done here, else 0. A lost race or a
    refusal of the workflow (a ``Conflict`` is one) is logged with ``what`` and skipped: the next tick looks
    again, and one row never stops the rest of the batch.
    """
    try:
        with db.session() as session:
            row = session.scalars(statement.with_for_update(skip_locked=True)).first()
            if row is None:
                return 0
            return 1 if work(session, row) else 0
    except (WorkflowError, OperationalError) as exc:
        log.warning("scheduler: %s skipped: %s", what, exc)
        return 0
