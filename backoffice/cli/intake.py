"""``backoffice intake``: poll the intake mailbox, watch it, import saved messages, write the PDF forms.

What goes wrong outside the product (the mailbox, the database, the documents disk) is told in the site's
language, naming which of them it is: the administrator reading it decides where to look.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import click
from flask.cli import with_appcontext
from flask_babel import gettext
from sqlalchemy.exc import DBAPIError

from backoffice.cli import common
from backoffice.intake.outages import (
    DATABASE_POLL_AGAIN,
    DATABASE_WAITS,
    DISK_WAITS,
    describe_database,
    is_database_outage,
)
from workflows.i18n import N_

MAILBOX_UNREADABLE = N_("The intake mailbox cannot be read: %(error)s")
UNTAKEN = N_("Messages that could not be read: %(count)d; each is in quarantine with its reason.")


def _print(summary: Any, as_json: bool) -> None:
    data = summary.as_dict()
    if as_json:
        click.echo(json.dumps(data, sort_keys=False))
    else:
        click.echo(", ".join(f"{key.replace('_', ' ')}: {value}" for key, value in data.items()))
    if summary.disk_problem is not None:
        click.echo(_disk_sentence(summary), err=True)
    if summary.untaken:
        click.echo(gettext(UNTAKEN) % {"count": summary.untaken}, err=True)


def _disk_sentence(summary: Any) -> str:
    return f"{summary.disk_problem.describe(gettext)}. {gettext(DISK_WAITS)}"


def _finish(summary: Any, as_json: bool, *, fail_untaken: bool = False) -> None:
    """Print the counts; a disk that stopped some messages makes the command fail (cron and monitoring see it),
    and so does, with ``fail_untaken``, a file that could not be read (whoever ran the import must look)."""
    _print(summary, as_json)
    if summary.disk_problem is not None or (fail_untaken and summary.untaken):
        raise SystemExit(1)


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
        summary = poll(common.database(), common.settings())
    except OSError as exc:
        raise click.ClickException(gettext(MAILBOX_UNREADABLE) % {"error": exc}) from None
    except DBAPIError as exc:
        if not is_database_outage(exc):
            raise
        raise click.ClickException(f"{describe_database(exc, gettext)}. {gettext(DATABASE_POLL_AGAIN)}") from None
    _finish(summary, as_json)


@intake_cli.command("watch")
@click.option("--json", "as_json", is_flag=True, help="Print each poll's counts as JSON.")
@with_appcontext
def watch_command(as_json: bool) -> None:
    """Keep polling: woken by IMAP IDLE where the server supports it, else every poll_interval_seconds."""
    from backoffice.intake.service import watch
    from backoffice.monitoring import heartbeat, logs

    logs.configure(common.settings())
    stopping = {"now": False}

    def stop(signum: int, frame: object) -> None:
        stopping["now"] = True

    def database_lost(exc: DBAPIError, wait: float) -> None:
        click.echo(f"{describe_database(exc, gettext)}. {gettext(DATABASE_WAITS) % {'seconds': wait}}", err=True)

    def reported(summary: Any) -> None:
        _print(summary, as_json)
        heartbeat.beat(common.database(), heartbeat.INTAKE, ok=True)  # for /readyz: the mailbox was read just now

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    watch(
        common.database(),
        common.settings(),
        report=reported,
        should_stop=lambda: stopping["now"],
        database_lost=database_lost,
    )


@intake_cli.command("import")
# Each path is taken on its own: one that is missing or cannot be read is quarantined with its reason, never a
# reason to import none of the others.
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@with_appcontext
def import_command(files: tuple[Path, ...], as_json: bool) -> None:
    """Take saved messages (.eml files) as if they had arrived by email; importing one twice changes nothing.

    Exits 1 when a file could not be read: it is in quarantine with its reason, and the others were imported.
    """
    from backoffice.intake.service import import_files

    _finish(import_files(common.database(), common.settings(), files), as_json, fail_untaken=True)


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

    settings = common.settings()
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
