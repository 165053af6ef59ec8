"""The work queue as a query: filters, search, sort and keyset pages, shared by the list, the CSV export and the
benchmark.

Why keyset pages and no count: on a table of a million applications, ``OFFSET 250000`` and ``count(*)`` read
every row they skip or count; a cursor of (sort value, id) reads only the page. Every sort order has an
ordered index (migration 0004), and search uses a trigram index (pg_trgm on PostgreSQL, FTS5 on SQLite).
Rows are read as plain columns, and the few names they refer to (assignees, centers) in one query each, so a
page costs a fixed number of queries whatever its length.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import phonenumbers
from sqlalchemy import ColumnElement, Select, and_, cast, false, func, or_, select, text, true, tuple_
from sqlalchemy.orm import Session
from sqlalchemy.types import Text

from backoffice.actors import Actor
from backoffice.admin import sqlite_search
from backoffice.applications.models import Application, Channel
from backoffice.contracts.models import CommercialOffer
from backoffice.staff.models import Operator, ServiceCenter
from backoffice.types import utcnow
from workflows.accession import WAITING_FOR_STAFF, AccessionState
from workflows.roles import Role

PAGE_SIZE = 50
_NUMBER = re.compile(r"^(\d{4})-(\d{1,9})$")
_DIGITS = re.compile(r"^[\d\s\-()+]+$")

#: sort key -> the column that orders the page (ties broken by id)
SORTS: dict[str, Any] = {
    "due": Application.due_at,
    "received": Application.received_at,
    "number": Application.id,
}

COLUMNS = (
    Application.id,
    Application.number,
    Application.received_at,
    Application.consumer_name,
    Application.identifier,
    Application.commercial_offer,
    Application.channel,
    Application.state,
    Application.due_at,
    Application.assignee_id,
    Application.center_id,
    func.coalesce(Operator.full_name, ""),
    func.coalesce(Operator.login, ""),
    func.coalesce(ServiceCenter.name, ""),
    func.coalesce(ServiceCenter.code, ""),
)


@dataclass(frozen=True)
class QueueFilters:
    """What the operator asked for, parsed from the query string; unknown values are ignored, never an error."""

    scope: str = "mine"  # "mine": my work; "all": everything I may see
    state: AccessionState | None = None
    center_id: int | None = None
    offer: CommercialOffer | None = None
    channel: Channel | None = None
    overdue: bool = False
    assignee: str = ""  # "", "me", "none" or an operator id
    q: str = ""
    sort: str = "due"
    desc: bool = False
    after: str = ""

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> QueueFilters:
        def enum_or_none(kind: Any, value: str | None) -> Any:
            try:
                return kind(value) if value else None
            except ValueError:
                return None

        center = args.get("center", "")
        assignee = args.get("assignee", "")
        sort = args.get("sort", "due")
        return cls(
            scope="all" if args.get("scope") == "all" else "mine",
            state=enum_or_none(AccessionState, args.get("state")),
            center_id=int(center) if center.isdigit() else None,
            offer=enum_or_none(CommercialOffer, args.get("offer")),
            channel=enum_or_none(Channel, args.get("channel")),
            overdue=args.get("overdue") == "1",
            assignee=assignee if assignee in {"me", "none"} or assignee.isdigit() else "",
            q=(args.get("q") or "").strip()[:100],
            sort=sort if sort in SORTS else "due",
            desc=args.get("dir") == "desc",
            after=args.get("after", ""),
        )

    def to_args(self, **changes: Any) -> dict[str, str]:
        """Query-string arguments for a link to this queue with some filters changed (the cursor dropped)."""
        f = replace(self, **{"after": "", **changes})
        out = {
            "scope": f.scope if f.scope != "mine" else "",
            "state": f.state.value if f.state else "",
            "center": str(f.center_id) if f.center_id else "",
            "offer": f.offer.value if f.offer else "",
            "channel": f.channel.value if f.channel else "",
            "overdue": "1" if f.overdue else "",
            "assignee": f.assignee,
            "q": f.q,
            "sort": f.sort if f.sort != "due" else "",
            "dir": "desc" if f.desc else "",
            "after": f.after,
        }
        return {k: v for k, v in out.items() if v}


@dataclass
class QueueRow:
    id: int
    number: str
    received_at: datetime
    consumer_name: str
    identifier: str
    commercial_offer: CommercialOffer | None
    channel: Channel
    state: AccessionState
    due_at: datetime | None
    assignee_id: int | None
    center_id: int | None
    assignee: str = ""
    assignee_login: str = ""
    center: str = ""
    center_code: str = ""
    overdue: bool = False


@dataclass
class Page:
    rows: list[QueueRow]
    next_after: str | None
    filters: QueueFilters
    now: datetime
    centers: list[ServiceCenter] = field(default_factory=list)


def visible(actor: Actor) -> ColumnElement[bool]:
    """What an actor may see at all: an operator their center's and their own; a supervisor everything."""
    if actor.role in {Role.SUPERVISOR, Role.SYSTEM}:
        return true()
    if actor.role == Role.OPERATOR:
        mine = Application.assignee_id == actor.operator_id if actor.operator_id is not None else false()
        return or_(Application.center_id == actor.center_id, mine)
    return false()


def where(session: Session, actor: Actor, f: QueueFilters, now: datetime) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if actor.role != Role.SUPERVISOR and f.scope != "mine":  # "my work" is inside what I may see already
        clauses.append(visible(actor))
    if f.scope == "mine":
        clauses.append(Application.state.in_(sorted(WAITING_FOR_STAFF)))
        mine = Application.assignee_id == actor.operator_id if actor.operator_id is not None else false()
        if actor.role == Role.OPERATOR:
            unassigned_here = and_(Application.assignee_id.is_(None), Application.center_id == actor.center_id)
        elif actor.role == Role.SUPERVISOR:
            unassigned_here = Application.assignee_id.is_(None)
        else:
            unassigned_here = false()
        clauses.append(or_(mine, unassigned_here))
    if f.state is not None:
        clauses.append(Application.state == f.state)
    if f.center_id is not None:
        clauses.append(Application.center_id == f.center_id)
    if f.offer is not None:
        clauses.append(Application.commercial_offer == f.offer)
    if f.channel is not None:
        clauses.append(Application.channel == f.channel)
    if f.overdue:
        clauses.append(Application.state.in_(sorted(WAITING_FOR_STAFF)))
        clauses.append(Application.due_at < now)
    if f.assignee == "me":
        clauses.append(Application.assignee_id == actor.operator_id)
    elif f.assignee == "none":
        clauses.append(Application.assignee_id.is_(None))
    elif f.assignee:
        clauses.append(Application.assignee_id == int(f.assignee))
    if f.q:
        clauses.append(search(session, f.q))
    return clauses


def search(session: Session, q: str) -> ColumnElement[bool]:
    """One box for number, EDRPOU/RNOKPP, name, email and phone: the shape of what was typed says which."""
    q = q.strip()
    number = _NUMBER.match(q)
    if number:
        return Application.number == f"{number.group(1)}-{int(number.group(2)):06d}"
    if _DIGITS.match(q):
        digits = re.sub(r"\D", "", q)
        phone = _e164(q)
        if len(digits) in (8, 10) and not q.startswith("+"):
            # 10 digits may be an RNOKPP or a phone written nationally (067…): look for both.
            by_identifier = Application.identifier == digits
            return or_(by_identifier, _fragment(session, phone, "phones")) if phone else by_identifier
        if phone:
            return _fragment(session, phone, "phones")
        if len(digits) >= 3:
            return _fragment(session, digits, "phones")
        return Application.identifier == digits
    if "@" in q:
        return _fragment(session, q, "email")
    return _fragment(session, q, "consumer_name", "email")


def _e164(q: str) -> str | None:
    try:
        number = phonenumbers.parse(q, "UA")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _fragment(session: Session, q: str, *columns: str) -> ColumnElement[bool]:
    """A case-insensitive substring match in any of ``columns`` that a trigram index answers (pg_trgm on
    PostgreSQL, the FTS5 trigram table on SQLite)."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite" and len(q) >= 3:
        sqlite_search.ensure(session.connection())
        phrase = '"' + q.replace('"', '""') + '"'
        ids = select(text("rowid")).select_from(text("application_search")).where(
            text("application_search MATCH :m").bindparams(m="{" + " ".join(columns) + "} : " + phrase)
        )
        return Application.id.in_(ids)
    pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    targets = [cast(Application.phones, Text) if c == "phones" else getattr(Application, c) for c in columns]
    return or_(*(t.ilike(pattern, escape="\\") for t in targets))


def ordered(query: Select[Any], f: QueueFilters) -> Select[Any]:
    column = SORTS[f.sort]
    if f.after:
        cursor = decode_cursor(f.after)
        if cursor is not None:
            value, last_id = cursor
            if column is Application.id:
                query = query.where(Application.id < last_id if f.desc else Application.id > last_id)
            else:
                key = tuple_(column, Application.id)
                query = query.where(key < tuple_(value, last_id) if f.desc else key > tuple_(value, last_id))
    if column is Application.id:
        return query.order_by(Application.id.desc() if f.desc else Application.id)
    if f.desc:
        return query.order_by(column.desc(), Application.id.desc())
    return query.order_by(column, Application.id)


def encode_cursor(row: QueueRow, f: QueueFilters) -> str:
    value = getattr(row, {"due": "due_at", "received": "received_at", "number": "id"}[f.sort])
    raw = json.dumps([value.isoformat() if isinstance(value, datetime) else value, row.id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[Any, int] | None:
    try:
        value, last_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value, int(last_id)
    except (ValueError, TypeError):
        return None


def rows_query(session: Session, actor: Actor, f: QueueFilters, now: datetime | None = None) -> Select[Any]:
    """One statement per page: the names of assignee and center come by primary key, joined after the limit."""
    query = (
        select(*COLUMNS)
        .outerjoin(Operator, Operator.id == Application.assignee_id)
        .outerjoin(ServiceCenter, ServiceCenter.id == Application.center_id)
        .where(*where(session, actor, f, now or utcnow()))
    )
    return ordered(query, f)


def page(
    session: Session,
    actor: Actor,
    f: QueueFilters,
    *,
    size: int = PAGE_SIZE,
    now: datetime | None = None,
    with_centers: bool = False,
) -> Page:
    """One page of the queue: ``size`` rows and the cursor of the next page (None on the last one)."""
    now = now or utcnow()
    raw = session.execute(rows_query(session, actor, f, now).limit(size + 1)).all()
    rows = [_row(r, now) for r in raw[:size]]
    centers = list(session.scalars(select(ServiceCenter).order_by(ServiceCenter.name))) if with_centers else []
    next_after = encode_cursor(rows[-1], f) if len(raw) > size and rows else None
    return Page(rows=rows, next_after=next_after, filters=f, now=now, centers=centers)


def all_rows(session: Session, actor: Actor, f: QueueFilters, *, chunk: int = 1000) -> Iterator[QueueRow]:
    """Every row of the filtered queue, in pages of ``chunk`` (the CSV export streams this)."""
    f = replace(f, after="")
    now = utcnow()
    while True:
        rows = [_row(r, now) for r in session.execute(rows_query(session, actor, f, now).limit(chunk))]
        yield from rows
        if len(rows) < chunk:
            return
        f = replace(f, after=encode_cursor(rows[-1], f))


def _row(values: Any, now: datetime) -> QueueRow:
    row = QueueRow(*values)
    row.overdue = bool(row.due_at and row.due_at < now and row.state in WAITING_FOR_STAFF)
    return row
