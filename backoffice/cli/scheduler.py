"""``backoffice scheduler``: the long-running process of timed work, and single runs of its jobs."""

from __future__ import annotations

import signal
from types import FrameType

import click
from flask.cli import with_appcontext

from backoffice.cli.common import deployment


@click.group("scheduler")
def scheduler_cli() -> None:
    """Timed work: letters, intake, reminders, expiries, call retries, digest, retention."""


@scheduler_cli.command("run")
@with_appcontext
def run() -> None:
    """Run every job on its schedule until stopped (Ctrl-C or SIGTERM). Start one per deployment."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    from backoffice.monitoring import logs
    from backoffice.scheduler.runner import build

    db, settings = deployment()
    logs.configure(settings)
    scheduler = build(BlockingScheduler, db, settings)

    def stop(signum: int, frame: FrameType | None) -> None:
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    for job in scheduler.get_jobs():
        click.echo(f"  {job.id:<18} {job.trigger}")
    click.echo("Scheduler running; Ctrl-C stops it.")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        db.dispose()


@scheduler_cli.command("jobs")
@with_appcontext
def list_jobs() -> None:
    """The jobs and when they run."""
    from backoffice.scheduler.runner import specs

    _, settings = deployment()
    for spec in specs(settings):
        click.echo(f"{spec.id:<18} {spec.trigger}  {spec.description}")


@scheduler_cli.command("tick")
@click.argument("job_id")
@with_appcontext
def tick(job_id: str) -> None:
    """Run one job once, now (for example: backoffice scheduler tick expire_codes)."""
    from backoffice.scheduler.runner import run_once, specs

    db, settings = deployment()
    try:
        result = run_once(job_id, db, settings)
    except KeyError:
        known = ", ".join(s.id for s in specs(settings))
        raise click.BadParameter(f"no job {job_id!r}; jobs: {known}", param_hint="JOB_ID") from None
    click.echo(f"{job_id}: {result if result is not None else 'not run (switched off or not installed)'}")
