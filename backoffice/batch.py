"""Timed work on many rows: claimed a batch at a time, each batch in one transaction, each row in a savepoint.

Every job that acts on rows one by one (the scheduler's reminders, expiries, call retries and retention, Flow B's
reminders and removals, the requests' deadline reminders and closing) goes through :func:`each`. Why batches: a
transaction per row cost about eight round trips and a commit per row (21–63 ms an item under load), so a
backlog of thousands took minutes; one claim and one commit per batch makes the database's work follow the
items, not the transactions.

How each item stays done exactly once: the batch is claimed with one statement that names the due conditions,
``FOR UPDATE SKIP LOCKED``, so a second scheduler process skips the rows this one holds, and a row another
process changed before it was locked is re-checked against the conditions under the lock (PostgreSQL re-reads
a locked row that was updated, and drops it if it no longer matches). On SQLite (one writer) the lock clause is
left out and the write path's version check and the outbox's dedup key turn a lost race into a skip.

How one bad item never stops the rest: each item's work runs in a savepoint. A refusal of the workflow (a
``Conflict`` is one) or a database error in it rolls back that savepoint only; it is logged and skipped, and the
rest of the batch commits. The item is still due, so the next tick tries it again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Select, inspect
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from backoffice.database import Database
from workflows.engine import WorkflowError

log = logging.getLogger(__name__)
Row = TypeVar("Row")
#: Rows claimed and committed together. Large enough that a claim and a commit are cheap per item, small
#: enough that the locks are held for a second or so and a failed commit costs little work.
SIZE = 200
#: Rows one call looks at, at most; the rest wait for the next tick, so one job never holds the scheduler long.
LIMIT = 5000
#: Where :func:`after_commit` keeps what is to run once the batch's transaction has committed.
_AFTER = "batch.after_commit"


def each(
    db: Database,
    statement: Select[Any],
    work: Callable[[Session, Row], bool],
    *,
    what: str,
    size: int | None = None,
    limit: int | None = None,
) -> int:
    """Do ``work`` on every row ``statement`` selects, batch by batch; returns how many rows it did something to.

    ``statement`` selects one entity (``select(Model).where(...)``) and names the conditions under which the work
    is still due: they are evaluated under the lock, so a row another process has moved on is not claimed.
    Batches are taken in the order of the entity's primary key, each after the last row of the one before (a
    row the work declined or skipped is not claimed again in the same call). ``work`` says whether it did
    anything; a ``WorkflowError`` or a database error in it is logged with ``what`` and the row's key and skipped.
    A database error outside an item (the claim, the commit) ends the call: the next tick looks again.
    """
    size, limit = size or SIZE, limit or LIMIT  # read at call time, so a test can make batches small
    mapper = inspect(statement.column_descriptions[0]["entity"])
    key = mapper.primary_key[0]
    done = looked = 0
    last: Any = None
    while looked < limit:
        claim = statement.order_by(key).limit(min(size, limit - looked)).with_for_update(skip_locked=True)
        if last is not None:
            claim = claim.where(key > last)
        try:
            try:
                rows, did, afterwards = _batch(db, claim, work, what, careful=False)
            except (WorkflowError, SQLAlchemyError) as exc:
                # Some item failed and the batch was rolled back whole: do it again, each item in a savepoint.
                log.info("scheduler: %s: an item failed (%s); the batch again, item by item", what, exc)
                rows, did, afterwards = _batch(db, claim, work, what, careful=True)
        except OperationalError as exc:
            log.warning("scheduler: %s: a batch was not done, the next tick tries again: %s", what, exc)
            break
        if not rows:
            break
        last = rows[-1]
        looked += len(rows)
        done += did
        for fn in afterwards:
            fn()
        if len(rows) < size:
            break
    return done


def _batch(
    db: Database, claim: Select[Any], work: Callable[[Session, Any], bool], what: str, *, careful: bool
) -> tuple[list[Any], int, list[Callable[[], None]]]:
    """Claim one batch and do it in one transaction; returns the rows' keys, how many were done, what runs now.

    First without savepoints (``careful=False``): the writes of the whole batch are flushed together, which
    saves two round trips an item and lets SQLAlchemy send the rows of one table in one statement. Should any
    item fail, the caller rolls that back and calls again with ``careful=True``: a savepoint per item, so only
    the failing item is lost. Failures are rare (a conflict, a row changed under us), so the batch is rarely
    done twice, and when it is, nothing of the first try remains.
    """
    with db.session() as session:
        rows = session.scalars(claim).all()
        mapper = inspect(rows[0]).mapper if rows else None
        keys = [mapper.primary_key_from_instance(row)[0] for row in rows] if mapper else []
        if careful:
            did = sum(_item(session, row, work, what) for row in rows)
        else:
            did = sum(1 if work(session, row) else 0 for row in rows)
            session.flush()
    return keys, did, session.info.pop(_AFTER, [])  # the block has committed


def after_commit(session: Session, fn: Callable[[], None]) -> None:
    """Run ``fn`` once the batch ``session`` belongs to has committed, and never if this item is rolled back.

    For what must not happen before the rows are safe (removing a stored file the row no longer names).
    """
    session.info.setdefault(_AFTER, []).append(fn)


def _item(session: Session, row: Any, work: Callable[[Session, Any], bool], what: str) -> int:
    """One row in its own savepoint: 1 if the work was done, 0 if declined or rolled back."""
    pending: list[Callable[[], None]] = session.info.setdefault(_AFTER, [])
    mark = len(pending)
    try:
        with session.begin_nested():
            return 1 if work(session, row) else 0
    except (WorkflowError, SQLAlchemyError) as exc:
        if isinstance(exc, SQLAlchemyError) and not session.is_active:
            raise  # the connection itself is gone: nothing more can be done in this batch
        del pending[mark:]
        ident = inspect(row).identity
        log.warning("scheduler: %s %s skipped: %s", what, ident[0] if ident else "?", exc)
        return 0
