"""Schema migrations with Alembic, driven from Python so the CLI and the tests share one path."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: Search structures that exist on one backend only and so have no model: SQLite's full-text index of the queue
#: (a virtual table and its shadow tables) and PostgreSQL's trigram indexes. Comparing models with the schema
#: leaves them out.
NOT_MODELLED = {"table": ("application_search",), "index": ("ix_application_trgm_",)}


def is_modelled(name: str | None, type_: str, *_: object) -> bool:
    """Alembic ``include_name`` hook: skip what :data:`NOT_MODELLED` lists."""
    return not (name is not None and name.startswith(NOT_MODELLED.get(type_, ())))


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the database to ``revision``; creates every table on an empty database."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current(engine: Engine) -> str | None:
    """The revision the database is at; several, comma-separated, while branches of the history (features
    migrated in parallel from one base) have not been merged."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        heads = MigrationContext.configure(connection).get_current_heads()
    return ",".join(sorted(heads)) or None
