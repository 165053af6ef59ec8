"""The command line, as scripts use it: JSON listings of the demo queue and one application's full story."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from backoffice import demo
from backoffice.cli import main
from backoffice.database import Database
from backoffice.settings import Settings
from tests.conftest import app_on
from tests.factories import Factory
from tests.services import cli_environment
from workflows.accession import AccessionState

REPO = Path(__file__).resolve().parents[2]


def _load_demo(session: Session, settings: Settings) -> None:
    assert demo.load(session, settings) is True
    session.commit()


def test_json_listing_and_details_on_demo_data(app: Flask, session: Session, settings: Settings) -> None:
    _load_demo(session, settings)
    result = app.test_cli_runner().invoke(main, ["applications", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert len(rows) == sum(count for count, _ in demo.SCENARIOS) == 50
    states = {row["state"] for row in rows}
    assert {"received", "awaiting_signature_check", "code_issued", "rejected", "withdrawn"} <= states
    first = rows[0]
    assert set(first) >= {"number", "state", "channel", "commercial_offer", "consumer_name", "identifier",
                          "identifier_kind", "email", "phones", "contact_name", "service_center", "assignee",
                          "contract_number", "received_at", "version"}
    assert not any("code_word" in key and key != "has_code_word" for key in first)
    assert all(row["phones"] and row["phones"][0].startswith("+380") for row in rows)
    received = [r["received_at"] for r in rows]
    assert received == sorted(received, reverse=True)


    # filtered by state
    result = app.test_cli_runner().invoke(main, ["applications", "list", "--state", "code_issued", "--json"])
    rows = json.loads(result.output)
    assert rows and {r["state"] for r in rows} == {"code_issued"}
    bad = app.test_cli_runner().invoke(main, ["applications", "list", "--state", "nonsense"])
    assert bad.exit_code != 0 and "unknown state" in bad.output


    # one application's full story
    issued = next(r for r in rows if r["state"] == AccessionState.CODE_ISSUED.value)
    result = app.test_cli_runner().invoke(main, ["applications", "show", issued["number"], "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["number"] == issued["number"]
    assert data["documents"] and data["documents"][0]["filename"].endswith(".pdf")
    assert [c["outcome"] for c in data["calls"]] == ["confirmed"]
    assert data["calls"][0]["code_word_matched"] is True
    moves = [(e["action"], e["to_state"]) for e in data["audit"] if e["to_state"]]
    assert moves == [
        ("create", "received"),
        ("submit_for_check", "awaiting_signature_check"),
        ("accept_signature", "awaiting_confirmation_call"),
        ("confirm", "confirmed"),
        ("issue_code", "code_issued"),
    ]
    assert "демо" not in result.output.lower()  # the code word never leaves the database
    assert demo.load(session, settings) is False  # demo data goes only into an empty database


def test_show_unknown_number(app: Flask) -> None:
    result = app.test_cli_runner().invoke(main, ["applications", "show", "1999-000001"])
    assert result.exit_code != 0 and "no application 1999-000001" in result.output




def test_operators_create_reads_the_password_from_stdin(app: Flask, session: Session, make: Factory) -> None:
    make.center(code="KR")
    session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(
        main, ["operators", "create", "--login", "Nova.Operator", "--full-name", "Нова Операторка", "--role",
               "operator", "--center", "KR", "--password-stdin"], input="a long enough password\n")
    assert result.exit_code == 0, result.output
    assert "nova.operator" in result.output
    again = runner.invoke(
        main, ["operators", "create", "--login", "nova.operator", "--full-name", "X", "--role", "operator",
               "--center", "KR", "--password-stdin"], input="a long enough password\n")
    assert again.exit_code != 0 and "Цей логін уже зайнятий" in again.output  # Ukrainian by default
    short = runner.invoke(
        main, ["operators", "create", "--login", "short.pw", "--full-name", "X", "--role", "supervisor",
               "--password-stdin"], input="short\n")
    assert short.exit_code != 0 and "щонайменше 12 символів" in short.output


def test_readme_shows_the_diagram_the_workflow_draws(app: Flask) -> None:
    result = app.test_cli_runner().invoke(main, ["workflows", "diagram", "--format", "mermaid"])
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert result.output == block


def test_svg_diagram(app: Flask, tmp_path: Path) -> None:
    out = tmp_path / "flow.svg"
    result = app.test_cli_runner().invoke(main, ["workflows", "diagram", "--format", "svg", "-o", str(out)])
    assert result.exit_code == 0, result.output
    svg = out.read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "awaiting_confirmation_call" in svg and "issue_code" in svg


def _run(app: Flask, monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    """``backoffice run`` with its server and scheduler replaced: the base_url the letters would use."""
    import werkzeug.serving

    from backoffice.scheduler import embedded

    served: dict[str, str] = {}

    def serve(host: str, port: int, wsgi: Flask, **_kwargs: object) -> None:
        served["base_url"] = wsgi.config["SETTINGS"].site.base_url

    monkeypatch.setattr(werkzeug.serving, "run_simple", serve)
    monkeypatch.setattr(embedded, "start_in_process", lambda *_args: None)
    result = app.test_cli_runner().invoke(main, ["run", *args])
    assert result.exit_code == 0, result.output
    return served["base_url"]


@pytest.mark.committed  # `run` migrates on an engine of its own
def test_run_points_the_letters_at_its_own_port_unless_base_url_was_set(
    settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    unset = dataclasses.replace(settings, explicit=settings.explicit - {"site.base_url"})
    for given, host, expected in (
        (unset, "127.0.0.1", "http://127.0.0.1:5099"),
        (unset, "0.0.0.0", "http://127.0.0.1:5099"),
        (settings, "127.0.0.1", "http://127.0.0.1:5000"),  # the tests' settings set it
    ):
        app = app_on(given, db)
        try:
            assert _run(app, monkeypatch, "--host", host, "--port", "5099") == expected
        finally:
            app.extensions["backoffice.db"].dispose()


#: Run as ``multiprocessing``'s spawn runs it in a process a command starts (an intake lane): the command's script,
#: again, as the module ``__mp_main__``; then what it loaded.
_SPAWNED = """
import runpy, sys
runpy.run_path(sys.argv[1], run_name="__mp_main__")
heavy = ("backoffice.cli", "signatures", "flask_admin", "backoffice.admin")
print(" ".join(sorted(m for m in heavy if m in sys.modules)))
"""


def test_a_process_a_command_spawns_loads_none_of_the_command_line() -> None:
    """An intake lane re-runs the ``backoffice`` script before its work; from the command groups it took every
    command's imports with it, the signature library among them: 19 MB more in every lane (docs/benchmarks.md)."""
    script = Path(sys.executable).with_name("backoffice")
    result = subprocess.run([sys.executable, "-c", _SPAWNED, str(script)], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"a spawned process loads {result.stdout.strip()}"


@pytest.mark.committed  # the command runs as a process of its own, on its own connection
def test_a_command_works_in_an_app_without_the_pages(
    session: Session, db: Database, settings: Settings, tmp_path: Path
) -> None:
    """Commands other than ``run`` get the app without the web pages, which loaded every model as a side effect:
    a command that imports few models itself must still find every table their relationships name."""
    _load_demo(session, settings)
    env = cli_environment(settings.database_url, tmp_path / "instance")
    backoffice = str(Path(sys.executable).with_name("backoffice"))
    listed = subprocess.run([backoffice, "applications", "list", "--json"], env=env, capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert len(rows) == 50
    assert {row["service_center"] for row in rows} - {None, ""}, "the centers' names come from their own table"
    sent = subprocess.run([backoffice, "letters", "send", "--all"], env=env, capture_output=True, text=True)
    assert sent.returncode == 0, sent.stderr


#: A command run as the console script runs it, in this interpreter; then, on standard error, whether the
#: signature verifier (pyHanko) was loaded on the way.
_COMMAND = """
import sys
from backoffice.console import main
sys.argv = ["backoffice", *sys.argv[1:]]
try:
    main()
finally:
    print("verifier loaded" if "pyhanko" in sys.modules else "verifier not loaded", file=sys.stderr)
"""


@pytest.mark.committed  # the commands run as processes of their own, on their own connections
def test_only_a_command_that_verifies_signatures_loads_the_verifier(
    session: Session, db: Database, settings: Settings, tmp_path: Path
) -> None:
    """Every command registers the ``signatures`` group; the verifier it runs (pyHanko: half a second and about
    26 MB) is loaded only by a command that verifies (docs/benchmarks.md)."""
    env = cli_environment(settings.database_url, tmp_path / "instance")
    listed = subprocess.run(
        [sys.executable, "-c", _COMMAND, "applications", "list", "--json"], env=env, capture_output=True, text=True
    )
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == []
    assert listed.stderr.strip().endswith("verifier not loaded")
    unsigned = tmp_path / "scan.pdf"
    unsigned.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
    checked = subprocess.run(
        [sys.executable, "-c", _COMMAND, "signatures", "verify", str(unsigned)], env=env, capture_output=True, text=True
    )
    assert checked.returncode == 2, checked.stderr  # INDETERMINATE or no signature, as documented
    assert checked.stderr.strip().endswith("verifier loaded")
