"""Adding a row that a unique key may refuse, without losing the caller's transaction.

Two requests (or two pollers) may write the same row at the same moment; the unique key decides which one
wins. The row is added in a savepoint, so the loser's transaction lives on to find the winner's row or to
record the refusal.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session


def add_unless_taken(session: Session, row: object) -> bool:
    """Add and flush ``row`` in a savepoint: True when it was added, False when a unique key refused it."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True
