"""The plans PostgreSQL makes for the statements code really sends: for tests that a lookup reads its index.

The statements are caught on their way to PostgreSQL and explained with sequential scans off (a test's tables are
tiny), so that each plan names the index the lookup would read on a table of millions; an index scan of the
primary key that filters every row would not name it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, text

from backoffice.database import Database


@contextmanager
def _sent(db: Database) -> Iterator[list[tuple[str, Any]]]:
    statements: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)


def explain_sent(db: Database, run: Callable[[], object]) -> list[str]:
    """The plan of every SELECT that ``run`` sends through ``db``'s engine."""
    with _sent(db) as statements:
        run()
    explained_all = []
    with db.engine.connect() as conn:
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        for statement, parameters in statements:
            explained = conn.exec_driver_sql("EXPLAIN " + statement, parameters)
            explained_all.append("\n".join(row[0] for row in explained))
    return explained_all
