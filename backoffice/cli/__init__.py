"""The ``backoffice`` command: run the product, migrate, manage staff, import contracts, inspect applications.

Every command runs inside the app (settings, database, translations) and changes data only through the same
services the web pages use.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from backoffice.actors import Actor
from backoffice.cli import common
from backoffice.database import Database
from backoffice.settings import SettingsError
from workflows.roles import Role

CLI_ACTOR = Actor.system("cli")


def _create_app() -> Flask:
    """The app a command runs in: with the pages only for ``run``, the one command that serves them from its own
    process (``serve`` hands over to gunicorn, whose workers build theirs from ``backoffice.wsgi``)."""
    from backoffice.app import create_app

    command = click.get_current_context(silent=True)
    try:
        return create_app(pages=command is None or command.command is run_command)
    except SettingsError as exc:
        click.echo(f"Settings error: {exc}", err=True)
        sys.exit(3)


main = FlaskGroup(
    name="backoffice",
    create_app=_create_app,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
    help="Registration back office for electricity suppliers.",
)


# -- run ---------------------------------------------------------------------------------------------------------


@main.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option(
    "--demo", is_flag=True, help="Load demo data (centers, staff, contracts, ~50 applications) if empty."
)
@with_appcontext
def run_command(host: str, port: int, demo: bool) -> None:
    """Run the back office on the development server (migrates the database first).

    Unless ``[site] base_url`` was set, the links in letters point at this server (``--host``, ``--port``): a demo
    started on another port must not send its customers to port 5000.
    """
    from backoffice import migrate

    if "site.base_url" not in common.settings().explicit:
        current_app.config["SETTINGS"] = common.settings().replace(site={"base_url": served_at(host, port)})
    migrate.upgrade(common.database().engine)
    if demo:
        from backoffice import demo as demo_data

        with common.database().session() as session:
            loaded = demo_data.load(session, common.settings())
        if loaded:
            click.echo(demo_data.CREDENTIALS_NOTE)
    url = served_at(host, port)
    click.echo(f"Back office: {url}/admin   (staff login: {url}/staff/login)")
    from werkzeug.serving import run_simple

    from backoffice.scheduler.embedded import start_in_process

    scheduler = start_in_process(common.database(), common.settings())  # letters, reminders: see [scheduler]
    try:
        run_simple(host, port, current_app._get_current_object(), use_reloader=False, threaded=True)  # type: ignore[attr-defined]
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)


def served_at(host: str, port: int) -> str:
    """The address a browser on this machine opens the development server at (a wildcard host is listened on
    every interface, the loopback among them)."""
    if host in {"", "0.0.0.0", "::"}:  # noqa: S104 - read, not bound
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


# -- serve -------------------------------------------------------------------------------------------------------

GUNICORN_CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "gunicorn.conf.py"


@main.command("serve")
@click.option(
    "--migrate",
    "migrate_first",
    is_flag=True,
    help="Apply migrations before starting (by default nothing is migrated: run `backoffice db upgrade` first).",
)
def serve_command(migrate_first: bool) -> None:
    """Run the production web server: gunicorn with deploy/gunicorn.conf.py, set up by config.toml's [server].

    No scheduler runs inside it, whatever [scheduler] run_with_web says: start `backoffice scheduler run` and
    `backoffice intake watch` as processes of their own.
    """
    if migrate_first:
        from backoffice import migrate
        from backoffice import settings as settings_module

        try:
            settings = settings_module.load()
        except SettingsError as exc:
            click.echo(f"Settings error: {exc}", err=True)
            sys.exit(3)
        database = Database(settings.database_url)
        try:
            migrate.upgrade(database.engine)
            click.echo(f"Database at revision {migrate.current(database.engine)}")
        finally:
            database.dispose()
    # gunicorn replaces this process, so that a service manager's signals (SIGTERM, SIGHUP) reach its master.
    argv = [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONFIG), "backoffice.wsgi:app"]
    os.execv(sys.executable, argv)  # noqa: S606 - our own interpreter, fixed arguments


# -- db ----------------------------------------------------------------------------------------------------------


@main.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@click.option("--revision", default="heads", show_default=True)
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (creates the schema on an empty database)."""
    from backoffice import migrate

    migrate.upgrade(common.database().engine, revision)
    click.echo(f"Database at revision {migrate.current(common.database().engine)}")


# -- operators ---------------------------------------------------------------------------------------------------


@main.group("operators")
def operators_group() -> None:
    """Staff accounts."""


@operators_group.command("create")
@click.option("--login", required=True)
@click.option("--full-name", required=True)
@click.option("--role", type=click.Choice(["operator", "supervisor", "admin"]), required=True)
@click.option("--center", "center_code", default=None, help="Service center code (required for operators).")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input instead of prompting."
)
@with_appcontext
def operators_create(
    login: str, full_name: str, role: str, center_code: str | None, password_stdin: bool
) -> None:
    """Create a staff account; the password is prompted (or read from stdin), never passed as an argument."""
    from backoffice.staff import services as staff
    from backoffice.validation.problems import Invalid

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with common.database().session() as session:
        center = None
        if center_code:
            center = staff.center_by_code(session, center_code)
            if center is None:
                raise click.ClickException(f"no service center with code {center_code!r}")
        try:
            operator = staff.create_operator(
                session,
                CLI_ACTOR,
                login=login,
                full_name=full_name,
                role=Role(role),
                password=password,
                center=center,
            )
        except Invalid as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Created {operator.role.value} {operator.login}")


# -- contracts ---------------------------------------------------------------------------------------------------


@main.group("contracts")
def contracts_group() -> None:
    """The registry of supply contracts."""


@contracts_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@with_appcontext
def contracts_import(file: Path, as_json: bool) -> None:
    """Load the supplier's CSV export of contracts (UTF-8 or Windows-1251); safe to run again."""
    from backoffice.contracts.importer import ImportFileError, import_file

    with common.database().session() as session:
        try:
            report = import_file(session, file, CLI_ACTOR)
        except ImportFileError as exc:
            raise click.ClickException(f"{file}: {exc}") from None
    if as_json:
        common.emit_json(report.as_dict())
    else:
        click.echo(
            f"{file}: {report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
            f"{len(report.rejected)} rejected ({report.encoding})"
        )
        for line, reason in report.rejected:
            click.echo(f"  line {line}: {reason}", err=True)
    if report.rejected:
        sys.exit(1)


# -- applications ------------------------------------------------------------------------------------------------


@main.group("applications")
def applications_group() -> None:
    """Look at applications."""


@applications_group.command("list")
@click.option("--state", default=None, help="Only applications in this state.")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def applications_list(state: str | None, as_json: bool) -> None:
    """List applications, newest first."""
    from backoffice.applications.models import Application
    from backoffice.applications.serialize import summary
    from workflows.accession import AccessionState

    query = select(Application).options(
        selectinload(Application.center),
        selectinload(Application.assignee),
        selectinload(Application.contract),
    )
    if state:
        try:
            query = query.where(Application.state == AccessionState(state))
        except ValueError:
            raise click.BadParameter(
                f"unknown state; one of: {', '.join(s.value for s in AccessionState)}", param_hint="--state"
            ) from None
    with common.database().session() as session:
        rows = session.scalars(query.order_by(Application.received_at.desc(), Application.id.desc())).all()
        if as_json:
            common.emit_json([summary(a) for a in rows])
            return
        for a in rows:
            click.echo(f"{a.number:<12} {a.state.value:<28} {a.identifier:<10} {a.consumer_name}")
        click.echo(f"{len(rows)} application(s)")


@applications_group.command("show")
@click.argument("number")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def applications_show(number: str, as_json: bool) -> None:
    """One application: data, state, documents, calls and the full audit trail."""
    from backoffice.applications import services
    from backoffice.applications.serialize import full

    with common.database().session() as session:
        app = services.by_number(session, number)
        if app is None:
            raise click.ClickException(f"no application {number}")
        data = full(session, app)
    if as_json:
        common.emit_json(data)
        return
    for key in (
        "number",
        "state",
        "channel",
        "commercial_offer",
        "consumer_name",
        "identifier",
        "email",
        "contact_name",
        "service_center",
        "assignee",
        "contract_number",
        "received_at",
    ):
        click.echo(f"{key:>18}: {data[key] if data[key] is not None else ''}")
    click.echo(f"{'phones':>18}: {', '.join(data['phones'])}")
    click.echo("Documents:")
    for d in data["documents"]:
        click.echo(f"  {d['filename']} ({d['kind']}, {d['size']} bytes)")
    click.echo("History:")
    for e in data["audit"]:
        move = f"{e['from_state'] or ''} -> {e['to_state']}" if e["to_state"] else ""
        click.echo(f"  {e['at']}  {e['actor']:<14} {e['action']:<18} {move}  {e['reason']}")


# -- workflows ---------------------------------------------------------------------------------------------------


@main.group("workflows")
def workflows_group() -> None:
    """The state machines."""


@workflows_group.command("diagram")
@click.option("--format", "fmt", type=click.Choice(["mermaid", "svg"]), default="mermaid", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None)
def workflows_diagram(fmt: str, output: Path | None) -> None:
    """Draw the Flow A state diagram from the same table the workflow runs."""
    from workflows.accession import ACCESSION
    from workflows.diagram import DiagramError, svg

    if fmt == "mermaid":
        text = ACCESSION.mermaid()
        data = text.encode()
    else:
        try:
            data = svg(ACCESSION)
        except DiagramError as exc:
            raise click.ClickException(str(exc)) from None
    if output:
        output.write_bytes(data)
        click.echo(f"Wrote {output}")
    else:
        sys.stdout.buffer.write(data)


# Commands that live with their feature register here.
for _module, _name in (
    ("backoffice.cli.signatures", "signatures_cli"),
    ("backoffice.cli.letters", "letters_cli"),
    ("backoffice.cli.scheduler", "scheduler_cli"),
    ("backoffice.cli.intake", "intake_cli"),
):
    try:
        main.add_command(getattr(importlib.import_module(_module), _name))
    except ModuleNotFoundError as _exc:  # the feature is not installed in this build
        if _exc.name != _module:
            raise
