"""The scheduler's jobs. Each takes the database, the settings and the moment it runs for (an injected clock:
tests pass the time they need instead of waiting for it).

Every job changes data only through the product's write path: state changes with
``backoffice.applications.services.fire`` as ``Actor.system("scheduler")``, letters with the outbox, an audit
row for everything else. The jobs that act on many applications claim them in batches with ``batch.each`` (one
statement naming the due conditions, rows locked ``FOR UPDATE SKIP LOCKED``, one transaction per batch), and do
each application in a savepoint, so one bad application is logged and skipped without undoing or stopping the
rest, and it is tried again at the next tick.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from sqlalchemy import String, cast, exists, func, literal, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, selectinload

from backoffice import batch
from backoffice.actors import Actor
from backoffice.applications import services
from backoffice.applications.models import Application, Document, RegistrationCode
from backoffice.audit.models import AuditEvent
from backoffice.audit.trail import record
from backoffice.database import Database
from backoffice.documents.storage import open_storage
from backoffice.letters.models import OutboxMessage, OutboxStatus
from backoffice.letters.outbox import write
from backoffice.scheduler import sender
from backoffice.scheduler.locks import job_lock
from backoffice.settings import Settings, recipients
from backoffice.staff.models import ServiceCenter
from workflows.accession import WAITING_FOR_STAFF, AccessionState

log = logging.getLogger(__name__)
SCHEDULER = Actor.system("scheduler")
#: Fields retention blanks, with the empty value each gets.
PERSONAL_FIELDS: dict[str, Any] = {
    "consumer_name": "",
    "identifier": "",
    "identifier_kind": None,
    "email": "",
    "phones": [],
    "code_word_hash": "",
    "contact_name": "",
    "contract_id": None,
}

Work = Callable[[Session, Application], bool]


# -- letters -----------------------------------------------------------------------------------------------------


def deliver_letters(db: Database, settings: Settings, now: datetime) -> sender.Report:
    report = sender.deliver_due(db, settings, now=now)
    if report.claimed:
        log.info("letters: %s", report)
    return report


# -- intake ------------------------------------------------------------------------------------------------------


def poll_intake(db: Database, settings: Settings, now: datetime) -> Any:
    """Read the intake mailbox once, if the intake is installed and switched on.

    The contract with the intake: ``backoffice.intake.poll(db, settings)``. Two scheduler processes never poll
    at the same moment (an advisory lock on PostgreSQL). A database that cannot be reached is one line in the
    log, not a traceback every minute: the next tick finds it back and carries on where the rows say.
    """
    if not settings.scheduler.intake_enabled:
        return None
    try:
        module = importlib.import_module("backoffice.intake")
    except ModuleNotFoundError as exc:
        if exc.name != "backoffice.intake":
            raise
        return None
    poll = getattr(module, "poll", None)
    if poll is None:
        log.debug("intake: backoffice.intake has no poll(db, settings) yet")
        return None
    from backoffice.intake.outages import is_database_outage

    try:
        with job_lock(db, "poll_intake") as mine:
            if not mine:
                return None
            summary = poll(db, settings)
    except DBAPIError as exc:
        if not is_database_outage(exc):
            raise
        log.warning("intake: the database cannot be reached (%s); the next tick tries again", exc.orig)
        return None
    problem = getattr(summary, "disk_problem", None)
    if problem is not None:
        log.warning("intake: %s; %s message(s) wait for a later tick", problem.describe(), summary.disk_errors)
    return summary


# -- registration codes ------------------------------------------------------------------------------------------


def _current_code(*conditions: Any) -> Any:
    """The application's one code that can still be used, meeting ``conditions`` (correlated to the application)."""
    return exists().where(
        RegistrationCode.application_id == Application.id,
        RegistrationCode.used_at.is_(None),
        RegistrationCode.revoked_at.is_(None),
        *conditions,
    )


def _no_letter_yet(kind: str) -> Any:
    """No ``kind`` letter yet for the code (inside :func:`_current_code`): a look-up of the unique dedup key.

    The key is built from the code's own columns only: naming ``Application`` here would not correlate two
    levels up, and would put the application table into the sub-query's FROM.
    """
    key = (
        literal(f"{kind}:")
        + cast(RegistrationCode.application_id, String)
        + literal(":code-")
        + cast(RegistrationCode.id, String)
    )
    return ~exists().where(OutboxMessage.dedup_key == key)


def code_reminders(db: Database, settings: Settings, now: datetime) -> int:
    """Remind a customer who has a code but has not finished: N days after the code, and shortly before it expires.

    Each letter is written once per code (the outbox's dedup key ``<kind>:<application>:code-<code id>``),
    however often the job runs and however many schedulers run it.
    """
    config = settings.scheduler
    expiring_from = now + timedelta(hours=config.code_expiring_hours)
    reminder_due = now - timedelta(days=config.code_reminder_days)
    written = 0
    plans = (
        (
            "code_reminder",
            (
                RegistrationCode.issued_at <= reminder_due,
                RegistrationCode.expires_at > expiring_from,  # later than that, the last reminder says it all
            ),
        ),
        ("code_expiring", (RegistrationCode.expires_at <= expiring_from, RegistrationCode.expires_at > now)),
    )
    for kind, conditions in plans:
        due = select(Application).where(
            Application.state == AccessionState.CODE_ISSUED, _current_code(*conditions, _no_letter_yet(kind))
        )
        written += batch.each(db, _with_codes(due), _remind(settings, now, kind), what=kind)
    return written


def _remind(settings: Settings, now: datetime, kind: str) -> Work:
    def work(session: Session, app: Application) -> bool:
        code = _code_of(app)
        if code is None or code.expires_at <= now or not app.email:
            return False
        _, created = write(
            session,
            kind=kind,
            recipient=app.email,
            language=app.language,
            context={
                "number": app.number,
                "expires_at": code.expires_at.isoformat(),
                "link": urljoin(settings.site.base_url.rstrip("/") + "/", "company"),
                "registration_code_id": code.id,
            },
            application_id=app.id,
            occasion=f"code-{code.id}",
            now=now,
        )
        if created:
            record(session, SCHEDULER, services.SUBJECT, app.id, kind, changes={"registration_code_id": code.id})
        return created

    return work


def _code_of(app: Application) -> RegistrationCode | None:
    """The application's code that can still be used, as loaded with the batch under the application's lock
    (``_with_codes``: one query for the whole batch instead of one an item)."""
    return next((c for c in app.codes if c.used_at is None and c.revoked_at is None), None)


def _with_codes(statement: Any) -> Any:
    return statement.options(selectinload(Application.codes))


def expire_codes(db: Database, settings: Settings, now: datetime) -> int:
    """Fire ``expire_code`` on applications whose code's time is up (a workflow transition, audited)."""
    due = select(Application).where(
        Application.state == AccessionState.CODE_ISSUED, _current_code(RegistrationCode.expires_at <= now)
    )

    def work(session: Session, app: Application) -> bool:
        code = _code_of(app)
        if code is None or code.expires_at > now:
            return False
        services.fire(session, app, "expire_code", SCHEDULER, settings=settings)
        return True

    return batch.each(db, _with_codes(due), work, what="expire_code")


# -- calls -------------------------------------------------------------------------------------------------------


def retry_calls(db: Database, settings: Settings, now: datetime) -> int:
    """Put applications whose call retry is due back in the queue of calls to make."""
    due = select(Application).where(
        Application.state == AccessionState.CALL_RETRY_SCHEDULED, Application.next_call_at <= now
    )

    def work(session: Session, app: Application) -> bool:
        if app.next_call_at is None or app.next_call_at > now:
            return False
        services.fire(session, app, "retry_call", SCHEDULER, settings=settings)
        return True

    return batch.each(db, due, work, what="retry_call")


# -- the digest --------------------------------------------------------------------------------------------------


def supervisor_digest(db: Database, settings: Settings, now: datetime) -> int:
    """One letter per address and local day: overdue applications per center. Nothing overdue, no letter."""
    addresses = recipients(settings.scheduler.digest_recipients)
    if not addresses:
        return 0
    day = now.astimezone(ZoneInfo(settings.scheduler.timezone)).date()
    written = 0
    with db.session() as session:
        rows = session.execute(
            select(ServiceCenter.name, func.count(Application.id), func.min(Application.due_at))
            .select_from(Application)
            .outerjoin(ServiceCenter, ServiceCenter.id == Application.center_id)
            .where(Application.state.in_(WAITING_FOR_STAFF), Application.due_at <= now)
            .group_by(ServiceCenter.name)
            .order_by(func.count(Application.id).desc(), ServiceCenter.name)
        ).all()
        if not rows:
            return 0
        centers: list[dict[str, Any]] = [
            {"name": name or "", "overdue": int(count), "oldest_due_at": oldest.isoformat() if oldest else ""}
            for name, count, oldest in rows
        ]
        context = {
            "date": day.isoformat(),
            "total": sum(int(c["overdue"]) for c in centers),
            "centers": centers,
            "link": settings.site.base_url.rstrip("/") + "/admin/applications/",
        }
        for address in addresses:
            message, created = write(
                session,
                kind="supervisor_digest",
                recipient=address,
                language=settings.site.default_language,
                context=context,
                application_id=None,
                occasion=f"{day.isoformat()}:{address.lower()}",
                now=now,
            )
            if created:
                session.flush()
                record(session, SCHEDULER, "outbox_message", message.id, "supervisor_digest")
                written += 1
    return written


# -- retention ---------------------------------------------------------------------------------------------------


def retention(db: Database, settings: Settings, now: datetime) -> int:
    """Remove the personal data of rejected and withdrawn applications after ``[scheduler] retention_days``.

    What stays is the audit skeleton: the number, channel, center, states and their times, who acted and when.
    What goes: the applicant's data, the phones and notes of calls, the files and their names, the addresses
    and contents of letters, and the values (not the names) of changed fields and the free-text reasons in the
    application's audit trail.
    """
    cutoff = now - timedelta(days=settings.scheduler.retention_days)
    due = select(Application).where(
        Application.state.in_((AccessionState.REJECTED, AccessionState.WITHDRAWN)),
        Application.personal_data_removed_at.is_(None),
        Application.updated_at <= cutoff,
    )
    storage = open_storage(settings, db)

    def work(session: Session, app: Application) -> bool:
        if app.personal_data_removed_at is not None or app.updated_at > cutoff:
            return False
        for path in _remove_personal_data(session, app, settings, now):
            # After the commit: a rolled-back removal never loses a file that is still referenced.
            batch.after_commit(session, partial(storage.remove, path))
        return True

    return batch.each(db, due, work, what="retention")


def _remove_personal_data(session: Session, app: Application, settings: Settings, now: datetime) -> list[str]:
    """Blank the application's personal data; returns the stored files no other application uses."""
    removed = [name for name, empty in PERSONAL_FIELDS.items() if getattr(app, name) not in (empty, None)]
    for name, empty in PERSONAL_FIELDS.items():
        setattr(app, name, empty)
    app.personal_data_removed_at = now
    for call in app.calls:
        call.phone, call.note = "", ""
    files = []
    for doc in app.documents:
        if doc.storage_path:
            # Stored by content: the same file may belong to another application that keeps it.
            shared = session.scalar(
                select(func.count())
                .select_from(Document)
                .where(Document.storage_path == doc.storage_path, Document.application_id != app.id)
            )
            if not shared:
                files.append(doc.storage_path)
        doc.filename, doc.storage_path = "", ""
    for letter in session.scalars(select(OutboxMessage).where(OutboxMessage.application_id == app.id)):
        letter.recipient, letter.context, letter.last_error = "", {}, ""
        if letter.status == OutboxStatus.PENDING:
            letter.status, letter.last_error = OutboxStatus.SUPERSEDED, "superseded: personal data removed"
    for event in session.scalars(
        select(AuditEvent).where(AuditEvent.subject_type == services.SUBJECT, AuditEvent.subject_id == app.id)
    ):
        event.changes = dict.fromkeys(event.changes)
        event.reason = ""
    record(
        session,
        SCHEDULER,
        services.SUBJECT,
        app.id,
        "remove_personal_data",
        reason=f"retention: {settings.scheduler.retention_days} days after the application was closed",
        changes={name: None for name in removed} | {"documents": len(app.documents), "calls": len(app.calls)},
    )
    session.flush()
    return files
