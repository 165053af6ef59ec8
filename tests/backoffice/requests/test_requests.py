"""Appeals and requests as their users notice them: the customer writes with a file, staff of the right center
answer, the customer gets the letter and replies, staff close it; nobody else reaches any of it, and every step is
in the history in words."""

from __future__ import annotations

import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.admin.history import lines
from backoffice.audit.models import AuditEvent
from backoffice.audit.trail import history
from backoffice.customers.models import CustomerAccount
from backoffice.letters.models import OutboxMessage
from backoffice.requests.models import CustomerRequest
from backoffice.settings import Settings
from tests import factories
from tests.backoffice.admin.conftest import (  # noqa: F401 - fixtures by name
    TOKEN,
    Staff,
    login,
    password_hash,
    staff,
)
from tests.conftest import STORAGE_BACKENDS
from tests.services import fresh_limits  # noqa: F401 - fixture by name
from workflows.customer_request import RequestState


@pytest.fixture(autouse=True)
def _fresh_limits(fresh_limits: None) -> None:
    """Every test starts with no rate-limit counts: each logs in several people."""


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def customer_client(app: Flask, login_name: str) -> FlaskClient:
    client = app.test_client()
    with client.session_transaction() as s:
        s["lang"] = "en"
    page = client.get("/account/login").get_data(as_text=True)
    token = TOKEN.search(page)
    assert token
    response = client.post(
        "/account/login", data={"login": login_name, "password": factories.PASSWORD, "csrf_token": token.group(1)}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def token_of(client: FlaskClient, path: str) -> str:
    found = TOKEN.search(client.get(path).get_data(as_text=True))
    assert found, path
    return found.group(1)


@pytest.fixture
def customers(
    make: factories.Factory, session: Session, staff: Staff, password_hash: str
) -> dict[str, CustomerAccount]:
    """One customer whose application is at center A, and another one (center B)."""
    out = {}
    for name, center in (("firma.a", staff.center_a), ("firma.b", staff.center_b)):
        application = make.application(center=center)
        account = CustomerAccount(
            login=name, password_hash=password_hash, email=f"{name}@example.com", application=application, language="en"
        )
        session.add(account)
        out[name] = account
    session.commit()
    return out


def write(client: FlaskClient, data: dict[str, object], key: str = "appeals") -> object:
    path = f"/account/{key}/new"
    return client.post(path, data={"csrf_token": token_of(client, path), **data}, content_type="multipart/form-data")


def staff_post(client: FlaskClient, req: CustomerRequest, data: dict[str, object]) -> object:
    token = token_of(client, f"/admin/requests/{req.id}")
    return client.post(
        f"/admin/requests/{req.id}/act",
        data={"csrf_token": token, "version": str(req.version), **data},
        content_type="multipart/form-data",
    )


def download(client: FlaskClient, path: str) -> tuple[int, bytes, str]:
    """A file as the browser gets it: status, bytes, and how it is disposed (the stream closed afterwards)."""
    response = client.get(path)
    try:
        disposition = response.headers.get("Content-Disposition", "").split(";", 1)[0]
        return response.status_code, response.get_data(), disposition
    finally:
        response.close()


def the_request(session: Session) -> CustomerRequest:
    session.expire_all()
    found = session.scalars(select(CustomerRequest)).one()
    return found


@pytest.mark.committed  # a download's pieces are read after the request, on sessions of their own (pool counted)
@pytest.mark.parametrize("storage_backend", STORAGE_BACKENDS)  # the files are kept as documents are, either way
def test_an_appeal_from_writing_to_closing(
    app: Flask, session: Session, staff: Staff, customers: dict[str, CustomerAccount], login: object, settings: Settings
) -> None:
    customer = customer_client(app, "firma.a")
    cabinet = customer.get("/account").get_data(as_text=True)
    assert 'id="write-appeal"' in cabinet and 'id="section-appeals"' not in cabinet  # no section before the first

    sent = write(
        customer,
        {
            "kind": "complaint",
            "subject": "Invoice for May",
            "text": "The invoice counts twice.",
            "files": [(io.BytesIO(PDF), "invoice.pdf")],
        },
    )
    assert sent.status_code == 302
    req = the_request(session)
    assert (req.kind.value, req.state, req.center_id) == ("complaint", RequestState.RECEIVED, staff.center_a.id)
    assert req.number == f"C-{req.id:06d}"
    assert 'id="section-appeals"' in customer.get("/account").get_data(as_text=True)
    assert req.number in customer.get("/account/appeals").get_data(as_text=True)
    attachment = req.messages[0].attachments[0]
    assert attachment.content_type == "application/pdf"
    in_use = app.extensions["backoffice.db"].engine.pool.checkedout
    got = download(customer, f"/account/requests/{req.id}/files/{attachment.id}")
    assert got == (200, PDF, "attachment")
    assert in_use() == 0  # the file was read a piece at a time, and no piece kept a connection (or transaction)

    operator = login(staff.operator_a)  # type: ignore[operator]
    assert req.number in operator.get("/admin/requests/").get_data(as_text=True)
    assert download(operator, f"/admin/requests/{req.id}/files/{attachment.id}") == (200, PDF, "attachment")
    assert in_use() == 0
    assert staff_post(operator, req, {"trigger": "answer", "text": "  "}).status_code == 302
    assert the_request(session).state == RequestState.RECEIVED  # an answer needs its text
    staff_post(operator, the_request(session), {"trigger": "take"})
    staff_post(
        operator,
        the_request(session),
        {"trigger": "answer", "text": "We have recalculated it.", "files": [(io.BytesIO(PNG), "new.png")]},
    )
    req = the_request(session)
    assert req.state == RequestState.ANSWERED
    letter = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "request_answered")).one()
    assert letter.recipient == "firma.a@example.com"
    assert letter.context["text"] == "We have recalculated it."
    assert letter.context["link"].endswith(f"/account/requests/{req.id}")

    page = customer.get(f"/account/requests/{req.id}").get_data(as_text=True)
    assert "We have recalculated it." in page and "new.png" in page
    path = f"/account/requests/{req.id}"
    empty = customer.post(path, data={"csrf_token": token_of(customer, path), "version": str(req.version), "text": ""})
    assert empty.status_code == 200 and 'id="error-summary"' in empty.get_data(as_text=True)
    replied = customer.post(
        path, data={"csrf_token": token_of(customer, path), "version": str(req.version), "text": "Thank you, but…"}
    )
    assert replied.status_code == 302
    assert the_request(session).state == RequestState.IN_WORK

    staff_post(operator, the_request(session), {"trigger": "close"})
    req = the_request(session)
    assert req.state == RequestState.CLOSED
    assert session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "request_closed")).one()
    assert [m.author.value for m in req.messages] == ["customer", "staff", "customer"]

    events = history(session, "customer_request", req.id)
    assert [e.action for e in events] == ["submit", "take", "answer", "reply", "close"]
    with app.test_request_context(), force_locale("en"):
        words = [line.what for line in lines(session, events)]
    assert words == [
        "Written by the customer",
        "Take into work",
        "Answer the customer",
        "Customer replied",
        "Close the request",
    ]


def test_nobody_else_reaches_a_request(
    app: Flask, session: Session, staff: Staff, customers: dict[str, CustomerAccount], login: object
) -> None:
    customer = customer_client(app, "firma.a")
    write(
        customer,
        {"kind": "appeal", "subject": "Meter", "text": "Please check.", "files": [(io.BytesIO(PDF), "a.pdf")]},
    )
    req = the_request(session)
    file_id = req.messages[0].attachments[0].id

    stranger = customer_client(app, "firma.b")
    for path in (f"/account/requests/{req.id}", f"/account/requests/{req.id}/files/{file_id}"):
        assert download(stranger, path)[0] == 404
    token = token_of(stranger, "/account/appeals/new")
    reply = {"csrf_token": token, "version": str(req.version), "text": "Mine now"}
    assert stranger.post(f"/account/requests/{req.id}", data=reply).status_code == 404
    assert req.number not in stranger.get("/account/appeals").get_data(as_text=True)

    other_center = login(staff.operator_b)  # type: ignore[operator]
    assert req.number not in other_center.get("/admin/requests/").get_data(as_text=True)
    for path in (f"/admin/requests/{req.id}", f"/admin/requests/{req.id}/files/{file_id}"):
        assert download(other_center, path)[0] == 404
    token = token_of(other_center, "/admin/requests/")
    for trigger in ("take", "answer", "close"):
        response = other_center.post(
            f"/admin/requests/{req.id}/act", data={"csrf_token": token, "trigger": trigger, "text": "x"}
        )
        assert response.status_code == 404
    assert the_request(session).state == RequestState.RECEIVED

    supervisor = login(staff.supervisor)  # type: ignore[operator]
    assert supervisor.get(f"/admin/requests/{req.id}").status_code == 200


def test_every_problem_of_the_form_at_once_and_files_judged_by_content(
    app: Flask, session: Session, customers: dict[str, CustomerAccount]
) -> None:
    customer = customer_client(app, "firma.a")
    response = write(
        customer,
        {"kind": "", "subject": "", "text": "", "files": [(io.BytesIO(b"MZ\x90\x00evil"), "photo.pdf")]},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    summary = page.split('id="error-summary"', 1)[1].split("</ul>", 1)[0]
    for message in ("Choose what you are writing", "Write the subject", "Write the text", "is not a PDF or a picture"):
        assert message in summary
    assert session.scalars(select(CustomerRequest)).all() == []
    assert session.scalars(select(AuditEvent).where(AuditEvent.subject_type == "customer_request")).all() == []


def test_a_request_for_information_has_its_own_section(
    app: Flask, session: Session, customers: dict[str, CustomerAccount]
) -> None:
    customer = customer_client(app, "firma.a")
    assert write(customer, {"subject": "Tariff", "text": "Which tariff applies?"}, key="requests").status_code == 302
    req = the_request(session)
    assert (req.kind.value, req.number) == ("information", f"I-{req.id:06d}")
    assert req.number in customer.get("/account/requests").get_data(as_text=True)
    assert req.number not in customer.get("/account/appeals").get_data(as_text=True)
    assert re.search(r'id="section-requests"', customer.get("/account").get_data(as_text=True))


def test_staff_acting_on_a_stale_page_change_nothing(
    app: Flask, session: Session, staff: Staff, customers: dict[str, CustomerAccount], login: object
) -> None:
    customer = customer_client(app, "firma.a")
    write(customer, {"kind": "appeal", "subject": "Meter", "text": "Please check."})
    req = the_request(session)
    stale = req.version
    first, second = login(staff.operator_a), login(staff.operator_a2)  # type: ignore[operator]
    staff_post(first, req, {"trigger": "take"})
    token = token_of(second, f"/admin/requests/{req.id}")
    late = {"csrf_token": token, "version": str(stale), "trigger": "answer", "text": "Answered twice?"}
    response = second.post(f"/admin/requests/{req.id}/act", data=late, follow_redirects=True)
    assert "while you were looking at it" in response.get_data(as_text=True)
    req = the_request(session)
    assert req.state == RequestState.IN_WORK and len(req.messages) == 1
    assert session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "request_answered")).all() == []
