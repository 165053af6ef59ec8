"""Delivering the outbox: claim due letters, send them outside any transaction, record what happened.

Claiming is one ``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED LIMIT n) RETURNING id``: on PostgreSQL
several senders (two scheduler processes started by mistake, or deliberately) each take different letters; on
SQLite the statement takes the write lock and is just as exclusive.

Who holds a letter, and for how long: a claim is a short **lease**, ``next_attempt_at`` set to
``[letters] claim_seconds`` ahead, that the sender keeps alive while it lives. A heartbeat (:class:`Lease`, a
thread) pushes the end of the lease of every letter the sender still holds forward every third of it, and taking
a letter to send it pushes that letter's own lease forward as well. So a live sender never loses a letter, not
even in the middle of a slow SMTP conversation, while the letters of a sender that died (killed, the machine
lost) are free for another sender one lease later - a minute by default, not the ten minutes a lease covering
the whole batch would need.

A try is counted when the letter is handed to the transport (:func:`_take`), not when it is claimed: a sender
killed halfway through a batch uses up no try of the letters it never reached. A letter it was sending when it
died has its try counted, and a letter that keeps killing its sender fails after ``[letters] max_attempts``
such tries instead of doing it for ever. Another sender that takes the letter over sends it with the same
Message-ID, so a recipient who did get it the first time sees one message.

Outcomes: accepted → sent; refused by the server for good (5xx) → failed at once with the server's words;
refused for now (4xx, a dropped connection) → retried with exponential backoff until ``[letters] max_attempts``,
then failed; the transport unavailable (server down, login refused) → the letters go back untouched, using up no
tries, and leave at the first tick after the server is back.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any

from jinja2 import TemplateError
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError

from backoffice.applications.letters import Stale, send_context
from backoffice.database import Database
from backoffice.letters import mime
from backoffice.letters.models import OutboxMessage, OutboxStatus
from backoffice.letters.outbox import ONE_TIME_KEYS
from backoffice.letters.render import TemplateMissing, render
from backoffice.letters.transports import Connection, Refused, Transport, Unavailable, from_settings
from backoffice.settings import Settings
from backoffice.types import utcnow

log = logging.getLogger(__name__)


@dataclass
class Report:
    """What one delivery run did; the CLI prints it and the scheduler logs it."""

    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    superseded: int = 0
    waiting: int = 0  # given back because the transport was unavailable
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"{self.sent} sent, {self.retrying} to retry, {self.failed} failed, {self.superseded} superseded, "
            f"{self.waiting} waiting for the mail server"
        )


def backoff(settings: Settings, attempts: int) -> timedelta:
    """1×, 2×, 4×, … the first delay, capped."""
    letters = settings.letters
    seconds = letters.backoff_seconds * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, letters.backoff_max_seconds))


def deliver_due(
    db: Database,
    settings: Settings,
    *,
    transport: Transport | None = None,
    now: datetime | None = None,
    limit: int | None = None,
) -> Report:
    """Send the letters that are due at ``now`` (one batch); safe to run in several processes at once.

    ``now`` is the moment the run is for (tests pass the time they need); the leases move on from it with the
    real clock, as the run takes its time.
    """
    now = now or utcnow()
    skew = now - utcnow()

    def clock() -> datetime:
        return utcnow() + skew

    report = Report()
    token = f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
    ids = claim(db, now=now, limit=limit or settings.letters.batch_size, token=token, settings=settings)
    report.claimed = len(ids)
    if not ids:
        return report
    transport = transport or from_settings(settings)
    envelope_from = mime.sender_address(settings).addr_spec
    lease = timedelta(seconds=settings.letters.claim_seconds)
    with Lease(db, token, lease, clock), ExitStack() as stack:
        connection: Connection | None = None
        for index, letter_id in enumerate(ids):
            prepared = _prepare(db, settings, letter_id, token, now, report)
            if prepared is None:
                continue
            message, recipient = prepared
            taken = False
            try:
                if connection is None:
                    connection = stack.enter_context(transport.connect())
                taken = _take(db, settings, letter_id, token, clock() + lease, report)
                if not taken:
                    continue
                connection.send(message, envelope_from, recipient)
            except Unavailable as exc:
                report.waiting += _release(db, ids[index:], token, now, str(exc), untried=letter_id if taken else None)
                report.errors.append(str(exc))
                log.warning("letters wait: %s", exc)
                break
            except Refused as exc:
                _refused(db, settings, letter_id, token, now, exc, report)
            else:
                _mark(db, letter_id, token, status=OutboxStatus.SENT, sent_at=now, last_error="")
                _forget_one_time_link(db, letter_id)
                report.sent += 1
    return report


def claim(db: Database, *, now: datetime, limit: int, token: str, settings: Settings) -> list[int]:
    """Take up to ``limit`` due letters for the sender ``token``, each under a lease of ``claim_seconds``.

    Due means pending and ``next_attempt_at`` reached, which is also how a letter whose sender stopped renewing
    its lease comes back. No try is counted here (see :func:`_take`).
    """
    due = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    lease = now + timedelta(seconds=settings.letters.claim_seconds)
    with db.session() as session:
        claimed = session.scalars(
            update(OutboxMessage)
            .where(
                OutboxMessage.id.in_(due),
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.next_attempt_at <= now,
            )
            .values(claimed_by=token, next_attempt_at=lease)
            .returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)
        ).all()
    return sorted(claimed)


class Lease:
    """The heartbeat of one sender: while it runs, the letters the sender holds stay its own.

    Every third of the lease it moves the end of the lease of every letter still claimed by ``token`` (and
    pending) to a whole lease ahead. It stops when the sender is done; if the sender dies, it dies with it and
    the leases run out. A heartbeat that fails (the database away for a moment) is logged and tried again at the
    next beat: a lease is long enough to miss one.
    """

    def __init__(self, db: Database, token: str, lease: timedelta, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.token = token
        self.lease = lease
        self.clock = clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"letters-lease-{token[-12:]}", daemon=True)

    def __enter__(self) -> Lease:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(self.lease.total_seconds() / 3):
            try:
                self.renew()
            except DBAPIError:
                log.warning("letters: the lease of sender %s could not be renewed", self.token, exc_info=True)

    def renew(self) -> int:
        with self.db.session() as session:
            result = session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.claimed_by == self.token, OutboxMessage.status == OutboxStatus.PENDING)
                .values(next_attempt_at=self.clock() + self.lease)
                .execution_options(synchronize_session=False)
            )
        return int(result.rowcount)  # type: ignore[attr-defined]


def _take(db: Database, settings: Settings, letter_id: int, token: str, until: datetime, report: Report) -> bool:
    """Count the try of a letter about to be handed to the transport, and renew its lease to ``until``.

    False when it is no longer this sender's (its lease ran out and another sender took it) or when it has had
    every try already, each ended by its sender dying mid-letter: then it fails here instead of being sent again.
    """
    limit = settings.letters.max_attempts
    with db.session() as session:
        taken = session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == letter_id,
                OutboxMessage.claimed_by == token,
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.attempts < limit,
            )
            .values(attempts=OutboxMessage.attempts + 1, next_attempt_at=until)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            return True
        row = session.get(OutboxMessage, letter_id)
        if row is None or row.claimed_by != token or row.status != OutboxStatus.PENDING:
            return False  # another sender has it now
        row.status, row.claimed_by = OutboxStatus.FAILED, None
        row.last_error = f"its sender stopped while sending it, {row.attempts} times; not tried again"
    report.failed += 1
    report.errors.append(f"letter {letter_id}: {row.last_error}")
    log.error("letter %s failed: %s", letter_id, row.last_error)
    return False


def _prepare(
    db: Database, settings: Settings, letter_id: int, token: str, now: datetime, report: Report
) -> tuple[Any, str] | None:
    """Render and build the message in a short transaction of its own; no transaction stays open while sending."""
    with db.session() as session:
        row = session.get(OutboxMessage, letter_id)
        if row is None or row.claimed_by != token:
            return None
        try:
            context = send_context(session, row, settings, now)
            rendered = render(row.kind, row.language, context, settings)
            message = mime.build(row, rendered, settings, now=now)
            recipient = mime.recipient_address(row.recipient).addr_spec
        except Stale as exc:
            row.status, row.last_error, row.claimed_by = OutboxStatus.SUPERSEDED, str(exc), None
            report.superseded += 1
            return None
        except (TemplateMissing, TemplateError, mime.BadAddress, RuntimeError, KeyError, ValueError) as exc:
            row.status, row.claimed_by = OutboxStatus.FAILED, None
            row.last_error = f"cannot write the letter: {exc.__class__.__name__}: {exc}"
            report.failed += 1
            report.errors.append(row.last_error)
            log.error("letter %s (%s) cannot be written: %s", row.id, row.kind, exc)
            return None
    return message, recipient


def _refused(
    db: Database, settings: Settings, letter_id: int, token: str, now: datetime, exc: Refused, report: Report
) -> None:
    with db.session() as session:
        attempts = session.scalar(select(OutboxMessage.attempts).where(OutboxMessage.id == letter_id)) or 0
    report.errors.append(str(exc))
    if exc.permanent or attempts >= settings.letters.max_attempts:
        _mark(db, letter_id, token, status=OutboxStatus.FAILED, last_error=str(exc))
        report.failed += 1
        log.warning("letter %s failed after %s tries: %s", letter_id, attempts, exc)
    else:
        _mark(
            db,
            letter_id,
            token,
            status=OutboxStatus.PENDING,
            next_attempt_at=now + backoff(settings, attempts),
            last_error=str(exc),
        )
        report.retrying += 1


def _mark(db: Database, letter_id: int, token: str, **values: Any) -> None:
    """Record the outcome, if the claim is still ours (a sender whose lease ran out records nothing)."""
    with db.session() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == letter_id, OutboxMessage.claimed_by == token)
            .values(claimed_by=None, **values)
            .execution_options(synchronize_session=False)
        )


def _release(db: Database, ids: list[int], token: str, now: datetime, error: str, *, untried: int | None) -> int:
    """Give the letters back, due now; ``untried`` was counted by :func:`_take` but never left: uncount it."""
    with db.session() as session:
        if untried is not None:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == untried, OutboxMessage.claimed_by == token, OutboxMessage.attempts > 0)
                .values(attempts=OutboxMessage.attempts - 1)
                .execution_options(synchronize_session=False)
            )
        result = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.claimed_by == token)
            .values(claimed_by=None, next_attempt_at=now, last_error=error)
            .execution_options(synchronize_session=False)
        )
    return int(result.rowcount)  # type: ignore[attr-defined]


def _forget_one_time_link(db: Database, letter_id: int) -> None:
    with db.session() as session:
        row = session.get(OutboxMessage, letter_id)
        if row is None or row.kind not in ONE_TIME_KEYS:
            return
        row.context = {**row.context, **dict.fromkeys(ONE_TIME_KEYS[row.kind], "")}
