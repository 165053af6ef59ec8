"""Keyset paging, for every list of the back office.

A list is read a page at a time in a fixed order whose last column is unique (the id): the next page starts
after the last row shown, carried in the link as an opaque cursor. Unlike ``OFFSET``, the database reads only
the page, whatever page it is, and a row written meanwhile never shifts a row onto two pages or off both.

:class:`Keyset` is the order; :meth:`Keyset.page` reads one page of an ORM ``select``. The pieces it is made of
(:meth:`Keyset.after`, :meth:`Keyset.order_by`, :meth:`Keyset.cut`) are public so that a list that runs its own
statement (the work queue, with its sort orders chosen by the user) pages the same way: it adds ``after(cursor)``
and ``order_by()`` to its statement, fetches ``size + 1`` rows however it likes, and cuts them.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, literal, tuple_
from sqlalchemy.orm import Session

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its rows, and the cursor of the page after it (None on the last page)."""

    rows: Sequence[T]
    next_after: str | None


@dataclass(frozen=True)
class Keyset:
    """The order of a list: ``columns`` (ORM attributes, the last one unique), newest first unless told."""

    columns: tuple[Any, ...]
    descending: bool = True

    def order_by(self) -> list[Any]:
        return [c.desc() if self.descending else c.asc() for c in self.columns]

    def after(self, cursor: str) -> ColumnElement[bool] | None:
        """The condition for the rows after ``cursor``; None for no cursor or one that was tampered with."""
        values = self.decode(cursor) if cursor else None
        if values is None:
            return None
        if len(self.columns) == 1:
            key, value = self.columns[0], values[0]
        else:
            # Each value bound with its column's type, so that it is compared in stored form (moments on SQLite).
            typed = (literal(v, c.type) for c, v in zip(self.columns, values, strict=True))
            key, value = tuple_(*self.columns), tuple_(*typed)
        return key < value if self.descending else key > value

    def cut(self, rows: Sequence[T], size: int) -> Page[T]:
        """``size + 1`` fetched rows as a page: the extra row only says that there is a next page."""
        shown = rows[:size]
        return Page(shown, self.encode(shown[-1]) if len(rows) > size else None)

    def page(self, session: Session, statement: Select[Any], cursor: str, size: int) -> Page[Any]:
        """One page of ``statement`` (a ``select`` of one entity) after ``cursor``."""
        condition = self.after(cursor)
        if condition is not None:
            statement = statement.where(condition)
        return self.cut(session.scalars(statement.order_by(*self.order_by()).limit(size + 1)).all(), size)

    def encode(self, row: Any) -> str:
        """The cursor that continues after ``row``: its key values as URL-safe JSON (moments in ISO form)."""
        values = [getattr(row, c.key) for c in self.columns]
        text = json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values], separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    def decode(self, cursor: str) -> tuple[Any, ...] | None:
        try:
            values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
            if not isinstance(values, list) or len(values) != len(self.columns):
                return None
            return tuple(_typed(c, v) for c, v in zip(self.columns, values, strict=True))
        except (ValueError, TypeError):
            return None


def _typed(column: Any, value: Any) -> Any:
    """A cursor's value as the column's Python type: a link carries text, the database compares typed values."""
    kind_of = getattr(column.type, "impl_instance", column.type)  # a TypeDecorator says "object" of itself
    try:
        kind = kind_of.python_type
    except NotImplementedError:
        return value
    if kind is datetime:
        return datetime.fromisoformat(value)
    if kind is int and not isinstance(value, int):
        raise TypeError("not a whole number")
    return value
