"""The database restarts under a running ``backoffice intake watch``: the watcher waits and carries on by itself.

The outage is real: the test starts a PostgreSQL cluster of its own, runs the watcher as a subprocess against
it, and stops and starts that cluster (an administrator's restart, then a crash) while mail arrives.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from backoffice import migrate
from backoffice.database import Database
from backoffice.scheduler.runner import run_once
from backoffice.settings import Settings
from tests.backoffice.intake import corpus
from tests.backoffice.intake.conftest import Maildir
from tests.conftest import REPO
from tests.pgcluster import PgCluster
from tests.services import cli_environment

#: The intake runs as a process of its own while the database restarts.
pytestmark = [pytest.mark.postgres, pytest.mark.committed]

BACKOFFICE = Path(sys.executable).parent / "backoffice"
#: What the watcher says (in the site's language, Ukrainian) each time it finds the database gone.
DATABASE_GONE = "Немає зв’язку з базою даних"
DEADLINE = 240.0  # seconds; generous: the machine may be busy, and every wait below ends as soon as it can


def _environment(settings: Settings, cluster: PgCluster) -> dict[str, str]:
    return cli_environment(
        cluster.url,
        settings.site.instance_dir,
        intake_maildir=str(settings.maildir),
        mail_sender=settings.mail.sender,
        intake_poll_interval_seconds="1",
        intake_database_retry_max_seconds="2",
    )


def _wait_for(
    condition: Callable[[], bool], what: str, *, alive: subprocess.Popen[bytes] | None = None, log: Path | None = None
) -> None:
    """Poll ``condition`` until it holds; fail at once if the process that should make it hold has exited."""
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        if condition():
            return
        if alive is not None and alive.poll() is not None:
            said = log.read_text(errors="replace")[-3000:] if log else ""
            raise AssertionError(f"the watcher exited with code {alive.returncode} waiting for {what}:\n{said}")
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what}")


def _done(engine: Engine) -> int:
    """Messages processed so far (stored and no longer waiting)."""
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM incoming_message WHERE status <> 'received'")).scalar_one())


@contextmanager
def _watching(env: dict[str, str], folder: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """``backoffice intake watch --json`` as a process of its own (its counts in ``folder/watch.out``, what it
    says in ``folder/watch.err``), stopped with SIGTERM at the end, which it must obey with exit code 0."""
    out, err = (folder / "watch.out").open("wb"), (folder / "watch.err").open("wb")
    watcher = subprocess.Popen(
        [str(BACKOFFICE), "intake", "watch", "--json"], env=env, cwd=REPO, stdout=out, stderr=err
    )
    log = folder / "watch.err"
    try:
        yield watcher, log
    finally:
        watcher.send_signal(signal.SIGTERM)
        try:
            code = watcher.wait(timeout=60)
        finally:
            if watcher.poll() is None:
                watcher.kill()
                watcher.wait()
            out.close()
            err.close()
    assert code == 0, log.read_text(errors="replace")


@pytest.fixture
def cluster_engine(pg_cluster: PgCluster) -> Iterator[Engine]:
    """The private cluster, migrated; every check opens a fresh connection (none survives a restart)."""
    engine = create_engine(pg_cluster.url, poolclass=NullPool)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


def test_watch_outlives_a_restart_and_a_crash_of_the_database_and_takes_every_message_once(
    pg_cluster: PgCluster, cluster_engine: Engine, intake_settings: Settings, maildir: Maildir, tmp_path: Path
) -> None:
    sent = 0

    def arrive(n: int) -> None:
        nonlocal sent
        for _ in range(n):
            sent += 1
            maildir.drop(corpus.outlook(f"Заява {sent}.pdf", corpus.tiny_pdf(f"scan {sent}") + os.urandom(64)))

    with _watching(_environment(intake_settings, pg_cluster), tmp_path) as (watcher, log):

        def said_gone() -> int:
            return log.read_text(errors="replace").count(DATABASE_GONE)

        arrive(5)
        _wait_for(lambda: _done(cluster_engine) == sent, "the first messages", alive=watcher, log=log)

        for mode in ("fast", "immediate"):  # restarted by the administrator, then crashed
            gone_before = said_gone()
            arrive(5)  # the server goes away while the watcher may be in the middle of these
            pg_cluster.stop(mode)
            arrive(5)  # and mail keeps arriving while it is away
            noticed = f"the watcher to notice the {mode} stop"
            _wait_for(lambda before=gone_before: said_gone() > before, noticed, alive=watcher, log=log)
            pg_cluster.start()
            arrive(3)
            _wait_for(
                lambda: _done(cluster_engine) == sent, f"every message after the {mode} stop", alive=watcher, log=log
            )

        assert watcher.poll() is None, "the watcher exited on its own"

    with cluster_engine.connect() as conn:
        statuses = conn.execute(text("SELECT status, count(*) FROM incoming_message GROUP BY status")).all()
        applications = conn.execute(text("SELECT count(*) FROM application")).scalar_one()
        per_app = conn.execute(
            text("SELECT application_id, count(*) FROM outbox_message GROUP BY application_id")
        ).all()
    # Each message once: one row each, every one an application with one acknowledgement, none in quarantine.
    assert dict(statuses) == {"processed": sent}
    assert applications == sent
    assert len(per_app) == sent and all(n == 1 for _, n in per_app)
    assert maildir.waiting() == []
    assert len(maildir.processed()) == sent


def test_poll_with_the_database_down_says_so_and_loses_nothing(
    pg_cluster: PgCluster, cluster_engine: Engine, intake_settings: Settings, maildir: Maildir
) -> None:
    maildir.drop(corpus.outlook("Заява.pdf", corpus.tiny_pdf()))
    pg_cluster.stop()
    down = subprocess.run(
        [str(BACKOFFICE), "intake", "poll"],
        env=_environment(intake_settings, pg_cluster),
        cwd=REPO,
        capture_output=True,
        timeout=120,
    )
    stderr = down.stderr.decode(errors="replace")
    assert down.returncode == 1
    assert DATABASE_GONE in stderr and "Traceback" not in stderr
    assert "Нічого не втрачено" in stderr
    assert len(maildir.waiting()) == 1  # not taken: it waits in the mailbox

    pg_cluster.start()
    again = subprocess.run(
        [str(BACKOFFICE), "intake", "poll", "--json"],
        env=_environment(intake_settings, pg_cluster),
        cwd=REPO,
        capture_output=True,
        timeout=120,
    )
    assert again.returncode == 0, again.stderr.decode(errors="replace")
    assert '"created": 1' in again.stdout.decode()
    assert maildir.waiting() == []


def test_the_schedulers_intake_job_logs_one_line_while_the_database_is_down_and_resumes(
    pg_cluster: PgCluster,
    cluster_engine: Engine,
    intake_settings: Settings,
    maildir: Maildir,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = intake_settings.replace(database={"url": pg_cluster.url})
    db = Database(settings.database_url)
    try:
        maildir.drop(corpus.outlook("Заява.pdf", corpus.tiny_pdf()))
        assert run_once("poll_intake", db, settings).created == 1  # the job's engine now holds a connection
        maildir.drop(corpus.outlook("Друга заява.pdf", corpus.tiny_pdf("second")))
        pg_cluster.stop()
        with caplog.at_level(logging.WARNING):
            assert run_once("poll_intake", db, settings) is None  # no exception: the scheduler's log stays calm
        assert any("database cannot be reached" in r.getMessage() for r in caplog.records)
        assert not any(r.exc_info for r in caplog.records)
        pg_cluster.start()
        summary = None
        for _ in range(3):  # a pooled connection that died with the server may fail one more tick, quietly
            summary = run_once("poll_intake", db, settings)
            if summary is not None:
                break
        assert summary is not None and summary.created == 1
    finally:
        db.dispose()
    assert _done(cluster_engine) == 2


def test_a_crash_of_the_database_while_two_processes_share_a_batch_loses_nothing_and_repeats_nothing(
    pg_cluster: PgCluster, cluster_engine: Engine, intake_settings: Settings, maildir: Maildir, tmp_path: Path
) -> None:
    """A batch large enough for the lanes (``[intake] workers = 2``): the database crashes while both processes
    are at work, the watcher waits for it, and the next polls (with lanes of their own) finish the batch."""
    sent = 240
    for n in range(sent):
        maildir.drop(corpus.outlook(f"Заява {n}.pdf", corpus.tiny_pdf(f"batch {n}") + os.urandom(64)))
    env = {**_environment(intake_settings, pg_cluster), "BACKOFFICE_INTAKE_WORKERS": "2"}
    with _watching(env, tmp_path) as (watcher, log):
        _wait_for(lambda: _done(cluster_engine) >= 30, "the batch to be under way", alive=watcher, log=log)
        pg_cluster.stop("immediate")
        _wait_for(lambda: DATABASE_GONE in log.read_text(errors="replace"), "the crash noticed", alive=watcher, log=log)
        pg_cluster.start()
        _wait_for(lambda: _done(cluster_engine) == sent, "every message after the crash", alive=watcher, log=log)
    polls = [json.loads(line) for line in (tmp_path / "watch.out").read_text().splitlines() if line.startswith("{")]
    assert any(p["lanes"] == 2 for p in polls), polls  # the batch was shared
    with cluster_engine.connect() as conn:
        statuses = conn.execute(text("SELECT status, count(*) FROM incoming_message GROUP BY status")).all()
        per_app = conn.execute(
            text("SELECT application_id, count(*) FROM outbox_message GROUP BY application_id")
        ).all()
    assert dict(statuses) == {"processed": sent}
    assert len(per_app) == sent and all(n == 1 for _, n in per_app)
    assert maildir.waiting() == []
