"""A documents disk that fills up is not the message's fault: the message waits, nothing goes to quarantine, and
the administrator is told which disk is full.

The disk is real: a small tmpfs mounted for the test as the documents folder and filled with a file until the
message no longer fits at the step under test (storing it, or unpacking its attachments). Mounting needs root
(CI and ``scripts/test`` run as root); elsewhere the test is skipped, in CI it fails.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.applications.models import Application
from backoffice.cli.intake import intake_cli
from backoffice.intake.models import IncomingMessage, MessageStatus
from backoffice.intake.processing import MAX_ATTEMPTS
from backoffice.settings import Settings
from tests.backoffice.intake import corpus
from tests.backoffice.intake.conftest import Maildir
from tests.conftest import IN_CI

#: What the administrator reads (the site's language, Ukrainian): which disk, and that nothing was quarantined.
DISK_FULL = "На диску документів ({path}) не залишилося місця"
NOTHING_QUARANTINED = "жодне не потрапило на карантин"
MAILBOX_UNREADABLE = "поштову скриньку"
PAGE = 4096


@dataclass
class SmallDisk:
    """A tmpfs of a few megabytes; :meth:`fill_leaving` takes all but the given space with a filler file."""

    root: Path

    @property
    def filler(self) -> Path:
        return self.root / "filler"

    def free(self) -> int:
        stats = os.statvfs(self.root)
        return stats.f_bavail * stats.f_frsize

    def fill_leaving(self, free: int) -> None:
        left = self.free() - free
        assert left > 0, f"the disk has only {self.free()} bytes free"
        with self.filler.open("ab") as fh:
            while left > 0:
                n = min(left, 256 * 1024)
                fh.write(b"\0" * n)
                left -= n
        assert abs(self.free() - free) <= 2 * PAGE, (self.free(), free)

    def make_room(self) -> None:
        self.filler.unlink()


@pytest.fixture
def storage_backend() -> str:
    """The documents disk is what these tests fill: documents kept in the database never touch it."""
    return "folder"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    root = tmp_path / "documents"
    root.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m,mode=0755", "tmpfs", str(root)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        why = f"cannot mount a tmpfs (needs root): {mounted.stderr.strip()}"
        if IN_CI:
            pytest.fail(why)
        pytest.skip(why)
    try:
        yield SmallDisk(root)
    finally:
        subprocess.run(["umount", "-l", str(root)], check=True)


@pytest.fixture
def intake_settings(intake_settings: Settings, small_disk: SmallDisk) -> Settings:
    return intake_settings.replace(storage={"documents_dir": str(small_disk.root)})


def _poll(app: Flask) -> tuple[int, str, str]:
    result = app.test_cli_runner().invoke(intake_cli, ["poll", "--json"])
    return result.exit_code, result.stdout, result.stderr


def _scan(size: int) -> bytes:
    """A scan that compresses not at all (random bytes after a PDF header)."""
    return corpus.tiny_pdf() + b"%" + os.urandom(size)


def test_a_full_disk_while_a_message_is_stored_leaves_it_in_the_mailbox_and_says_which_disk(
    app: Flask, maildir: Maildir, small_disk: SmallDisk, session: Session
) -> None:
    maildir.drop(corpus.outlook("Заява.pdf", _scan(600_000)))
    small_disk.fill_leaving(100 * 1024)

    code, out, err = _poll(app)
    assert code == 1
    assert DISK_FULL.format(path=small_disk.root) in err and NOTHING_QUARANTINED in err
    assert MAILBOX_UNREADABLE not in err
    assert '"fetched": 0' in out and '"disk_errors": 1' in out
    assert len(maildir.waiting()) == 1  # still in the mailbox, untouched
    assert session.scalars(select(IncomingMessage)).all() == []

    small_disk.make_room()
    code, out, err = _poll(app)
    assert code == 0, err
    assert '"created": 1' in out and '"disk_errors": 0' in out
    assert maildir.waiting() == []


@pytest.mark.parametrize("packed", [False, True], ids=["attached", "in-a-zip"])
def test_a_full_disk_while_attachments_are_unpacked_keeps_the_message_waiting_and_retries_it(
    app: Flask, maildir: Maildir, small_disk: SmallDisk, session: Session, packed: bool
) -> None:
    scan = _scan(600_000)
    if packed:
        archive = corpus.zip_of({"скан.pdf": scan})
        raw = corpus.gmail("документи.zip", archive, content_type="application/zip")
        room = len(raw) + len(archive) + 200 * 1024  # the message and the archive fit; the scan in it does not
    else:
        raw = corpus.outlook("Заява.pdf", scan)
        room = len(raw) + 200 * 1024  # the message fits; its attachment does not
    maildir.drop(raw)
    small_disk.fill_leaving(room)

    # More polls than the tries a message that crashes the process gets: the disk uses none of them.
    for poll in range(MAX_ATTEMPTS + 2):
        code, out, err = _poll(app)
        assert code == 1, (poll, out, err)
        assert DISK_FULL.format(path=small_disk.root) in err and MAILBOX_UNREADABLE not in err
        assert '"quarantined": 0' in out and '"disk_errors": 1' in out
        session.expire_all()
        [message] = session.scalars(select(IncomingMessage)).all()
        assert message.status == MessageStatus.RECEIVED and message.attempts == 0
    assert maildir.waiting() == []  # taken from the mailbox: the stored message is what waits

    small_disk.make_room()
    code, out, err = _poll(app)
    assert code == 0, err
    assert '"created": 1' in out
    session.expire_all()
    message = session.scalars(select(IncomingMessage)).one()
    assert message.status == MessageStatus.PROCESSED and message.reason == ""
    application = session.get(Application, message.application_id)
    assert application is not None
    digest = hashlib.sha256(scan).hexdigest()
    [document] = [d for d in application.documents if d.sha256 == digest]
    assert (small_disk.root / document.storage_path).read_bytes() == scan
