"""Step two of the intake: a stored message becomes an application, documents of one, or a quarantine entry.

Each message is processed in one transaction that claims its row (``status = received``) first: the
application, its documents, the acknowledgement in the outbox and the message's new status are committed
together or not at all. A crash rolls everything back and the row still says ``received``; two pollers
running at once serialise on the row and the second finds it already done. A message that keeps killing the
process is quarantined after :data:`MAX_ATTEMPTS` starts instead of being retried forever.

Two failures are nobody's fault and never quarantine a message: a documents disk that cannot be written
(:class:`DiskError`: the try is given back and the message waits, ``received``, for a poll after space was
freed) and a database that went away (raised to the poller, which waits for it to come back).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from email.utils import parseaddr
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from backoffice.actors import Actor
from backoffice.applications import routing, services
from backoffice.applications.data import FIELDS
from backoffice.applications.models import Application, Channel, Document, DocumentKind
from backoffice.audit.trail import record
from backoffice.documents import forms
from backoffice.documents.classify import APPLICATION_KINDS, SIGNED_KINDS, Family
from backoffice.documents.storage import Storage, open_storage
from backoffice.errors import BackofficeError
from backoffice.intake import matching, partial
from backoffice.intake.envelope import envelope, read_headers
from backoffice.intake.filenames import storable
from backoffice.intake.limits import Limits
from backoffice.intake.models import IncomingMessage, MessageStatus
from backoffice.intake.outages import DiskError, is_database_outage, is_disk_error
from backoffice.intake.parsing import Attachment, Parsed, parse
from backoffice.intake.units import SessionSource, unit_of_work
from backoffice.letters.outbox import enqueue
from backoffice.settings import Settings
from backoffice.types import utcnow
from backoffice.validation.problems import Problem
from workflows.accession import AccessionState
from workflows.i18n import N_

log = logging.getLogger(__name__)
INTAKE = Actor.system("intake")
SUBJECT = "incoming_message"
MAX_ATTEMPTS = 5
#: How many of a reply's In-Reply-To and References are looked up among the messages still waiting (In-Reply-To
#: comes first; a long References chain names old messages, long processed).
WAITING_LOOKUP = 20
CLOSED = frozenset({AccessionState.COMPLETED, AccessionState.REJECTED, AccessionState.WITHDRAWN})
_NO_REPLY = ("noreply", "no-reply", "donotreply", "do-not-reply", "mailer-daemon", "postmaster")

#: What each quarantine or ignore reason means, for the operator (msgids).
REASONS: dict[str, str] = {
    "no_attachment": N_("The message has no attachment"),
    "no_application_document": N_("None of the attached files is a scan or a signed document"),
    "unreadable": N_("The message cannot be read"),
    "too_large": N_("The message is larger than the limit"),
    "attachment_too_large": N_("An attachment is larger than the limit"),
    "too_many_attachments": N_("The message brings more files than the limit"),
    "archive_too_large": N_("An archive unpacks to more than the limit"),
    "unreadable_archive": N_("An archive cannot be opened"),
    "encrypted_archive": N_("An archive is protected by a password"),
    "too_deep": N_("Archives or forwarded messages are nested too deep"),
    "executable": N_("The message brings a program or a script"),
    "foreign_reply": N_("It answers an application, but from another address"),
    "application_closed": N_("It answers an application that is already closed"),
    "processing_failed": N_("Processing failed repeatedly"),
    "take_failed": N_("The message could not be taken from the mailbox; it is kept here as it arrived"),
    "unreadable_in_mailbox": N_(
        "The message cannot be read in the mailbox; it stays there and is tried again at every poll"
    ),
    "empty_container": N_("Outlook's winmail.dat holds no files: ask the sender to attach the application as a PDF"),
    "encrypted_message": N_("The message is encrypted and cannot be read: ask the sender to send it unencrypted"),
    "binhex": N_("An attachment is in the old BinHex format, which is not opened: ask the sender for a PDF"),
    "auto_reply": N_("An automatic reply"),
    "bounce": N_("A delivery failure report"),
    "read_receipt": N_("A read receipt"),
}


def process_one(sessions: SessionSource, settings: Settings, message_id: int) -> str:
    """Process the stored message ``message_id`` once; returns what became of it (see :class:`PollSummary`).

    Raises :class:`DiskError` (the message stays ``received``, its try given back) and a database outage
    (see :func:`is_database_outage`; the message stays ``received`` and the next poll takes it).
    """
    return process_detailed(sessions, settings, message_id).outcome


class AnswersWaiting(BackofficeError):
    """The message answers an earlier one that is still waiting to be processed, and waits for it.

    In one process the messages are processed oldest first, so this happens only when the earlier message
    failed and waits for a later poll. Processed in several lanes at once (:mod:`backoffice.intake.lanes`), the
    earlier one may simply be in another lane: the reply must find the application it becomes, not become an
    application of its own.
    """


@dataclass(frozen=True)
class Outcome:
    """What became of a message, with the reason code and application the poll's log line names (read from the
    row as it was committed, so the poll needs no second query per message to say it)."""

    outcome: str
    reason: str = ""
    application_id: int | None = None


def process_detailed(sessions: SessionSource, settings: Settings, message_id: int) -> Outcome:
    """:func:`process_one`, also returning the reason and the application."""
    with unit_of_work(sessions) as session:
        _relaxed_commit(session)
        # One statement counts the try and reads the count back (RETURNING: PostgreSQL and SQLite 3.35+).
        attempts = session.scalar(
            update(IncomingMessage)
            .where(IncomingMessage.id == message_id, IncomingMessage.status == MessageStatus.RECEIVED)
            .values(attempts=IncomingMessage.attempts + 1)
            .returning(IncomingMessage.attempts)
        )
        if attempts is None:
            return Outcome("skipped")
    if attempts > MAX_ATTEMPTS:
        return _give_up(sessions, message_id, f"{attempts - 1} earlier attempts did not finish")
    try:
        with unit_of_work(sessions) as session:
            # The claim reads the row back in the same statement (RETURNING), fresh, whatever the session held.
            message = session.scalar(
                update(IncomingMessage)
                .where(IncomingMessage.id == message_id, IncomingMessage.status == MessageStatus.RECEIVED)
                .values(processed_at=utcnow())
                .returning(IncomingMessage),
                execution_options={"populate_existing": True},
            )
            if message is None:
                return Outcome("skipped")  # another poller finished it while we counted the attempt
            outcome = handle(session, message, settings)
            done = Outcome(outcome, message.reason or "", message.application_id)
        return done
    except DiskError:
        _give_back(sessions, message_id)
        raise
    except AnswersWaiting:
        _give_back(sessions, message_id)
        return Outcome("waiting")
    except DBAPIError as exc:
        if is_database_outage(exc):
            raise
        log.warning("database error on incoming message %s; retried on the next poll", message_id, exc_info=True)
        return Outcome("error")
    except Exception as exc:
        log.exception("incoming message %s could not be processed", message_id)
        return _give_up(sessions, message_id, f"{type(exc).__name__}: {exc}")


def logged(message_id: int, done: Outcome) -> str:
    """One log line per message: its row, what became of it and why (the quarantine or ignore reason code)."""
    log.info(
        "message %s: %s %s",
        message_id,
        done.outcome,
        done.reason,
        extra={
            "message_row": message_id,
            "outcome": done.outcome,
            "reason": done.reason,
            "application_id": done.application_id,
        },
    )
    return done.outcome


def _relaxed_commit(session: Session) -> None:
    """On PostgreSQL, let this transaction's commit return before its WAL record is flushed to disk.

    Only for the try counter: it guards against a message that kills the process again and again, and a kill of
    the process (what it counts) never loses an asynchronous commit, which the server holds. A crash of the
    database host may forget the last fraction of a second of counts: one try more for a message, never a
    message lost or processed twice (that is decided by the claim and the processing commit, which stay
    synchronous). It saves one disk flush per message.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL synchronous_commit = off"))


def _give_back(sessions: SessionSource, message_id: int) -> None:
    """Uncount the try a disk failure ended: a disk full for longer than five polls must not quarantine mail."""
    try:
        with unit_of_work(sessions) as session:
            session.execute(
                update(IncomingMessage)
                .where(
                    IncomingMessage.id == message_id,
                    IncomingMessage.status == MessageStatus.RECEIVED,
                    IncomingMessage.attempts > 0,
                )
                .values(attempts=IncomingMessage.attempts - 1)
            )
    except DBAPIError:  # the disk error is what the caller reports; the try stays counted
        log.warning("the try of incoming message %s could not be given back", message_id, exc_info=True)


def _give_up(sessions: SessionSource, message_id: int, detail: str) -> Outcome:
    with unit_of_work(sessions) as session:
        message = session.get(IncomingMessage, message_id)
        if message is None or message.status != MessageStatus.RECEIVED:
            return Outcome("skipped")
        quarantine(session, message, "processing_failed", detail[:2000])
        return Outcome("quarantined", "processing_failed", message.application_id)


def handle(
    session: Session,
    message: IncomingMessage,
    settings: Settings,
    *,
    actor: Actor = INTAKE,
    force: bool = False,
    center_id: int | None = None,
) -> str:
    """Decide and write what becomes of ``message`` in the caller's transaction.

    ``force`` (an operator converting a quarantined message) makes an application whatever the message lacks,
    with the files that could be read safely; limits on what is unpacked still hold. A documents disk that
    cannot be written raises :class:`DiskError` either way: the message is not to blame, and an application
    without its files would be worse than none.
    """
    storage = open_storage(settings, session)
    limits = Limits.from_settings(settings)
    if message.size > limits.max_message_bytes and not force:
        return quarantine(session, message, "too_large", f"{message.size} bytes")
    fragment, answers = (None, ()) if force else _first_look(storage, message)
    if answers and _answers_one_waiting(session, message, answers):
        raise AnswersWaiting(message.id)
    if fragment is not None:
        return partial.hold(session, storage, message, fragment, actor, limits.max_message_bytes)
    parsed: Parsed | None
    try:
        with storage.local_file(message.raw_path) as raw:
            parsed = parse(raw, storage, limits)
    except Exception as exc:
        if is_disk_error(exc):
            assert isinstance(exc, OSError)
            raise DiskError(storage.root, exc) from exc
        if not force:
            return quarantine(session, message, "unreadable", f"{type(exc).__name__}: {exc}")
        parsed = None
    if parsed is not None:
        message.sender = storable(parsed.envelope.sender, 254) or message.sender
        message.subject = storable(parsed.envelope.subject, 500) or message.subject
        signed = parsed.email_signature
        if signed is not None:  # verified after the commit, like the documents' signatures
            content = signed.content.path if signed.content else None
            message.email_signature = {"state": "pending", "signature": signed.signature.path, "content": content}
    match = matching.find(session, parsed.envelope, settings) if parsed is not None and not force else None
    if parsed is not None and parsed.envelope.automatic and not force:
        message.status = MessageStatus.IGNORED
        message.reason = parsed.envelope.automatic
        message.application_id = match.application.id if match else None
        record(session, actor, SUBJECT, message.id, "ignore", reason=message.reason)
        session.flush()
        return "ignored"
    attachments = parsed.attachments if parsed is not None else []
    issues = parsed.budget.issues if parsed is not None and parsed.budget else []
    if issues and not force:
        detail = "; ".join(f"{i.code}: {i.detail}" if i.detail else i.code for i in issues)
        return quarantine(session, message, issues[0].code, detail)
    usable = [a for a in attachments if a.type.kind in APPLICATION_KINDS]
    if match is not None:
        return _reply(session, message, match, attachments, usable, settings, actor)
    if not usable and not force:
        code = "no_application_document" if attachments else "no_attachment"
        return quarantine(session, message, code, ", ".join(a.filename for a in attachments))
    app = _new_application(session, message, attachments, settings, actor, center_id)
    message.status = MessageStatus.CONVERTED if force else MessageStatus.PROCESSED
    message.application_id = app.id
    record(session, actor, SUBJECT, message.id, "convert" if force else "process", changes={"application": app.number})
    session.flush()
    return "created"


def _first_look(storage: Storage, message: IncomingMessage) -> tuple[partial.Fragment | None, tuple[str, ...]]:
    """From the header block alone: whether the message is a fragment of a split one, and which messages it
    answers (Message-IDs). Headers that only the full parse can judge say neither."""
    try:
        with storage.open(message.raw_path) as fh:
            headers = read_headers(fh)
    except (ValueError, LookupError, IndexError, AttributeError):
        return None, ()
    try:
        fragment = partial.fragment_of(headers)
    except (ValueError, LookupError, IndexError, AttributeError):
        fragment = None
    try:
        answers = envelope(headers).answers
    except Exception:  # the tolerant parser's business: the full parse below says what is wrong
        answers = ()
    return fragment, answers


def _answers_one_waiting(session: Session, message: IncomingMessage, answers: tuple[str, ...]) -> bool:
    """Whether a message that arrived before this one, and that this one answers, still waits to be processed."""
    earlier = session.scalar(
        select(IncomingMessage.id)
        .where(
            IncomingMessage.message_id.in_(answers[:WAITING_LOOKUP]),
            IncomingMessage.status == MessageStatus.RECEIVED,
            IncomingMessage.id < message.id,
        )
        .limit(1)
    )
    return earlier is not None


def quarantine(session: Session, message: IncomingMessage, code: str, detail: str = "") -> str:
    message.status = MessageStatus.QUARANTINED
    message.reason = code
    message.detail = detail
    record(session, INTAKE, SUBJECT, message.id, "quarantine", reason=code)
    session.flush()
    return "quarantined"


def _reply(
    session: Session,
    message: IncomingMessage,
    match: matching.Match,
    attachments: list[Attachment],
    usable: list[Attachment],
    settings: Settings,
    actor: Actor,
) -> str:
    app = match.application
    if not match.same_sender:
        return quarantine(session, message, "foreign_reply", f"{app.number} ({match.how})")
    message.application_id = app.id
    if not usable:
        # A reply without documents ("thank you", a question): linked to the application for the operator.
        message.status = MessageStatus.PROCESSED
        message.reason = "reply_without_documents"
        record(session, actor, SUBJECT, message.id, "process", changes={"application": app.number})
        session.flush()
        return "reply"
    if app.state in CLOSED:
        return quarantine(session, message, "application_closed", f"{app.number} is {app.state.value}")
    added = _attach(session, app, message, attachments, include_original=True)
    if added:
        record(
            session,
            actor,
            services.SUBJECT,
            app.id,
            "documents_added",
            changes={"documents": [d.filename for d in added], "message": message.id},
        )
    session.flush()
    if app.state == AccessionState.SIGNATURE_REJECTED:
        services.fire(session, app, "resubmit", actor, reason="new documents by email", settings=settings)
    message.status = MessageStatus.PROCESSED
    record(session, actor, SUBJECT, message.id, "process", changes={"application": app.number})
    session.flush()
    return "attached"


def _new_application(
    session: Session,
    message: IncomingMessage,
    attachments: list[Attachment],
    settings: Settings,
    actor: Actor,
    center_id: int | None,
) -> Application:
    storage = open_storage(settings, session)
    fields = _form_fields(storage, attachments)
    raw = {name: fields[name] for name in FIELDS if fields.get(name)}
    # The form gave no email: the sender's address is offered instead, marked as such for the confirmation call.
    from_envelope = "email" not in raw and _may_acknowledge(message.sender, settings)
    if from_envelope:
        raw["email"] = message.sender
    signed = any(a.type.kind in SIGNED_KINDS for a in attachments)
    app, cleaned = services.create(
        session,
        actor,
        channel=Channel.EMAIL_QUALIFIED if signed else Channel.EMAIL_SCAN,
        raw=raw,
        center_id=center_id,
        language=settings.site.default_language,
        strict=False,
        received_at=message.received_at,
        email_from_envelope=from_envelope,
        settings=settings,
    )
    with session.no_autoflush:  # what the rules read is committed already: the new rows go in with the rest below
        routed = routing.center_for(session, app, message.sender) if center_id is None else None
    if routed:
        routing.route(session, app, actor, *routed)
    # A scan has no fields: the operator types the data, and a list of "required" problems would be noise.
    problems = list(cleaned.problems) if raw else []
    number = fields.get("contract_number", "")
    if number and (app.contract is None or app.contract.number != number):
        msg = N_("The form names contract %(number)s, which does not match this consumer's contract")
        problems.append(Problem("contract_number", "mismatch", msg, {"number": number}, warning=True))
    message.problems = [_plain_problem(p) for p in problems]
    _attach(session, app, message, attachments, include_original=True)
    services.fire(session, app, "submit_for_check", actor, reason="received by email", settings=settings)
    if _may_acknowledge(message.sender, settings):
        enqueue(
            session,
            kind="acknowledgement",
            recipient=message.sender,
            language=app.language,
            context={"number": app.number},
            application_id=app.id,
            occasion="received",
        )
    return app


def _attach(
    session: Session,
    app: Application,
    message: IncomingMessage,
    attachments: list[Attachment],
    *,
    include_original: bool,
) -> list[Document]:
    """Add the files as documents of ``app``; a file it already has (same bytes) is not added twice."""
    have = {d.sha256 for d in app.documents}
    added: list[Document] = []
    if include_original and message.raw_sha256 not in have:
        added.append(
            Document(
                kind=DocumentKind.EMAIL_ORIGINAL,
                filename=f"message-{message.id}.eml",
                # Every column the attachments below set, set here too: rows of the same columns go in as one
                # INSERT of many rows.
                origin="",
                content_type="message/rfc822",
                size=message.size,
                sha256=message.raw_sha256,
                storage_path=message.raw_path,
            )
        )
        have.add(message.raw_sha256)
    for a in attachments:
        if a.stored.sha256 in have:
            continue
        have.add(a.stored.sha256)
        media = a.type.media_type if a.type.family != Family.OTHER else (a.declared_type or a.type.media_type)
        added.append(
            Document(
                kind=a.type.kind,
                filename=a.filename[:255],
                origin=a.origin[:255],
                content_type=media[:100],
                size=a.stored.size,
                sha256=a.stored.sha256,
                storage_path=a.stored.path,
            )
        )
    for document in added:
        app.documents.append(document)
    return added


def _form_fields(storage: Storage, attachments: list[Attachment]) -> dict[str, str]:
    for a in attachments:
        if a.type.family == Family.PDF and a.type.has_form:
            with storage.local_file(a.stored.path) as path:
                values = forms.read_fields(path)
            if values:
                return values
    return {}


def _may_acknowledge(sender: str, settings: Settings) -> bool:
    """Never write to nobody, to ourselves, or to an address that says it reads nothing (mail loops)."""
    if not sender or "@" not in sender:
        return False
    if sender == parseaddr(settings.mail.sender)[1].lower():
        return False
    return not sender.split("@")[0].startswith(_NO_REPLY)


def _plain_problem(problem: Problem) -> dict[str, Any]:
    data = asdict(problem)
    data["params"] = {k: v if isinstance(v, int | float) else str(v) for k, v in problem.params.items()}
    return data
