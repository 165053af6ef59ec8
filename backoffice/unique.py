"""Adding a row that a unique key may refuse, without losing the caller's transaction.

Two requests (or two pollers) may write the same row at the same moment; the unique key decides which one
wins. The row goes in as one ``INSERT … ON CONFLICT DO NOTHING RETURNING`` (PostgreSQL and SQLite both have it):
the loser's statement returns nothing and raises nothing, so its transaction lives on to find the winner's row
or to record the refusal. A savepoint around an ORM flush did the same in three round trips (SAVEPOINT, INSERT,
RELEASE) and caught any integrity error as "taken", a missing foreign key included; here only a unique key can
refuse, and anything else still fails loudly.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

T = TypeVar("T")

_INSERTS: dict[str, Any] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def insert_unless_taken(session: Session, row: T) -> T | None:
    """Insert the new, unsaved ``row``: the stored row (``row``'s values and the database's defaults, in the
    session) when it went in, None when a unique key refused it. ``row`` itself stays unsaved."""
    model = type(row)
    state = row.__dict__
    values = {attr.key: state[attr.key] for attr in inspect(model).column_attrs if attr.key in state}
    insert = _INSERTS[session.get_bind().dialect.name]
    statement = insert(model).values(values).on_conflict_do_nothing().returning(model)
    stored: T | None = session.scalars(statement).first()
    return stored
