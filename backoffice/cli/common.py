"""What every ``backoffice`` command group shares: the deployment a command runs against, and its JSON output.

Commands run inside the app the ``backoffice`` group created from the deployment's settings
(``flask.cli.with_appcontext``); they take that app's database and settings from here and never build their own.
"""

from __future__ import annotations

import json
from typing import Any

import click
from flask import current_app

from backoffice.database import Database
from backoffice.settings import Settings


def database() -> Database:
    """The deployment's database (the one the app opened)."""
    db: Database = current_app.extensions["backoffice.db"]
    return db


def settings() -> Settings:
    """The deployment's settings, as the app loaded them."""
    loaded: Settings = current_app.config["SETTINGS"]
    return loaded


def deployment() -> tuple[Database, Settings]:
    return database(), settings()


def emit_json(data: Any) -> None:
    """A report as readable JSON (letters and words kept as they are, for a person or ``jq``)."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False))
