"""SQLite's stand-in for pg_trgm: an FTS5 table with the trigram tokenizer over name, email and phones.

It is an external-content table kept in step with ``application`` by triggers. SQLite drops a table's triggers
when the table is rebuilt (Alembic's batch mode rebuilds it for column changes), so the queue checks once per
process that they exist and puts them back (with a full re-index) if a later migration removed them.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

TABLE = "application_search"
TRIGGERS = ("application_search_ai", "application_search_ad", "application_search_au")

CREATE_TABLE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS application_search USING fts5("
    "consumer_name, email, phones, content='application', content_rowid='id', tokenize='trigram')"
)
CREATE_TRIGGERS = (
    "CREATE TRIGGER IF NOT EXISTS application_search_ai AFTER INSERT ON application BEGIN "
    "INSERT INTO application_search(rowid, consumer_name, email, phones) "
    "VALUES (new.id, new.consumer_name, new.email, new.phones); END",
    "CREATE TRIGGER IF NOT EXISTS application_search_ad AFTER DELETE ON application BEGIN "
    "INSERT INTO application_search(application_search, rowid, consumer_name, email, phones) "
    "VALUES ('delete', old.id, old.consumer_name, old.email, old.phones); END",
    "CREATE TRIGGER IF NOT EXISTS application_search_au AFTER UPDATE OF consumer_name, email, phones "
    "ON application BEGIN "
    "INSERT INTO application_search(application_search, rowid, consumer_name, email, phones) "
    "VALUES ('delete', old.id, old.consumer_name, old.email, old.phones); "
    "INSERT INTO application_search(rowid, consumer_name, email, phones) "
    "VALUES (new.id, new.consumer_name, new.email, new.phones); END",
)
REBUILD = "INSERT INTO application_search(application_search) VALUES ('rebuild')"

_ready: set[str] = set()


def install(connection: Connection) -> None:
    """Create the table and triggers (whatever is missing) and index every application again."""
    connection.execute(text(CREATE_TABLE))
    for statement in CREATE_TRIGGERS:
        connection.execute(text(statement))
    connection.execute(text(REBUILD))


def ensure(connection: Connection) -> None:
    """Once per process and database: repair the index if a table rebuild dropped its triggers."""
    key = str(connection.engine.url)
    if key in _ready:
        return
    present = {
        name
        for (name,) in connection.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'application_search_%'")
        )
    }
    if not set(TRIGGERS) <= present:
        with connection.engine.begin() as repair:  # its own transaction: the page's may be read-only
            install(repair)
    _ready.add(key)
