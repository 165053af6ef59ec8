"""Everything that changes an application. Views, the CLI, intake and the scheduler call these; nothing else
writes application rows."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, false, or_, select, true, update
from sqlalchemy.orm import Session

from backoffice import statechange
from backoffice.actors import Actor
from backoffice.applications import (
    duplicates,
    effects,  # noqa: F401 - registers the letters each transition writes
    labels,
    routing,
)
from backoffice.applications.data import FIELDS, Cleaned, clean
from backoffice.applications.models import Application, CallOutcome, Channel, ConfirmationCall
from backoffice.audit.models import AuditEvent
from backoffice.audit.trail import record
from backoffice.contracts.models import Contract
from backoffice.errors import BackofficeError, Forbidden
from backoffice.passwords import MIN_PASSWORD, code_word_could_be_password, code_word_matches, hash_code_word
from backoffice.settings import Settings
from backoffice.translation import lazy_gettext as _l
from backoffice.types import utcnow
from backoffice.validation.problems import Invalid, Problem
from workflows.accession import ACCESSION, WAITING_FOR_STAFF
from workflows.i18n import N_
from workflows.roles import Role

SUBJECT = "application"


class AccessDenied(Forbidden):
    """The actor may not see or change this application (another center's, or not staff)."""


def can_access(actor: Actor, app: Application) -> bool:
    """Operators work their own center's applications, those assigned to them and the unrouted pool (no center
    yet: every operator sees it and may take one); supervisors all of them."""
    if actor.role in {Role.SUPERVISOR, Role.SYSTEM}:
        return True
    if actor.role == Role.OPERATOR:
        return app.center_id in (actor.center_id, None) or (
            actor.operator_id is not None and app.assignee_id == actor.operator_id
        )
    return False


def visible_to(actor: Actor) -> ColumnElement[bool]:
    """:func:`can_access` as a condition on ``Application``, for lists of things that belong to applications (the
    queue has its own form of it, with bound parameters, for its cached statements)."""
    if actor.role in {Role.SUPERVISOR, Role.SYSTEM}:
        return true()
    if actor.role == Role.OPERATOR:
        return or_(
            Application.center_id.is_(None),
            Application.center_id == actor.center_id,
            Application.assignee_id == actor.operator_id,
        )
    return false()


def ensure_access(actor: Actor, app: Application) -> None:
    if actor.role != Role.CUSTOMER and not can_access(actor, app):
        raise AccessDenied(f"{actor.label} may not act on application {app.number}")


#: Flow A as the back office runs it: every change of an application's state goes through ``FLOW.fire``.
FLOW = statechange.Flow(ACCESSION, SUBJECT, label_of=labels.label_of, check_access=ensure_access)
fire = FLOW.fire


def create(
    session: Session,
    actor: Actor,
    *,
    channel: Channel,
    raw: Mapping[str, Any],
    center_id: int | None = None,
    language: str = "uk",
    strict: bool = True,
    received_at: datetime | None = None,
    email_from_envelope: bool = False,
    settings: Settings,
) -> tuple[Application, Cleaned]:
    """Register a new application.

    ``strict`` (a form someone is filling in) refuses any error; otherwise (intake, where the data comes from
    a document) the valid fields are kept and the problems returned for the operator to resolve.
    ``email_from_envelope``: the email given is the sender's address, not one the customer wrote down (the
    confirmation call checks it); it is marked so only if the address passed the rules.

    The application is inserted here (its number is made from its id); its number, contract and audit row go in
    with the caller's next flush, together with what the caller adds (documents, the first state change): one
    UPDATE and one INSERT of audit rows instead of one each.
    """
    workflow = settings.workflow
    present = tuple(f for f in FIELDS if raw.get(f) not in (None, "", []))
    cleaned = clean(raw, only=FIELDS if strict else present)
    if strict and cleaned.errors:
        raise Invalid(cleaned.errors)
    values = dict(cleaned.values)
    code_word = values.pop("code_word", "")
    now = received_at or utcnow()
    app = Application(
        channel=channel,
        center_id=center_id,
        language=language,
        received_at=now,
        updated_at=now,
        due_at=now + timedelta(hours=workflow.review_deadline_hours),
        code_word_hash=hash_code_word(settings.code_key, code_word) if code_word else "",
        code_word_long=code_word_could_be_password(code_word, MIN_PASSWORD),
        email_from_envelope=email_from_envelope and bool(values.get("email")),
        documents=[],  # new, so known to have none: adding its files reads nothing back
        **values,
    )
    session.add(app)
    session.flush()
    app.contract = find_contract(session, app)  # read before anything is pending, so nothing is flushed for it
    app.number = f"{now.year}-{app.id:06d}"
    record(
        session,
        actor,
        SUBJECT,
        app.id,
        "create",
        to_state=app.state.value,
        changes={"channel": [None, channel.value], **({"center_id": [None, center_id]} if center_id else {})},
    )
    return app, cleaned


def find_contract(session: Session, app: Application) -> Contract | None:
    """The supply contract of the applicant: same identifier, preferring the same commercial offer."""
    if not app.identifier:
        return None
    contracts = session.scalars(
        select(Contract).where(Contract.identifier == app.identifier).order_by(Contract.id)
    ).all()
    same_offer = [c for c in contracts if c.commercial_offer == app.commercial_offer]
    return (same_offer or list(contracts) or [None])[0]


def update_data(
    session: Session,
    app: Application,
    actor: Actor,
    raw: Mapping[str, Any],
    *,
    expected_version: int | None = None,
    reason: str = "",
    settings: Settings,
) -> AuditEvent | None:
    """Enter or correct registration data; the audit row keeps before/after (never the code word itself)."""
    ensure_access(actor, app)
    if app.state not in WAITING_FOR_STAFF:
        msg = N_("The data can no longer be changed in this state")
        raise Invalid([Problem("state", "closed", msg)])
    FLOW.check_version(session, app, expected_version)
    given = tuple(f for f in FIELDS if f in raw)
    cleaned = clean(raw, only=given)
    if cleaned.errors:
        raise Invalid(cleaned.errors)
    changes: dict[str, Any] = {}
    for name, value in cleaned.values.items():
        if name == "code_word":
            if not code_word_matches(settings.code_key, app.code_word_hash, value):
                app.code_word_hash = hash_code_word(settings.code_key, value)
                app.code_word_long = code_word_could_be_password(value, MIN_PASSWORD)
                changes["code_word"] = ["***", "***"]
            continue
        old = getattr(app, name)
        if old != value:
            setattr(app, name, value)
            changes[name] = [_plain(old), _plain(value)]
    if not changes:
        return None
    if "identifier" in changes or "commercial_offer" in changes:
        app.contract = find_contract(session, app)
    app.updated_at = utcnow()
    event = record(session, actor, SUBJECT, app.id, "edit", reason=reason, changes=changes)
    FLOW.flush(session, app.id)
    return event


def available_actions(app: Application, actor: Actor) -> list[str]:
    """The triggers to offer as buttons: the workflow's answer, filtered by who may see this application."""
    if actor.role != Role.CUSTOMER and not can_access(actor, app):
        return []
    return ACCESSION.available(app, actor.role)


def log_call(
    session: Session,
    app: Application,
    actor: Actor,
    *,
    outcome: CallOutcome,
    spoken_code_word: str = "",
    phone: str = "",
    note: str = "",
    corrections: Mapping[str, Any] | None = None,
    expected_version: int | None = None,
    settings: Settings,
) -> ConfirmationCall:
    """Record a confirmation call and move the application by its outcome.

    Confirmed or corrected: the caller must give the code word; the data is confirmed (and corrected) only when
    it matches, and otherwise the call is kept as what it was, a mismatch. No answer: a retry is scheduled. Wrong
    number: the call is on record, the application waits for another number. Refused: the application is
    rejected with the note as the reason.
    """
    ensure_access(actor, app)
    FLOW.check_version(session, app, expected_version)
    if outcome == CallOutcome.CODE_WORD_MISMATCH:
        raise ValueError("a mismatch is what the code word check finds, not an outcome to choose")
    matched = code_word_matches(settings.code_key, app.code_word_hash, spoken_code_word) if spoken_code_word else None
    confirming = outcome in {CallOutcome.CONFIRMED, CallOutcome.CORRECTED}
    call = ConfirmationCall(
        application=app,
        operator_id=actor.operator_id,
        called_at=utcnow(),
        phone=phone or (app.phones[0] if app.phones else ""),
        outcome=CallOutcome.CODE_WORD_MISMATCH if confirming and not matched else outcome,
        code_word_matched=matched,
        note=note,
    )
    session.add(call)
    if confirming:
        if not matched:
            # The call is on record (who tried, when); the application stays where it was, and corrections
            # offered by a caller who could not give the code word are not taken.
            record(session, actor, SUBJECT, app.id, "code_word_mismatch", reason=note)
            session.flush()
            msg = N_("The code word does not match: the data cannot be confirmed")
            raise CodeWordMismatch([Problem("code_word", "mismatch", msg)])
        if outcome == CallOutcome.CORRECTED and corrections:
            update_data(
                session,
                app,
                actor,
                corrections,
                reason=note or "corrected during the confirmation call",
                settings=settings,
            )
        fire(
            session,
            app,
            "confirm",
            actor,
            reason=note,
            context={"code_word_matched": True},
            settings=settings,
        )
    elif outcome == CallOutcome.NO_ANSWER:
        app.call_attempts += 1
        app.next_call_at = utcnow() + timedelta(hours=settings.workflow.call_retry_hours)
        fire(session, app, "call_unanswered", actor, reason=note, settings=settings)
    elif outcome == CallOutcome.WRONG_NUMBER:
        record(session, actor, SUBJECT, app.id, "call_wrong_number", reason=note, changes={"phone": call.phone})
        FLOW.flush(session, app.id)
    elif outcome == CallOutcome.REFUSED:
        fire(
            session,
            app,
            "reject",
            actor,
            reason=note or "refused during the confirmation call",
            settings=settings,
        )
    return call


class CodeWordMismatch(Invalid):
    """The caller could not give the code word; the call is recorded, nothing else changes.

    It is raised after writing the call and its audit row: the caller commits, unlike other errors.
    """

    recorded = True

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems)
        self._user_message = _l("No match: the code word the caller gave is wrong. Nothing was confirmed.")


def claim(session: Session, app: Application, actor: Actor) -> bool:
    """Take an unassigned application. Atomic: of two operators clicking at once, exactly one gets it."""
    ensure_access(actor, app)
    result = session.execute(
        update(Application)
        .where(Application.id == app.id, Application.assignee_id.is_(None))
        .values(assignee_id=actor.operator_id, version=Application.version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(app)
        return False
    record(session, actor, SUBJECT, app.id, "claim", changes={"assignee_id": [None, actor.operator_id]})
    session.flush()
    session.refresh(app)
    if app.center_id is None and actor.center_id is not None:  # taken from the pool: now the taker's center's
        routing.route(session, app, actor, actor.center_id, routing.BY_CLAIM)
        session.flush()
    return True


def release(session: Session, app: Application, actor: Actor) -> bool:
    ensure_access(actor, app)
    if app.assignee_id is None or (app.assignee_id != actor.operator_id and actor.role != Role.SUPERVISOR):
        return False
    old = app.assignee_id
    app.assignee_id = None
    record(session, actor, SUBJECT, app.id, "release", changes={"assignee_id": [old, None]})
    FLOW.flush(session, app.id)
    return True


def reassign(
    session: Session,
    app: Application,
    actor: Actor,
    operator_id: int | None,
    reason: str = "",
    *,
    expected_version: int | None = None,
) -> None:
    if actor.role != Role.SUPERVISOR:
        raise AccessDenied("only a supervisor reassigns applications")
    FLOW.check_version(session, app, expected_version)
    old = app.assignee_id
    app.assignee_id = operator_id
    record(
        session,
        actor,
        SUBJECT,
        app.id,
        "reassign",
        reason=reason,
        changes={"assignee_id": [old, operator_id]},
    )
    FLOW.flush(session, app.id)


def by_number(session: Session, number: str) -> Application | None:
    return session.scalars(select(Application).where(Application.number == number.strip())).first()


def _plain(value: Any) -> Any:
    if hasattr(value, "value"):
        return value.value
    return value


class NotADuplicate(BackofficeError):
    """The application to merge into is not an open application of the same customer."""

    message = _l("Only an open application of the same customer (same EDRPOU or RNOKPP) can take this one in.")


def merge(
    session: Session,
    duplicate: Application,
    into_number: str,
    actor: Actor,
    *,
    expected_version: int | None,
    settings: Settings,
) -> Application:
    """Fold a duplicate into the customer's open application: its documents move there, it is withdrawn with
    the other's number as the reason, and both histories say so. Returns the application that stays."""
    target = by_number(session, into_number)
    if (
        target is None
        or target.id == duplicate.id
        or not duplicate.identifier
        or target.identifier != duplicate.identifier
        or target.state in duplicates.CLOSED
    ):
        raise NotADuplicate(into_number)
    ensure_access(actor, target)
    FLOW.check_version(session, duplicate, expected_version)
    moved = [document.filename for document in duplicate.documents]
    for document in list(duplicate.documents):
        document.application = target
    fire(session, duplicate, "withdraw", actor, reason=f"merged into {target.number}", settings=settings)
    changes = {"merged": [None, duplicate.number], "documents": moved}
    record(session, actor, SUBJECT, target.id, "merge", changes=changes)
    FLOW.flush(session, target.id)
    return target
