"""The staff's queue of cabinet requests as an operator's day meets it: take one, give it back, a supervisor hands
it on; find a request by its number or the customer's identifier; see what is overdue; and the scheduler that
reminds of deadlines and closes what waited too long for the customer, each with its letter."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.actors import Actor
from backoffice.audit.trail import history
from backoffice.customers.models import CustomerAccount
from backoffice.database import Database
from backoffice.letters.models import OutboxMessage
from backoffice.requests import jobs, services
from backoffice.requests.models import CustomerRequest
from backoffice.settings import Settings
from backoffice.types import utcnow
from tests.backoffice.admin.conftest import (  # noqa: F401 - fixtures by name
    Staff,
    login,
    password_hash,
    staff,
)
from tests.backoffice.requests.test_requests import (  # noqa: F401 - fixtures by name
    _fresh_limits,
    customer_client,
    customers,
    the_request,
    token_of,
    write,
)
from tests.services import fresh_limits  # noqa: F401 - fixture by name
from workflows.request_states import RequestState


def assign(client: FlaskClient, req: CustomerRequest, to: str) -> str:
    """Press the page's take / release / reassign button; the page it goes back to, with its message."""
    token = token_of(client, f"/admin/requests/{req.id}")
    response = client.post(f"/admin/requests/{req.id}/assign", data={"csrf_token": token, "to": to})
    assert response.status_code == 302, response.status_code
    return client.get(response.headers["Location"]).get_data(as_text=True)


def queue(client: FlaskClient, **query: str) -> str:
    return client.get("/admin/requests/", query_string=query).get_data(as_text=True)


def listed(client: FlaskClient, **query: str) -> list[str]:
    """The numbers of the queue's rows (not the search box that may hold one)."""
    return ROW.findall(queue(client, **query))


ROW = re.compile(r'<tr data-request="\d+">\s*<td[^>]*><a [^>]*>([^<]+)</a>')


def test_take_give_back_and_a_supervisor_hands_it_on(
    app: Flask, session: Session, staff: Staff, customers: dict[str, CustomerAccount], login: object
) -> None:
    write(customer_client(app, "firma.a"), {"kind": "appeal", "subject": "Meter", "text": "Please check."})
    req = the_request(session)
    first, second = login(staff.operator_a), login(staff.operator_a2)  # type: ignore[operator]
    stranger, supervisor = login(staff.operator_b), login(staff.supervisor)  # type: ignore[operator]

    page = assign(first, req, "me")
    assert "The request is yours now." in page
    assert the_request(session).assignee_id == staff.operator_a.id
    assert staff.operator_a.full_name in queue(second, mine="")  # the whole center sees who holds it
    assert (listed(first, mine="1"), listed(second, mine="1")) == ([req.number], [])

    # A colleague can neither take it from them nor give it back for them; another center cannot even see it.
    assert f"{staff.operator_a.full_name} has already taken this request." in assign(second, req, "me")
    assert f"{staff.operator_a.full_name} has already taken this request." in assign(second, req, "")
    assert the_request(session).assignee_id == staff.operator_a.id
    token = token_of(stranger, "/admin/requests/")
    assert stranger.post(f"/admin/requests/{req.id}/assign", data={"csrf_token": token, "to": "me"}).status_code == 404

    assert "The request is back in the center&#39;s queue." in assign(first, req, "")
    assert the_request(session).assignee_id is None
    # A supervisor hands it to somebody of its center, never to somebody of another center.
    assert "Choose somebody who works this request&#39;s center" in assign(supervisor, req, str(staff.operator_b.id))
    assert "The request is assigned." in assign(supervisor, req, str(staff.operator_a2.id))
    assert the_request(session).assignee_id == staff.operator_a2.id

    actions = [e.action for e in history(session, "customer_request", req.id)]
    assert actions == ["submit", "claim", "release", "assign"]


def test_taking_it_into_work_makes_it_yours(
    app: Flask, session: Session, staff: Staff, customers: dict[str, CustomerAccount], login: object
) -> None:
    write(customer_client(app, "firma.a"), {"kind": "appeal", "subject": "Meter", "text": "Please check."})
    operator = login(staff.operator_a)  # type: ignore[operator]
    req = the_request(session)
    token = token_of(operator, f"/admin/requests/{req.id}")
    form = {"csrf_token": token, "trigger": "take", "version": str(req.version)}
    operator.post(f"/admin/requests/{req.id}/act", data=form)
    req = the_request(session)
    assert (req.state, req.assignee_id) == (RequestState.IN_WORK, staff.operator_a.id)


def test_found_by_number_or_by_the_customers_identifier(
    app: Flask, session: Session, staff: Staff, customers: dict[str, CustomerAccount], login: object
) -> None:
    write(customer_client(app, "firma.a"), {"kind": "appeal", "subject": "From A", "text": "Hello."})
    write(customer_client(app, "firma.b"), {"subject": "From B", "text": "Hello."}, key="requests")
    a, b = sorted(session.scalars(select(CustomerRequest)), key=lambda r: r.id)
    supervisor = login(staff.supervisor)  # type: ignore[operator]

    assert listed(supervisor) == [a.number, b.number]
    assert listed(supervisor, q=b.number.lower()) == [b.number]
    identifier = customers["firma.a"].application.identifier  # the EDRPOU on the customer's application
    assert listed(supervisor, q=f" {identifier} ") == [a.number]
    assert listed(supervisor, q="00000000") == [] and "Nothing to show." in queue(supervisor, q="00000000")
    # An operator's search never reaches past their center.
    assert listed(login(staff.operator_a), q=b.number) == []  # type: ignore[operator]


def test_overdue_ones_are_marked_and_filtered(
    app: Flask, session: Session, staff: Staff, customers: dict[str, CustomerAccount], login: object,
    settings: Settings,
) -> None:
    client = customer_client(app, "firma.a")
    write(client, {"kind": "appeal", "subject": "Old one", "text": "Hello."})
    write(client, {"subject": "New one", "text": "Hello."}, key="requests")
    old, new = sorted(session.scalars(select(CustomerRequest)), key=lambda r: r.id)
    assert old.due_at is not None and new.due_at is not None
    # Each kind's deadline is the setting's: a month for an appeal, five days for a request for information.
    assert abs((old.due_at - old.created_at) - timedelta(days=settings.cabinet.appeal_days)) < timedelta(seconds=1)
    assert abs((new.due_at - new.created_at) - timedelta(days=settings.cabinet.information_days)) < timedelta(
        seconds=1
    )
    old.due_at = utcnow() - timedelta(hours=1)
    session.commit()

    operator = login(staff.operator_a)  # type: ignore[operator]
    assert listed(operator, overdue="1") == [old.number]
    assert 'data-testid="overdue"' in queue(operator, overdue="1")
    assert 'data-testid="overdue"' not in queue(operator, q=new.number)


def test_staff_are_reminded_once_before_a_deadline(
    db: Database, session: Session, settings: Settings, customers: dict[str, CustomerAccount]
) -> None:
    settings = settings.replace(scheduler={"digest_recipients": "head@example.org"})
    account = customers["firma.a"]
    now = utcnow()
    soon = services.submit(session, settings, account, kind="appeal", subject="Soon due", text="Hello.")
    later = services.submit(session, settings, account, kind="appeal", subject="Later", text="Hello.")
    answered = services.submit(session, settings, account, kind="appeal", subject="Answered", text="Hello.")
    soon.due_at = now + timedelta(hours=settings.cabinet.remind_before_hours - 1)
    answered.due_at = soon.due_at
    session.commit()
    services.act(session, settings, answered, "answer", _staff(session), text="Done")  # nothing more is owed
    session.commit()

    assert jobs.remind_deadlines(db, settings, now) == 1
    assert jobs.remind_deadlines(db, settings, now) == 0  # once per request
    letters = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == jobs.DEADLINE_LETTER)).all()
    assert [(m.recipient, m.context["number"]) for m in letters] == [("head@example.org", soon.number)]
    assert letters[0].context["link"].endswith(f"/admin/requests/{soon.id}")
    assert later.number not in {m.context["number"] for m in letters}
    assert [e.action for e in history(session, "customer_request", soon.id)][-1] == "remind"


def test_a_request_left_waiting_for_the_customer_is_closed_with_a_letter(
    db: Database, session: Session, settings: Settings, customers: dict[str, CustomerAccount]
) -> None:
    account = customers["firma.a"]
    waiting = services.submit(session, settings, account, kind="information", subject="Tariff", text="Which?")
    services.act(session, settings, waiting, "ask", _staff(session), text="Which month do you mean?")
    fresh = services.submit(session, settings, account, kind="information", subject="Other", text="Which?")
    services.act(session, settings, fresh, "ask", _staff(session), text="Which month do you mean?")
    session.commit()
    days = settings.cabinet.close_waiting_after_days

    assert jobs.close_waiting(db, settings, utcnow() + timedelta(days=days - 1)) == 0
    assert jobs.close_waiting(db, settings, utcnow() + timedelta(days=days, hours=1)) == 2
    session.expire_all()
    assert {session.get(CustomerRequest, r.id).state for r in (waiting, fresh)} == {RequestState.CLOSED}
    closed = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == services.CLOSED_LETTER)).all()
    assert sorted(m.context["number"] for m in closed) == sorted([waiting.number, fresh.number])
    assert all(m.recipient == account.email for m in closed)
    events = history(session, "customer_request", waiting.id)
    assert (events[-1].action, events[-1].actor_label) == ("expire", "scheduler")


def _staff(session: Session) -> Actor:
    from backoffice.staff.models import Operator
    from workflows.roles import Role

    operator = session.scalars(select(Operator).where(Operator.role == Role.SUPERVISOR)).first()
    assert operator is not None
    return Actor.of(operator)


@pytest.fixture(autouse=True)
def _supervisor(staff: Staff) -> None:
    """Every test has the centers and their staff."""
