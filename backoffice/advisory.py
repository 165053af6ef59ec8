"""PostgreSQL advisory locks named by text, for work that has no row of its own to lock.

The scheduler holds one for a whole job (``scheduler.locks.job_lock``); the intake holds one for a transaction
while it puts a split message back together (``intake.partial.hold``). On SQLite one connection writes at a
time, which already keeps such work apart.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import text
from sqlalchemy.orm import Session


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for an advisory lock (PostgreSQL's ``hashtext`` is not guaranteed stable)."""
    return int.from_bytes(hashlib.sha256(f"backoffice/{name}".encode()).digest()[:8], "big", signed=True)


def hold_for_transaction(session: Session, name: str) -> None:
    """Wait for the lock called ``name`` and hold it until the session's transaction ends (PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_key(name)})
