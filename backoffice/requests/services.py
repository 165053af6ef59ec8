"""Writing, answering and closing customer requests: the only code that changes them.

The customer writes a request (:func:`submit`) from the cabinet; after that every move, the customer's reply as
much as the staff's answer, goes through ``FLOW.fire`` (:func:`act`), so it is checked against the table, versioned
and audited, and the letters it causes are outbox rows of the same transaction. The text of a move becomes a
message of the thread; the files sent with it are stored like application documents, their type decided by
their content and their size limited, and refused all at once with the text's problems.

Center isolation is the applications' rule: an operator sees the requests of their own center and the unrouted
ones, a supervisor all of them. A customer reaches only their own requests: the pages load a request through the
account (:func:`own`), so another account's request does not exist for them.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urljoin

from sqlalchemy import ColumnElement, and_, false, func, or_, select, true, union
from sqlalchemy.orm import Session, aliased

from backoffice import statechange
from backoffice.actors import Actor
from backoffice.applications.models import Application
from backoffice.audit.models import AuditEvent
from backoffice.audit.trail import record
from backoffice.customers.models import CustomerAccount
from backoffice.documents.classify import Family, sniff
from backoffice.documents.storage import open_storage
from backoffice.errors import BackofficeError, Forbidden
from backoffice.intake.filenames import safe_filename
from backoffice.letters.outbox import enqueue
from backoffice.paging import Keyset, Page
from backoffice.requests import kinds, labels
from backoffice.requests.models import Author, CustomerRequest, RequestAttachment, RequestKind, RequestMessage
from backoffice.settings import Settings
from backoffice.staff.models import Operator
from backoffice.translation import lazy_gettext as _l
from backoffice.types import utcnow
from backoffice.validation.problems import Invalid, Problem
from backoffice.validation.text import one_line
from workflows.i18n import N_
from workflows.request_states import WITH_STAFF, RequestState
from workflows.roles import Role

SUBJECT = "customer_request"
ANSWERED_LETTER = "request_answered"  # staff answered, asked or refused: the message, and where to reply
CLOSED_LETTER = "request_closed"
#: The moves whose text is a message to the customer, sent by letter (each workflow has some of them).
ANSWERS = ("answer", "ask", "send_copies", "issue_conditions", "report_done", "reject")
#: The moves that end a request without a text of their own; the customer is told by letter too.
ENDINGS = ("close", "expire", "accept_reading")
#: Where a request is read in the cabinet (``requests/web``: ``/account/requests/<id>``), for the letters' links.
CABINET_PATH = "account/requests/"
MAX_SUBJECT = 200
MAX_TEXT = 5000
MAX_FILES = 5
MAX_FILE_BYTES = 10 * 1024 * 1024
#: What a customer or staff may attach: documents and pictures, judged by the bytes (``documents.classify``).
ALLOWED_FAMILIES = frozenset({Family.PDF, Family.IMAGE})


def can_access(actor: Actor, subject: CustomerRequest) -> bool:
    """Operators work their own center's requests and the unrouted ones; supervisors and the system all."""
    if actor.role in {Role.SUPERVISOR, Role.SYSTEM}:
        return True
    if actor.role == Role.OPERATOR:
        return subject.center_id in (actor.center_id, None)
    return False


def ensure_access(actor: Actor, subject: CustomerRequest) -> None:
    """The flow's access check. A customer's ownership is settled before: the pages load through :func:`own`."""
    if actor.role != Role.CUSTOMER and not can_access(actor, subject):
        raise Forbidden(f"{actor.label} may not act on request {subject.number}")


def visible_to(actor: Actor) -> ColumnElement[bool]:
    """:func:`can_access` as a condition on ``CustomerRequest``, for the queue."""
    if actor.role in {Role.SUPERVISOR, Role.SYSTEM}:
        return true()
    if actor.role == Role.OPERATOR:
        return or_(CustomerRequest.center_id.is_(None), CustomerRequest.center_id == actor.center_id)
    return false()


#: Customer requests as the back office runs them, one flow per workflow (``requests.kinds``): every change of
#: state goes through ``flow_of(request).fire``.
FLOWS: dict[str, statechange.Flow] = {
    workflow.name: statechange.Flow(
        workflow,
        SUBJECT,
        label_of=labels.label_of,
        check_access=ensure_access,
        conflict_message=N_(
            "%(who)s changed this request at %(when)s (%(action)s) while you were looking at it. "
            "Nothing of yours was saved: check the page and try again."
        ),
    )
    for workflow in kinds.WORKFLOWS
}


def flow_of(req: CustomerRequest) -> statechange.Flow:
    """The flow that moves a request of this kind."""
    return FLOWS[kinds.KINDS[req.kind].workflow.name]


@dataclass(frozen=True)
class Upload:
    """A file as a form sent it: the name the browser gave and its bytes."""

    filename: str
    stream: IO[bytes]


@dataclass(frozen=True)
class Checked:
    """An upload that passed: its safe name, its type by content, its bytes."""

    filename: str
    media_type: str
    data: bytes


def check_files(uploads: Sequence[Upload], field: str = "files") -> tuple[list[Checked], list[Problem]]:
    """Read the uploads within their limits and judge each by its content; every problem is returned at once."""
    problems: list[Problem] = []
    sent = [u for u in uploads if u.filename]
    if len(sent) > MAX_FILES:
        problems.append(Problem(field, "count", N_("At most %(max)d files"), {"max": MAX_FILES}))
        return [], problems
    checked: list[Checked] = []
    with tempfile.TemporaryDirectory(prefix="backoffice-upload-") as folder:
        for index, upload in enumerate(sent, start=1):
            name = safe_filename(upload.filename, index=index)
            data = upload.stream.read(MAX_FILE_BYTES + 1)
            if len(data) > MAX_FILE_BYTES:
                msg = N_("%(file)s is larger than %(mb)d MB")
                problems.append(Problem(field, "large", msg, {"file": name, "mb": MAX_FILE_BYTES // 1024 // 1024}))
                continue
            if not data:
                problems.append(Problem(field, "empty", N_("%(file)s is empty"), {"file": name}))
                continue
            path = Path(folder) / f"{index}"
            path.write_bytes(data)
            kind = sniff(path, name)
            if kind.family not in ALLOWED_FAMILIES:
                msg = N_("%(file)s is not a PDF or a picture (JPEG, PNG, TIFF)")
                problems.append(Problem(field, "type", msg, {"file": name}))
                continue
            checked.append(Checked(name, kind.media_type, data))
    return checked, problems


def _text_problems(text: str, field: str = "text", *, required: bool) -> list[Problem]:
    if required and not text:
        return [Problem(field, "required", N_("Write the text"))]
    if len(text) > MAX_TEXT:
        return [Problem(field, "long", N_("At most %(max)d characters"), {"max": MAX_TEXT})]
    return []


def submit(
    session: Session,
    settings: Settings,
    account: CustomerAccount,
    *,
    kind: str,
    subject: str,
    text: str,
    uploads: Sequence[Upload] = (),
    details: Mapping[str, Any] | None = None,
    problems: Sequence[Problem] = (),
    text_required: bool = True,
) -> CustomerRequest:
    """The customer writes a request; :class:`Invalid` lists every problem of the form at once.

    A kind's own form (a connection application, a meter request) checks its fields first and hands over what it
    found (``details``) and what is wrong with them (``problems``), so the customer reads all at once."""
    problems = list(problems)
    if kind not in set(RequestKind):
        problems.append(Problem("kind", "required", N_("Choose what you are writing")))
    subject, found = one_line(subject, "subject", N_("Write the subject"), MAX_SUBJECT)
    problems += found
    text = (text or "").strip()
    problems += _text_problems(text, required=text_required)
    files, file_problems = check_files(uploads)
    problems += file_problems
    if problems:
        raise Invalid(problems)
    now = utcnow()
    app = account.application
    spec = kinds.KINDS[RequestKind(kind)]
    req = CustomerRequest(
        kind=spec.kind,
        account=account,
        center_id=app.center_id if app is not None else None,
        subject=subject,
        details=dict(details or {}),
        state=spec.workflow.initial,
        due_at=now + spec.deadline(settings.cabinet),
        created_at=now,
        updated_at=now,
    )
    session.add(req)
    session.flush()
    req.number = f"{spec.prefix}-{req.id:06d}"
    actor = Actor.customer(account.login)
    if text or files:
        _message(session, settings, req, actor, text, files)
    changes: dict[str, Any] = {"kind": req.kind.value, "subject": subject, "center_id": req.center_id}
    if files:
        changes["attachments"] = [f.filename for f in files]
    record(session, actor, SUBJECT, req.id, "submit", to_state=req.state.value, changes=changes)
    session.flush()
    return req


def act(
    session: Session,
    settings: Settings,
    req: CustomerRequest,
    trigger: str,
    actor: Actor,
    *,
    text: str = "",
    uploads: Sequence[Upload] = (),
    expected_version: int | None = None,
) -> AuditEvent:
    """Fire ``trigger`` as ``actor`` (staff's take, answer, ask, close; the customer's reply); its text and files
    become a message of the thread. Refuses the files' and the text's problems at once (:class:`Invalid`).

    Taking a request into work also makes the one who took it its assignee, unless somebody already is."""
    text = (text or "").strip()
    files, problems = check_files(uploads)
    problems = _text_problems(text, required=False) + problems
    if problems:
        raise Invalid(problems)
    changes = {"attachments": [f.filename for f in files]} if files else None
    event = flow_of(req).fire(
        session,
        req,
        trigger,
        actor,
        settings=settings,
        context={"text": text, "files": len(files)},
        expected_version=expected_version,
        changes=changes,
    )
    if text or files:
        _message(session, settings, req, actor, text, files)
        session.flush()
    if trigger == "take" and req.assignee_id is None and actor.operator_id is not None:
        req.assignee_id = actor.operator_id
    return event


def _message(
    session: Session, settings: Settings, req: CustomerRequest, actor: Actor, text: str, files: Sequence[Checked]
) -> RequestMessage:
    author = Author.CUSTOMER if actor.role == Role.CUSTOMER else Author.STAFF
    message = RequestMessage(request=req, author=author, operator_id=actor.operator_id, text=text)
    session.add(message)
    storage = open_storage(settings, session)
    for f in files:
        stored = storage.put_bytes(f.data)
        message.attachments.append(
            RequestAttachment(
                filename=f.filename,
                content_type=f.media_type,
                size=stored.size,
                sha256=stored.sha256,
                storage_path=stored.path,
            )
        )
    return message


def available_actions(req: CustomerRequest, actor: Actor) -> list[str]:
    """The buttons to offer: the kind's table's answer, nothing else."""
    return kinds.KINDS[req.kind].workflow.available(req, actor.role)


# -- what a move writes besides the state -------------------------------------------------------------------------


def _answered(session: Session, req: CustomerRequest, actor: Actor, event: AuditEvent, ctx: Mapping[str, Any]) -> None:
    """The customer learns of every answer, question and refusal by letter, with the text and the way back."""
    _letter(session, req, ANSWERED_LETTER, event, ctx)


def _closed(session: Session, req: CustomerRequest, actor: Actor, event: AuditEvent, ctx: Mapping[str, Any]) -> None:
    _letter(session, req, CLOSED_LETTER, event, ctx)


for _workflow in kinds.WORKFLOWS:
    _triggers = {row.trigger for row in _workflow.table}
    if answers := [t for t in ANSWERS if t in _triggers]:
        statechange.on(_workflow, *answers)(_answered)
    if endings := [t for t in ENDINGS if t in _triggers]:
        statechange.on(_workflow, *endings)(_closed)


def _letter(session: Session, req: CustomerRequest, kind: str, event: AuditEvent, ctx: Mapping[str, Any]) -> None:
    settings = statechange.settings_of(ctx)
    session.flush()  # the audit row's id names the occasion: one letter per move
    link = urljoin(settings.site.base_url.rstrip("/") + "/", f"{CABINET_PATH}{req.id}")
    enqueue(
        session,
        kind=kind,
        recipient=req.account.email,
        language=req.account.language,
        context={"number": req.number, "subject": req.subject, "text": str(ctx.get("text") or ""), "link": link},
        application_id=None,
        occasion=f"request-{req.id}-{event.id}",
    )


# -- reading -------------------------------------------------------------------------------------------------------

#: The staff's queue: oldest first, so the longest wait is on top.
OLDEST = Keyset((CustomerRequest.created_at, CustomerRequest.id), descending=False)


def search(
    session: Session,
    actor: Actor,
    *,
    kind: RequestKind | None = None,
    state: RequestState | None = None,
    overdue: bool = False,
    mine: bool = False,
    query: str = "",
    after: str = "",
    size: int = 50,
) -> tuple[Page[CustomerRequest], int]:
    """The requests this member of staff may see, by kind and state (all when None), only the overdue ones, only
    their own, or those whose number or customer identifier is ``query``."""
    where = [visible_to(actor)]
    if kind is not None:
        where.append(CustomerRequest.kind == kind)
    if state is not None:
        where.append(CustomerRequest.state == state)
    if overdue:
        where.append(is_overdue(utcnow()))
    if mine:
        where.append(CustomerRequest.assignee_id == actor.operator_id)
    if query := " ".join(query.split()):
        where.append(_matching(query))
    statement = select(CustomerRequest).where(*where)
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    return OLDEST.page(session, statement, after, size), total


def is_overdue(now: datetime) -> ColumnElement[bool]:
    """Staff hold it (received or in work) and its deadline has passed."""
    return and_(CustomerRequest.state.in_(WITH_STAFF), CustomerRequest.due_at < now)


def _matching(query: str) -> ColumnElement[bool]:
    """A request's own number ("A-000042", any case), or its customer's identifier: the login of a Flow B
    person (SNILS, OGRN), or the identifier on a Flow A customer's application (EDRPOU, РНОКПП).

    The three ways are a union of indexed look-ups, each giving request ids: as one ``OR`` of two ``IN``
    sub-queries, PostgreSQL read every request to test them."""
    found = aliased(CustomerRequest)
    by_number = select(found.id).where(found.number == query.upper())
    by_login = (
        select(found.id)
        .join(CustomerAccount, CustomerAccount.id == found.account_id)
        .where(CustomerAccount.login == query)
    )
    by_identifier = (
        select(found.id)
        .join(CustomerAccount, CustomerAccount.id == found.account_id)
        .join(Application, Application.id == CustomerAccount.application_id)
        .where(Application.identifier == query)
    )
    return CustomerRequest.id.in_(union(by_number, by_login, by_identifier))


def assign(session: Session, req: CustomerRequest, actor: Actor, operator_id: int | None) -> None:
    """Make a member of staff the request's assignee (None: anyone of the center), with its audit row.

    An operator may only take a request for themselves (claim) or give back their own; a supervisor may give it
    to anyone who may see it. Nobody's state changes, so no letter: the customer does not care who."""
    ensure_access(actor, req)
    if actor.role == Role.OPERATOR and operator_id not in (actor.operator_id, None):
        raise Forbidden(f"{actor.label} may not assign request {req.number} to another")
    if actor.role == Role.OPERATOR and req.assignee_id not in (None, actor.operator_id):
        holder = req.assignee.full_name if req.assignee else "?"
        raise BackofficeError(
            f"request {req.number} is held by operator {req.assignee_id}",
            user_message=_l("%(name)s has already taken this request.", name=holder),
        )
    if operator_id is not None:
        operator = session.get(Operator, operator_id)
        if operator is None or not operator.is_active or not can_access(Actor.of(operator), req):
            raise Invalid([Problem("assignee", "choice", N_("Choose somebody who works this request's center"))])
    before = req.assignee_id
    if before == operator_id:
        return
    req.assignee_id = operator_id
    req.updated_at = utcnow()
    action = "claim" if operator_id is not None and operator_id == actor.operator_id else "assign"
    if operator_id is None:
        action = "release"
    record(session, actor, SUBJECT, req.id, action, changes={"assignee_id": [before, operator_id]})
    session.flush()


def of_account(session: Session, account: CustomerAccount, kinds: Sequence[RequestKind]) -> list[CustomerRequest]:
    """The customer's own requests of these kinds, newest first, for a cabinet section."""
    query = select(CustomerRequest).where(CustomerRequest.account_id == account.id, CustomerRequest.kind.in_(kinds))
    return list(session.scalars(query.order_by(CustomerRequest.id.desc())))


def count(session: Session, account: CustomerAccount, kinds: Sequence[RequestKind]) -> int:
    """How many requests of these kinds the customer has: a section shows only when it is not zero."""
    query = select(func.count(CustomerRequest.id)).where(
        CustomerRequest.account_id == account.id, CustomerRequest.kind.in_(kinds)
    )
    return session.scalar(query) or 0


def own(session: Session, account_id: int, request_id: int) -> CustomerRequest | None:
    """The request if it is this account's; None otherwise, so another customer's request does not exist."""
    req = session.get(CustomerRequest, request_id)
    return req if req is not None and req.account_id == account_id else None


def attachment(session: Session, req: CustomerRequest, attachment_id: int) -> RequestAttachment | None:
    """One file of this request's thread; None when it belongs to another request."""
    found = session.get(RequestAttachment, attachment_id)
    return found if found is not None and found.message.request_id == req.id else None


def downloaded(session: Session, req: CustomerRequest, found: RequestAttachment) -> None:
    """The customer downloaded a file of a request for e-copies of documents: each download is an audit row."""
    if req.kind != RequestKind.DOCUMENT_COPY:
        return
    actor = Actor.customer(req.account.login)
    record(session, actor, SUBJECT, req.id, "download", changes={"attachments": [found.filename]})
    session.flush()


def others_of(session: Session, req: CustomerRequest) -> list[CustomerRequest]:
    """The same customer's other requests, for the staff's page."""
    query = select(CustomerRequest).where(CustomerRequest.account_id == req.account_id, CustomerRequest.id != req.id)
    return list(session.scalars(query.order_by(CustomerRequest.id.desc())))
