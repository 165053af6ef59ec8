"""``backoffice intake``: poll the intake mailbox, watch it, import saved messages, write the PDF forms."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from backoffice.database import Database
from backoffice.settings import Settings


def _db() -> Database:
    database: Database = current_app.extensions["backoffice.db"]
    return database


def _settings() -> Settings:
    settings: Settings = current_app.config["SETTINGS"]
    return settings


def _print(summary: Any, as_json: bool) -> None:
    data = summary.as_dict()
    if as_json:
        click.echo(json.dumps(data, sort_keys=False))
    else:
        click.echo(", ".join(f"{key.replace('_', ' ')}: {value}" for key, value in data.items()))


@click.group("intake")
def intake_cli() -> None:
    """Applications arriving by email (Maildir or IMAP, see [intake] and [imap] in config.toml)."""


@intake_cli.command("poll")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@with_appcontext
def poll_command(as_json: bool) -> None:
    """Process what is waiting in the mailbox once, then exit."""
    from backoffice.intake.service import poll

    try:
        summary = poll(_db(), _settings())
    except OSError as exc:
        raise click.ClickException(f"the intake mailbox cannot be read: {exc}") from None
    _print(summary, as_json)


@intake_cli.command("watch")
@click.option("--json", "as_json", is_flag=True, help="Print each poll's counts as JSON.")
@with_appcontext
def watch_command(as_json: bool) -> None:
    """Keep polling: woken by IMAP IDLE where the server supports it, else every poll_interval_seconds."""
    from backoffice.intake.service import watch
    from backoffice.monitoring import heartbeat, logs

    logs.configure(_settings())
    stopping = {"now": False}

    def stop(signum: int, frame: object) -> None:
        stopping["now"] = True

    def reported(summary: Any) -> None:
        _print(summary, as_json)
        heartbeat.beat(_db(), heartbeat.INTAKE, ok=True)  # for /readyz: the mailbox was read just now

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    watch(
        _db(),
        _settings(),
        report=reported,
        should_stop=lambda: stopping["now"],
    )


@intake_cli.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@with_appcontext
def import_command(files: tuple[Path, ...], as_json: bool) -> None:
    """Take saved messages (.eml files) as if they had arrived by email; importing one twice changes nothing."""
    from backoffice.intake.service import import_files

    _print(import_files(_db(), _settings(), files), as_json)


@intake_cli.command("forms")
@click.option(
    "--output-dir",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder to write the forms into.",
)
@click.option("--language", type=click.Choice(["uk", "ru", "en"]), default=None, help="Default: the site's.")
@with_appcontext
def forms_command(output_dir: Path, language: str | None) -> None:
    """Write the fillable accession forms (universal service, free price) for the supplier to publish."""
    from backoffice.contracts.models import CommercialOffer
    from backoffice.documents import forms

    settings = _settings()
    language = language or settings.site.default_language
    output_dir.mkdir(parents=True, exist_ok=True)
    for offer in CommercialOffer:
        try:
            data = forms.generate(offer, language=language, supplier=settings.site.supplier_name)
        except forms.FontMissing as exc:
            raise click.ClickException(str(exc)) from None
        path = output_dir / forms.filename(offer, language)
        path.write_bytes(data)
        click.echo(f"Wrote {path}")
