"""Units of work over whatever the caller holds: the process's :class:`Database` or a bare session factory.

The intake is called from the CLI, the web app and the scheduler, each with its own way to the database; each
step of the intake commits on its own, which is what makes a crash between two steps harmless.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Union

from sqlalchemy.orm import Session

from backoffice.database import Database

SessionSource = Union[Database, Callable[[], Session]]  # noqa: UP007 - a runtime alias, not an annotation


@contextmanager
def unit_of_work(source: SessionSource) -> Iterator[Session]:
    """A session committed when the block ends normally and rolled back when it raises."""
    if isinstance(source, Database):
        with source.session() as session:
            yield session
        return
    with source() as session, session.begin():
        yield session
