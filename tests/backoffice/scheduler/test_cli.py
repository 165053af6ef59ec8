"""The command line: deliver letters now, run one job now, list the jobs."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.cli.letters import letters_cli
from backoffice.cli.scheduler import scheduler_cli
from backoffice.letters.models import OutboxMessage, OutboxStatus
from backoffice.settings import Settings
from tests.factories import Factory
from workflows.accession import AccessionState


def test_letters_send_and_list(app: Flask, make: Factory, session: Session, settings: Settings) -> None:
    make.application(AccessionState.CODE_ISSUED)
    session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(letters_cli, ["send", "--all"])
    assert result.exit_code == 0, result.output
    assert "2 sent" in result.output
    assert len(list(settings.outbox_dir.glob("*.eml"))) == 2
    listed = runner.invoke(letters_cli, ["list", "--status", "sent", "--json"])
    assert listed.exit_code == 0 and '"registration_code"' in listed.output
    assert {m.status for m in session.scalars(select(OutboxMessage))} == {OutboxStatus.SENT}


def test_scheduler_jobs_and_tick(app: Flask) -> None:
    runner = app.test_cli_runner()
    jobs = runner.invoke(scheduler_cli, ["jobs"])
    assert jobs.exit_code == 0 and "expire_codes" in jobs.output and "supervisor_digest" in jobs.output
    tick = runner.invoke(scheduler_cli, ["tick", "retry_calls"])
    assert tick.exit_code == 0 and "retry_calls: 0" in tick.output
    unknown = runner.invoke(scheduler_cli, ["tick", "no_such_job"])
    assert unknown.exit_code != 0 and "jobs: deliver_letters" in unknown.output
