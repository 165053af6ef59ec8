"""Making sure timed work happens once even when two scheduler processes run against one PostgreSQL.

Two tools, each where it fits:

* per-item work (a reminder, an expiry, a call retry, a retention run on one application) locks the item's row
  with ``FOR UPDATE SKIP LOCKED`` and re-checks that the work is still due inside that transaction: the second
  process skips the row while the first holds it, and afterwards no longer finds it due;
* whole-job work that has no row to lock (polling the intake mailbox) takes a PostgreSQL advisory lock named
  after the job; a second process that cannot get it skips its tick.

On SQLite (the embedded single-machine default) one process writes at a time; the same code runs, the row
lock is a no-op and the version check of the write path turns a lost race into a skipped item.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text

from backoffice.advisory import lock_key
from backoffice.database import Database


@contextmanager
def job_lock(db: Database, name: str) -> Iterator[bool]:
    """Yields True when this process may run the job now, False when another process is running it."""
    if db.engine.dialect.name != "postgresql":
        yield True
        return
    key = lock_key(name)
    with db.engine.connect() as connection:
        got = bool(connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
        connection.commit()
        try:
            yield got
        finally:
            if got:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                connection.commit()
