"""A real ``backoffice intake poll`` killed with SIGKILL mid-batch and restarted: no duplicate, nothing lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from backoffice.applications.models import Application, Document
from backoffice.documents.models import StoredFile
from backoffice.documents.storage import open_storage
from backoffice.intake.models import IncomingMessage, MessageStatus
from backoffice.letters.models import OutboxMessage
from backoffice.settings import Settings
from tests.backoffice.intake import corpus
from tests.backoffice.intake.conftest import Maildir
from tests.conftest import REPO
from tests.services import cli_environment

#: The intake runs as a process of its own, killed and started again.
pytestmark = pytest.mark.committed

BACKOFFICE = Path(sys.executable).parent / "backoffice"
MESSAGES = 40


def _environment(settings: Settings) -> dict[str, str]:
    return cli_environment(
        settings.database_url,
        settings.site.instance_dir,
        intake_maildir=str(settings.maildir),
        mail_sender=settings.mail.sender,
        storage_backend=settings.storage.backend,
    )


def _counts(engine) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM incoming_message")).scalar_one()
        done = conn.execute(text("SELECT count(*) FROM incoming_message WHERE status != 'received'")).scalar_one()
    return int(stored), int(done)


def test_kill_9_mid_batch_then_restart_gives_each_message_exactly_once(
    intake_db, intake_settings: Settings, maildir: Maildir, session, tmp_path: Path
) -> None:
    big = corpus.tiny_pdf() + b"%" + os.urandom(1_000_000)  # slow enough to be caught in the middle
    expected_apps = 0
    for i in range(MESSAGES):
        if i % 8 == 7:
            maildir.drop(corpus.auto_reply())  # ignored, never an application
        elif i % 8 == 3:
            maildir.drop(corpus.gmail(f"скан {i}.pdf", big + bytes([i]), message_id=None))
            expected_apps += 1
        else:
            maildir.drop(corpus.outlook(f"Заява {i}.pdf", big + bytes([i])))
            expected_apps += 1
    env = _environment(intake_settings)
    engine = create_engine(intake_settings.database_url)
    kills = []
    log_file = tmp_path / "poll.log"
    log = log_file.open("wb")
    # Kill once while messages are being taken from the Maildir, then twice while they are processed.
    for phase, threshold in (("stored", 8), ("done", 10), ("done", 25)):
        proc = subprocess.Popen(
            [str(BACKOFFICE), "intake", "poll"], env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=log
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            stored, done = _counts(engine)
            if (stored if phase == "stored" else done) >= threshold:
                break
            time.sleep(0.005)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills.append(_counts(engine))
        else:
            assert proc.returncode == 0, log_file.read_text()
    log.close()
    # At least one kill landed with work unfinished: the restart below had something to recover.
    assert any(done < MESSAGES for _, done in kills), kills

    finish = subprocess.run(
        [str(BACKOFFICE), "intake", "poll", "--json"], env=env, cwd=REPO, capture_output=True, timeout=300
    )
    assert finish.returncode == 0, finish.stderr.decode()
    engine.dispose()

    session.expire_all()
    messages = session.scalars(select(IncomingMessage)).all()
    assert len(messages) == MESSAGES
    assert all(m.status in {MessageStatus.PROCESSED, MessageStatus.IGNORED} for m in messages)
    assert session.scalar(select(func.count()).select_from(Application)) == expected_apps
    per_app = session.execute(
        select(OutboxMessage.application_id, func.count()).group_by(OutboxMessage.application_id)
    ).all()
    assert len(per_app) == expected_apps and all(n == 1 for _, n in per_app)
    assert maildir.waiting() == []
    assert len(maildir.processed()) == MESSAGES
    # Every document is readable, and no half-written file survived a kill (in the database a write in
    # progress is a row without a hash, which only its own transaction ever sees).
    storage = open_storage(intake_settings, intake_db)
    assert all(storage.exists(path) for path in session.scalars(select(Document.storage_path)))
    assert session.scalar(select(func.count()).select_from(StoredFile).where(StoredFile.sha256.is_(None))) == 0
