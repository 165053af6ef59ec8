"""The PostgreSQL driver's cursor, with its result description built only when something reads it.

SQLAlchemy asks every cursor for ``description`` after each statement, to learn whether rows came back. Once
a statement has run, SQLAlchemy keeps its result metadata with the compiled statement and never looks at the
columns again, but psycopg builds the whole list anyway: one ``Column`` object per column, each decoding its
name and looking up its type. For the queue's 16 columns that is about 18 µs a statement, 3–4 % of a short
queue statement's time (``docs/benchmarks.md``, "The description built when read"). Neither library has a
setting for it; psycopg's documented extension point is the connection's ``cursor_factory``, which this fills.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from types import SimpleNamespace
from typing import Any, overload

import psycopg
from psycopg.pq import ExecStatus

#: The statuses of a result that describes rows even when it has no columns (``SELECT ;``), as psycopg's own.
_ROWS = (ExecStatus.TUPLES_OK, ExecStatus.SINGLE_TUPLE, ExecStatus.TUPLES_CHUNK)


class Description(Sequence[psycopg.Column]):
    """One result's columns, as psycopg describes them, made on first read.

    It holds the result it was taken from, so the columns describe that result even when they are built after
    the cursor has moved on to another statement."""

    __slots__ = ("_columns", "_cursor", "_result")

    def __init__(self, cursor: psycopg.Cursor[Any], result: Any) -> None:
        self._cursor = cursor
        self._result = result
        self._columns: list[psycopg.Column] | None = None

    def _built(self) -> list[psycopg.Column]:
        if self._columns is None:
            # A column reads its result, the text encoding and the type registry from the object it is given.
            source = SimpleNamespace(
                pgresult=self._result, _encoding=self._cursor._encoding, adapters=self._cursor.adapters
            )
            self._columns = [psycopg.Column(source, i) for i in range(self._result.nfields)]  # type: ignore[arg-type]
        return self._columns

    def __len__(self) -> int:
        return int(self._result.nfields)

    @overload
    def __getitem__(self, index: int) -> psycopg.Column: ...

    @overload
    def __getitem__(self, index: slice) -> list[psycopg.Column]: ...

    def __getitem__(self, index: int | slice) -> psycopg.Column | list[psycopg.Column]:
        return self._built()[index]

    def __iter__(self) -> Iterator[psycopg.Column]:
        return iter(self._built())

    def __repr__(self) -> str:
        return repr(self._built())


class Cursor(psycopg.Cursor[Any]):
    """psycopg's cursor, whose ``description`` costs nothing until its columns are read."""

    @property
    def description(self) -> Description | None:  # type: ignore[override]
        result = self.pgresult
        if result and (result.nfields or result.status in _ROWS):
            return Description(self, result)
        return None
