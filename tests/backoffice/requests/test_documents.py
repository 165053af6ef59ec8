"""E-copies of documents (issue 19, item 5): the customer asks for some of the deployment's documents, staff send
the copies as files, the owner downloads them (each download an audit row) and nobody else reaches them."""

from __future__ import annotations

import io

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.audit.models import AuditEvent
from backoffice.audit.trail import history
from backoffice.customers.models import CustomerAccount
from backoffice.requests.models import CustomerRequest, RequestKind
from tests.backoffice.admin.conftest import Staff, login, password_hash, staff  # noqa: F401 - fixtures by name
from tests.backoffice.requests.test_requests import (  # noqa: F401 - fixtures by name
    PDF,
    _fresh_limits,
    customer_client,
    customers,
    download,
    staff_post,
    the_request,
    token_of,
)
from tests.services import fresh_limits  # noqa: F401 - fixture by name
from workflows.request_states import RequestState


def ask(client: object, data: dict[str, object]) -> object:
    path = "/account/documents/new"
    return client.post(path, data={"csrf_token": token_of(client, path), **data})  # type: ignore[attr-defined]


def test_documents_asked_sent_downloaded_and_audited(
    app: Flask, session: Session, staff: Staff, customers: dict[str, CustomerAccount], login: object
) -> None:
    customer = customer_client(app, "firma.a")
    cabinet = customer.get("/account").get_data(as_text=True)
    assert 'id="write-documents"' in cabinet and 'id="section-documents"' not in cabinet
    assert 'id="section-services"' in cabinet

    refused = ask(customer, {"document_types": ["passport"], "period": "x" * 101})
    summary = refused.get_data(as_text=True).split('id="error-summary"', 1)[1].split("</ul>", 1)[0]  # type: ignore[attr-defined]
    assert "Choose the documents" in summary and "100 characters" in summary
    assert session.scalars(select(CustomerRequest)).all() == []

    sent = ask(customer, {"document_types": ["contract", "act"], "period": "2026 Q1", "text": "По e-mail."})
    assert sent.status_code == 302  # type: ignore[attr-defined]
    req = the_request(session)
    assert (req.kind, req.number[:2], req.subject) == (RequestKind.DOCUMENT_COPY, "D-", "Contract, Acts")
    assert req.details == {"document_types": ["contract", "act"], "period": "2026 Q1"}
    assert 'id="section-documents"' in customer.get("/account").get_data(as_text=True)

    operator = login(staff.operator_a)  # type: ignore[operator]
    page = operator.get(f"/admin/requests/{req.id}?lang=en").get_data(as_text=True)
    assert 'type="file"' in page and 'data-testid="act-send_copies"' in page
    assert "Contract, Acts" in page
    staff_post(operator, req, {"trigger": "send_copies", "text": "Без файлов"})
    assert the_request(session).state == RequestState.RECEIVED  # the copies are the files
    staff_post(
        operator,
        the_request(session),
        {"trigger": "send_copies", "text": "Копии.", "files": [(io.BytesIO(PDF), "contract.pdf")]},
    )
    req = the_request(session)
    assert req.state == RequestState.ANSWERED
    copy = req.messages[-1].attachments[0]

    mine = customer.get(f"/account/requests/{req.id}").get_data(as_text=True)
    assert "contract.pdf" in mine
    path = f"/account/requests/{req.id}/files/{copy.id}"
    assert download(customer, path) == (200, PDF, "attachment")
    assert download(customer, path) == (200, PDF, "attachment")
    session.expire_all()
    downloads = [e for e in history(session, "customer_request", req.id) if e.action == "download"]
    assert len(downloads) == 2 and downloads[0].changes == {"attachments": ["contract.pdf"]}
    assert downloads[0].actor_role == "customer"

    stranger = customer_client(app, "firma.b")
    assert download(stranger, path)[0] == 404
    assert download(stranger, f"/account/requests/{req.id}")[0] == 404
    session.expire_all()
    count = session.scalars(select(AuditEvent).where(AuditEvent.action == "download")).all()
    assert len(count) == 2
