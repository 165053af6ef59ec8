"""Who holds a letter: a sender killed mid-batch gives its letters up within a short lease and uses up no try of
the letters it never reached; a live sender, however slow the mail server, keeps its letters.

Each test runs a real ``backoffice letters send`` as a subprocess against a real SMTP server on loopback that
holds one letter in the middle of its DATA for as long as the test wants: the sender is then provably busy with
that letter (and alive, or killed there with SIGKILL).
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.database import Database
from backoffice.letters.models import OutboxMessage, OutboxStatus
from backoffice.letters.outbox import enqueue
from backoffice.scheduler.sender import deliver_due
from backoffice.settings import Settings
from tests.backoffice.letters.conftest import SENDER, smtp_settings
from tests.backoffice.letters.smtpserver import Handler, Received, SmtpServer
from tests.conftest import REPO
from tests.services import cli_environment

BACKOFFICE = Path(sys.executable).parent / "backoffice"
LEASE = 9  # [letters] claim_seconds in these tests: renewed every 3 s by a live sender
DEADLINE = 120.0  # generous: every wait ends as soon as its condition holds


@dataclass
class HoldingHandler(Handler):
    """Accepts mail, but keeps the letter number ``hold_at`` (0-based) in its DATA until ``release`` is set."""

    hold_at: int = 0
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    held: list[Received] = field(default_factory=list)  # the letter held, as the server had it

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if len(self.received) == self.hold_at and not self.holding.is_set():
            self.held.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def holding_server() -> Iterator[SmtpServer]:
    server = SmtpServer(handler=HoldingHandler(hold_at=2)).start()
    try:
        yield server
    finally:
        assert isinstance(server.handler, HoldingHandler)
        server.handler.release.set()
        server.stop()


def _letters(session: Session, count: int) -> list[int]:
    rows = [
        enqueue(
            session,
            kind="acknowledgement",
            recipient=f"customer{i}@example.com",
            language="uk",
            context={"number": f"2026-{i:06d}"},
            application_id=None,
            occasion=i,
        )
        for i in range(count)
    ]
    session.commit()
    return [r.id for r in rows]


def _rows(db: Database) -> dict[int, OutboxMessage]:
    with db.session() as s:
        return {r.id: r for r in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))}


def _sender(settings: Settings, server: SmtpServer, log: Path) -> subprocess.Popen[bytes]:
    """``backoffice letters send --all`` in a process of its own, on the test's database and mail server."""
    env = cli_environment(
        settings.database_url,
        settings.site.instance_dir,
        mail_transport="smtp",
        mail_sender=SENDER,
        smtp_host="127.0.0.1",
        smtp_port=str(server.port),
        smtp_security="none",
        smtp_timeout_seconds="300",
        letters_claim_seconds=str(LEASE),
    )
    with log.open("wb") as out:
        return subprocess.Popen(
            [str(BACKOFFICE), "letters", "send", "--all"], env=env, cwd=REPO, stderr=out, stdout=out
        )


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}")


@pytest.mark.committed  # a sender process of its own takes letters too
def test_a_killed_sender_keeps_the_tries_of_letters_it_never_reached_and_another_takes_them_over_soon(
    session: Session, db: Database, settings: Settings, holding_server: SmtpServer, tmp_path: Path
) -> None:
    handler = holding_server.handler
    assert isinstance(handler, HoldingHandler)
    ids = _letters(session, 6)
    settings = smtp_settings(settings, holding_server, timeout_seconds=60).replace(letters={"claim_seconds": LEASE})

    dead = _sender(settings, holding_server, tmp_path / "dead.log")
    try:
        _wait_for(handler.holding.is_set, "the sender to reach the third letter")
    finally:
        dead.send_signal(signal.SIGKILL)
        dead.wait()
    handler.release.set()  # the server finishes the letter it had whole; its sender is gone

    rows = _rows(db)
    first, second, in_flight, *untried = ids
    assert [rows[i].status for i in (first, second)] == [OutboxStatus.SENT] * 2
    assert rows[in_flight].status == OutboxStatus.PENDING and rows[in_flight].attempts == 1  # it was handed over
    for letter in untried:  # claimed by the dead sender, never tried: every try still there
        assert rows[letter].status == OutboxStatus.PENDING and rows[letter].attempts == 0

    # Another sender takes them over once the dead one's lease runs out: seconds, not the old ten minutes.
    killed = time.monotonic()
    sent = 0

    def delivered() -> bool:
        nonlocal sent
        sent += deliver_due(db, settings).sent
        return sent == 4

    _wait_for(delivered, "another sender to take the letters over")
    assert time.monotonic() - killed < 600

    rows = _rows(db)
    assert {r.status for r in rows.values()} == {OutboxStatus.SENT}
    assert rows[in_flight].attempts == 2 and all(rows[i].attempts == 1 for i in untried)
    arrived = [r.message["Message-ID"] for r in holding_server.received]
    # Every letter arrived, each once: the server dropped the letter whose sender died in its DATA, and the
    # takeover sent it again with the same Message-ID, so even a server that had kept it would show one message.
    assert len(arrived) == 6 and len(set(arrived)) == 6
    assert handler.held[0].message["Message-ID"] in arrived


@pytest.mark.committed  # a sender process of its own takes letters too
def test_a_live_slow_sender_keeps_its_letters_however_long_the_mail_server_takes(
    session: Session, db: Database, settings: Settings, holding_server: SmtpServer, tmp_path: Path
) -> None:
    handler = holding_server.handler
    assert isinstance(handler, HoldingHandler)
    handler.hold_at = 0
    ids = _letters(session, 3)
    settings = smtp_settings(settings, holding_server, timeout_seconds=60).replace(letters={"claim_seconds": LEASE})

    slow = _sender(settings, holding_server, tmp_path / "slow.log")
    try:
        _wait_for(handler.holding.is_set, "the sender to start on the first letter")
        # Another sender tries, again and again, for more than two whole leases: nothing is free to take.
        held_until = time.monotonic() + 2 * LEASE + 3
        while time.monotonic() < held_until:
            report = deliver_due(db, settings)
            assert report.claimed == 0, "a second sender took letters from a live one"
            assert slow.poll() is None, (tmp_path / "slow.log").read_text()
            time.sleep(0.5)
        handler.release.set()
        code = slow.wait(timeout=DEADLINE)
    finally:
        if slow.poll() is None:
            slow.kill()
            slow.wait()
    assert code == 0, (tmp_path / "slow.log").read_text()

    rows = _rows(db)
    assert [(rows[i].status, rows[i].attempts) for i in ids] == [(OutboxStatus.SENT, 1)] * 3
    arrived = [r.message["Message-ID"] for r in holding_server.received]
    assert len(arrived) == 3 and len(set(arrived)) == 3  # each exactly once


def test_a_letter_whose_sender_died_on_it_every_try_fails_instead_of_being_sent_again(
    session: Session, db: Database, settings: Settings, smtp_server: SmtpServer
) -> None:
    [letter] = _letters(session, 1)
    limit = settings.letters.max_attempts
    with db.session() as s:  # as a letter looks after its sender was killed sending it on every one of its tries
        row = s.get(OutboxMessage, letter)
        assert row is not None
        row.attempts, row.claimed_by = limit, "dead-sender"
    report = deliver_due(db, smtp_settings(settings, smtp_server))
    assert report.failed == 1 and report.sent == 0
    row = _rows(db)[letter]
    assert row.status == OutboxStatus.FAILED and row.attempts == limit
    assert "stopped while sending it" in row.last_error
    assert smtp_server.received == []
