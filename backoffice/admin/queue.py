"""The work queue as a query: filters, search, sort and keyset pages, shared by the list, the CSV export and the
benchmark.

Why keyset pages and no count: on a table of a million applications, ``OFFSET 250000`` and ``count(*)`` read
every row they skip or count; a cursor of (sort value, id) reads only the page. Every sort order has an
ordered index (migration 0004), "my work" has small partial indexes over the waiting states (migration 0008),
and search uses a trigram index (pg_trgm on PostgreSQL, FTS5 on SQLite). A page is one statement of plain
columns, the assignee's and center's names joined after the limit, so it costs the same whatever its length.
"""

from __future__ import annotations

import re
import time
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

import phonenumbers
from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    cast,
    event,
    false,
    func,
    literal_column,
    or_,
    select,
    text,
    tuple_,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session, aliased, object_session
from sqlalchemy.types import String, Text

from backoffice.actors import Actor
from backoffice.admin import sqlite_search
from backoffice.applications.models import WAITING_SQL, Application, Channel
from backoffice.contracts.models import CommercialOffer
from backoffice.paging import Keyset
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
SORT_COLUMNS = {"due": "due_at", "received": "received_at", "number": "id"}

#: what a queue row shows of the application itself; the names of assignee and center follow. Offer, channel
#: and state come as the stored values: the StrEnum members equal and hash as their values, so every table keyed
#: by members (labels, ``WAITING_FOR_STAFF``) answers to them as it is, and no row pays for a conversion.
BASE_COLUMNS = (
    Application.id,
    Application.number,
    Application.received_at,
    Application.consumer_name,
    Application.identifier,
    type_coerce(Application.commercial_offer, String).label("commercial_offer"),
    type_coerce(Application.channel, String).label("channel"),
    type_coerce(Application.state, String).label("state"),
    Application.due_at,
    Application.assignee_id,
    Application.center_id,
)

#: the supervisor's center filter: ids and names only
_CENTERS = select(ServiceCenter.id, ServiceCenter.name).order_by(ServiceCenter.name)
#: How long a process keeps the list of centers for the filter. A change made in this process is seen at once
#: (the mapper events below); one made by another process (web worker, CLI) within this many seconds.
CENTERS_SECONDS = 30.0
_centers: weakref.WeakKeyDictionary[Any, tuple[float, list[CenterChoice]]] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class QueueFilters:
    """What the operator asked for, parsed from the query string; unknown values are ignored, never an error."""

    scope: str = "mine"  # "mine": my work; "all": everything I may see
    states: tuple[AccessionState, ...] = ()  # any of these; none given: every state
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
        """``args``: the query string; ``state`` may be repeated (a ``MultiDict``'s ``getlist``)."""

        def enum_or_none(kind: Any, value: str | None) -> Any:
            try:
                return kind(value) if value else None
            except ValueError:
                return None

        getlist = getattr(args, "getlist", None)
        asked = getlist("state") if getlist is not None else [args.get("state", "")]
        states = dict.fromkeys(s for s in (enum_or_none(AccessionState, a) for a in asked) if s is not None)

        center = args.get("center", "")
        assignee = args.get("assignee", "")
        sort = args.get("sort", "due")
        return cls(
            scope="all" if args.get("scope") == "all" else "mine",
            states=tuple(states),
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

    def to_args(self, **changes: Any) -> dict[str, str | list[str]]:
        """Query-string arguments for a link to this queue with some filters changed (the cursor dropped)."""
        f = replace(self, **{"after": "", **changes})
        out: dict[str, str | list[str]] = {
            "scope": f.scope if f.scope != "mine" else "",
            "state": [s.value for s in f.states],
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


class QueueRow(NamedTuple):
    """One application of a queue page, its values as the statement returns them: offer, channel and state as
    their stored values, which look up as the members do."""

    id: int
    number: str
    received_at: datetime
    consumer_name: str
    identifier: str
    commercial_offer: str | None  # a CommercialOffer's value
    channel: str  # a Channel's value
    state: str  # an AccessionState's value
    due_at: datetime | None
    assignee_id: int | None
    center_id: int | None
    assignee: str = ""
    assignee_login: str = ""
    center: str = ""
    center_code: str = ""
    #: The customer has another application that is open or completed (``applications.duplicates``): asked for
    #: by ``page(..., marks=True)``, in the page's own statement.
    same_customer: bool = False

    def overdue(self, now: datetime) -> bool:
        """Past its deadline and still waiting for staff."""
        return bool(self.due_at and self.due_at < now and self.state in WAITING_FOR_STAFF)


class CenterChoice(NamedTuple):
    id: int
    name: str


@dataclass
class Page:
    rows: list[QueueRow]
    next_after: str | None
    filters: QueueFilters
    now: datetime
    centers: list[CenterChoice] = field(default_factory=list)


def _plan(
    actor: Actor, f: QueueFilters, now: datetime, dialect: str, size: int
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """What decides the SQL text (the shape) apart from the values that go in as parameters.

    Pages of the same shape share one statement object: SQLAlchemy then reuses its compiled form without
    building or hashing anything.
    """
    params: dict[str, Any] = {"size": size + 1}
    who = actor.role if actor.role in {Role.OPERATOR, Role.SUPERVISOR} else None
    me = actor.operator_id
    if me is not None:
        params["me"] = me
    if who == Role.OPERATOR:
        params["my_center"] = actor.center_id
    filters: list[str] = []
    if len(f.states) == 1:
        filters.append("state")  # the usual filter: a plain comparison, with nothing to expand when it runs
        params["state"] = f.states[0]
    elif f.states:
        filters.append("states")  # one statement for any number of states: the list is expanded when it runs
        params["states"] = list(f.states)
    for name, value in (("center", f.center_id), ("offer", f.offer), ("channel", f.channel)):
        if value is not None:
            filters.append(name)
            params[name] = value
    if f.overdue:
        filters.append("overdue")
        params["now"] = now
    if f.assignee == "me":
        filters.append("assignee")
        params["assignee"] = me if me is not None else -1
    elif f.assignee == "none":
        filters.append("unassigned")
    elif f.assignee:
        filters.append("assignee")
        params["assignee"] = int(f.assignee)
    search_shape: tuple[str, ...] = ()
    if f.q:
        search_shape, search_params = _search(f.q, dialect)
        params.update(search_params)
    cursor = _cursor(f.after, f.sort) if f.after else None
    if cursor is not None:
        params["after_value"], params["after_id"] = cursor
    shape = (
        dialect, who, me is not None, f.scope, tuple(filters), search_shape, f.sort, f.desc, cursor is not None, size
    )
    return shape, params


@lru_cache(maxsize=1024)
def _search(q: str, dialect: str) -> tuple[tuple[str, ...], dict[str, Any]]:
    """What one search box text means, worked out once per text (paging through its results asks again)."""
    params: dict[str, Any] = {}
    return _search_plan(q, dialect, params), params


@lru_cache(maxsize=1024)
def _cursor(after: str, sort: str) -> tuple[Any, int] | None:
    return decode_cursor(after, sort)


def _search_plan(q: str, dialect: str, params: dict[str, Any]) -> tuple[str, ...]:
    """One box for number, EDRPOU/RNOKPP, name, email and phone: the shape of what was typed says which."""
    q = q.strip()
    number = _NUMBER.match(q)
    if number:
        params["number"] = f"{number.group(1)}-{int(number.group(2)):06d}"
        return ("number",)
    if _DIGITS.match(q):
        digits = re.sub(r"\D", "", q)
        if len(digits) == 8 and not q.startswith("+"):
            params["identifier"] = digits  # an EDRPOU: too short for a Ukrainian phone number
            return ("identifier",)
        phone = _e164(q)
        if len(digits) == 10 and not q.startswith("+"):
            # 10 digits may be an RNOKPP or a phone written nationally (067…): look for both.
            params["identifier"] = digits
            if phone:
                return ("identifier", *_fragment_plan(phone, dialect, params, "phones"))
            return ("identifier",)
        if phone:
            return _fragment_plan(phone, dialect, params, "phones")
        if len(digits) >= 3:
            return _fragment_plan(digits, dialect, params, "phones")
        params["identifier"] = digits
        return ("identifier",)
    if "@" in q:
        return _fragment_plan(q, dialect, params, "email")
    return _fragment_plan(q, dialect, params, "consumer_name", "email")


@lru_cache(maxsize=256)
def _e164(q: str) -> str | None:
    try:
        number = phonenumbers.parse(q, "UA")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _fragment_plan(q: str, dialect: str, params: dict[str, Any], *columns: str) -> tuple[str, ...]:
    """A case-insensitive substring match in any of ``columns`` that a trigram index answers (pg_trgm on
    PostgreSQL, the FTS5 trigram table on SQLite; SQLite's trigrams need three characters)."""
    if dialect == "sqlite" and len(q) >= 3:
        params["match"] = "{" + " ".join(columns) + "} : " + '"' + q.replace('"', '""') + '"'
        return ("fts", *columns)
    params["pattern"] = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return ("like", *columns)


def _search_clause(shape: tuple[str, ...]) -> ColumnElement[bool]:
    kind, rest = shape[0], shape[1:]
    if kind == "number":
        return Application.number == bindparam("number")
    if kind == "identifier":
        by_identifier = Application.identifier == bindparam("identifier")
        return or_(by_identifier, _search_clause(rest)) if rest else by_identifier
    if kind == "fts":
        ids = select(text("rowid")).select_from(text(sqlite_search.TABLE)).where(
            text(f"{sqlite_search.TABLE} MATCH :match")
        )
        return Application.id.in_(ids)
    targets = [cast(Application.phones, Text) if c == "phones" else getattr(Application, c) for c in rest]
    return or_(*(t.ilike(bindparam("pattern"), escape="\\") for t in targets))


def _conditions(shape: tuple[Any, ...]) -> list[ColumnElement[bool]]:
    """The filters and search of a shape; who may see what is added by the caller."""
    _dialect, _who, _has_me, _scope, filters, search_shape, sort, desc, has_cursor, _size = shape
    clauses: list[ColumnElement[bool]] = []
    for name in filters:
        if name == "state":
            clauses.append(Application.state == bindparam("state"))
        elif name == "states":
            clauses.append(Application.state.in_(bindparam("states", expanding=True)))
        elif name == "center":
            clauses.append(Application.center_id == bindparam("center"))
        elif name == "offer":
            clauses.append(Application.commercial_offer == bindparam("offer"))
        elif name == "channel":
            clauses.append(Application.channel == bindparam("channel"))
        elif name == "overdue":
            clauses.append(WAITING_SQL)
            clauses.append(Application.due_at < bindparam("now"))
        elif name == "assignee":
            clauses.append(Application.assignee_id == bindparam("assignee"))
        elif name == "unassigned":
            clauses.append(Application.assignee_id.is_(None))
    if search_shape:
        clauses.append(_search_clause(search_shape))
    if has_cursor:
        column = SORTS[sort]
        last = bindparam("after_id")
        if column is Application.id:
            clauses.append(Application.id < last if desc else Application.id > last)
        else:
            key, value = tuple_(column, Application.id), tuple_(bindparam("after_value", type_=column.type), last)
            clauses.append(key < value if desc else key > value)
    return clauses


def _order(columns: Any, sort: str, desc: bool) -> list[Any]:
    column = getattr(columns, SORT_COLUMNS[sort])
    if sort == "number":
        return [column.desc() if desc else column]
    return [column.desc(), columns.id.desc()] if desc else [column, columns.id]


@lru_cache(maxsize=512)
def _statement(shape: tuple[Any, ...]) -> Select[Any]:
    """The page's one statement: rows first, then the assignee's and center's names joined by primary key.

    "My work" is indexed parts (assigned to me; unassigned at my center, unassigned in the unrouted pool, or
    unassigned anywhere for a supervisor), each reading only as many rows as a page shows from a small partial
    index over the waiting states; an OR of them would make the database collect and sort every waiting
    application of the center instead.
    """
    dialect, who, has_me, scope, _filters, _search, sort, desc, _cursor, _size = shape
    common = _conditions(shape)
    if scope == "mine":
        halves = []
        if has_me and who is not None:
            halves.append(Application.assignee_id == bindparam("me"))
        if who == Role.OPERATOR:
            halves.append(and_(Application.assignee_id.is_(None), Application.center_id == bindparam("my_center")))
            # The shared pool of emailed applications no center could be found for: every operator's work.
            halves.append(and_(Application.assignee_id.is_(None), Application.center_id.is_(None)))
        elif who == Role.SUPERVISOR:
            halves.append(Application.assignee_id.is_(None))
        parts = [
            select(*BASE_COLUMNS)
            .where(WAITING_SQL, half, *common)
            .order_by(*_order(Application, sort, desc))
            .limit(bindparam("size"))
            for half in halves or [false()]
        ]
        if dialect == "sqlite":  # SQLite takes no parenthesised (ordered, limited) parts of a UNION: wrap each
            rows = union_all(*(select(part.subquery()) for part in parts)).subquery("rows")
        else:
            rows = union_all(*parts).subquery("rows")
    else:
        visible = [] if who == Role.SUPERVISOR else [_visible(who, has_me)]
        rows = (
            select(*BASE_COLUMNS)
            .where(*visible, *common)
            .order_by(*_order(Application, sort, desc))
            .limit(bindparam("size"))
            .subquery("rows")
        )
    return (
        select(
            *rows.c,
            func.coalesce(Operator.full_name, literal_column("''")),
            func.coalesce(Operator.login, literal_column("''")),
            func.coalesce(ServiceCenter.name, literal_column("''")),
            func.coalesce(ServiceCenter.code, literal_column("''")),
        )
        .select_from(rows)
        .outerjoin(Operator, Operator.id == rows.c.assignee_id)
        .outerjoin(ServiceCenter, ServiceCenter.id == rows.c.center_id)
        .order_by(*_order(rows.c, sort, desc))
        .limit(bindparam("size"))
    )


def _visible(who: Role | None, has_me: bool) -> ColumnElement[bool]:
    """What an operator may see at all: their center's applications, the unrouted pool and their own."""
    if who != Role.OPERATOR:
        return false()
    here = or_(Application.center_id == bindparam("my_center"), Application.center_id.is_(None))
    return or_(here, Application.assignee_id == bindparam("me")) if has_me else here


#: The queue's orders as the back office's one keyset component sees them (its cursor codec; the queue builds its
#: own cached statements with the cursor as bound parameters).
KEYSETS = {sort: Keyset((getattr(Application, column), Application.id)) for sort, column in SORT_COLUMNS.items()}


def encode_cursor(row: QueueRow, f: QueueFilters) -> str:
    return KEYSETS[f.sort].encode(row)


def decode_cursor(cursor: str, sort: str = "due") -> tuple[Any, int] | None:
    """The sort value and id after which the next page starts; None for a cursor that was tampered with."""
    values = KEYSETS.get(sort, KEYSETS["due"]).decode(cursor)
    return (values[0], int(values[1])) if values is not None else None


@lru_cache(maxsize=1024)
def _page_statement(shape: tuple[Any, ...], marks: bool) -> Select[Any]:
    """The page's statement and, last, the "same customer" column: with ``marks``, whether the row's customer has
    another application that is open or completed (the queue's badge, ``applications.duplicates.find``'s rule:
    another row with the identifier whose state is neither rejected nor withdrawn) as a correlated ``EXISTS`` on
    the identifier's index; without, a constant false.

    Asked in the page's one statement rather than in a second one: the second query was a round trip of its own
    with fifty expanded parameters, 27 % of the queue page's time in the app under load (docs/benchmarks.md).
    The constant keeps every row as long as a ``QueueRow``, so the rows become ``QueueRow`` by ``_make`` alone
    (one call a row, where the constructor with its defaults took two and ten percent of the data layer).
    """
    statement = _statement(shape)
    if not marks:
        return statement.add_columns(false().label("same_customer"))
    rows = statement.selected_columns
    other = aliased(Application)
    return statement.add_columns(
        select(literal_column("1"))
        .where(
            other.identifier == rows.identifier,
            rows.identifier != "",
            other.id != rows.id,
            other.state != AccessionState.REJECTED,
            other.state != AccessionState.WITHDRAWN,
        )
        .exists()
    )


def _rows(
    session: Session, actor: Actor, f: QueueFilters, now: datetime, size: int, marks: bool = False
) -> list[QueueRow]:
    """The rows of one page, run as any statement is (SQLAlchemy's compiled cache knows the shape's statement
    object after its first page, so nothing is built or compiled again)."""
    connection = session.connection()
    shape, params = _plan(actor, f, now, connection.dialect.name, size)
    if "match" in params:
        sqlite_search.ensure(connection)
    # Fetched whole (``all``): iterating the result would ask the driver for one row at a time.
    return list(map(QueueRow._make, connection.execute(_page_statement(shape, marks), params).all()))


def page(
    session: Session,
    actor: Actor,
    f: QueueFilters,
    *,
    size: int = PAGE_SIZE,
    now: datetime | None = None,
    with_centers: bool = False,
    marks: bool = False,
) -> Page:
    """One page of the queue: ``size`` rows and the cursor of the next page (None on the last one); with
    ``marks``, each row says whether its customer has another application (:func:`_page_statement`)."""
    now = now or utcnow()
    rows = _rows(session, actor, f, now, size, marks)
    centers = _center_choices(session) if with_centers else []
    next_after = encode_cursor(rows[size - 1], f) if len(rows) > size else None
    return Page(rows=rows[:size], next_after=next_after, filters=f, now=now, centers=centers)


def _center_choices(session: Session) -> list[CenterChoice]:
    """(id, name) of every center for the filter, read once per ``CENTERS_SECONDS`` per database."""
    connection = session.connection()
    pool = connection.engine.pool  # shared by the engine and its read-only variant
    cached = _centers.get(pool)
    if cached is not None and time.monotonic() < cached[0]:
        return cached[1]
    rows = list(map(CenterChoice._make, connection.execute(_CENTERS).all()))
    _centers[pool] = (time.monotonic() + CENTERS_SECONDS, rows)
    return rows


@event.listens_for(ServiceCenter, "after_insert")
@event.listens_for(ServiceCenter, "after_update")
@event.listens_for(ServiceCenter, "after_delete")
def _centers_changed(_mapper: Any, connection: Any, target: Any) -> None:
    session = object_session(target)
    if session is not None:
        session.info["centers_changed"] = connection.engine.pool


@event.listens_for(Session, "after_commit")
def _centers_committed(session: Session) -> None:
    # Dropped once the change is committed: dropped at the flush, a page read in between would keep the old list.
    pool = session.info.pop("centers_changed", None)
    if pool is not None:
        _centers.pop(pool, None)


def all_rows(session: Session, actor: Actor, f: QueueFilters, *, chunk: int = 1000) -> Iterator[QueueRow]:
    """Every row of the filtered queue, in pages of ``chunk`` (the CSV export streams this)."""
    f = replace(f, after="")
    now = utcnow()
    while True:
        rows = _rows(session, actor, f, now, chunk)
        yield from rows[:chunk]
        if len(rows) <= chunk:
            return
        f = replace(f, after=encode_cursor(rows[chunk - 1], f))


