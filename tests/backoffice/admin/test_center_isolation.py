"""Center isolation on every URL: an operator of another center gets 404 for each back-office address that names
an application or something of it (its documents, the message that brought it, its customer's appeals and their
files), and nothing changes.

The addresses are read from the app's own URL map, so a new page with an id in its path fails this test until it
is listed here with the record it names: no page is left out by forgetting it.
"""

from __future__ import annotations

import io

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backoffice.applications.models import Application
from backoffice.audit.models import AuditEvent
from backoffice.customers.models import CustomerAccount
from backoffice.intake.models import IncomingMessage, MessageStatus
from backoffice.letters.models import OutboxMessage
from backoffice.requests import services as requests
from backoffice.requests.models import CustomerRequest
from tests import factories
from tests.backoffice.admin.conftest import Staff, csrf_token
from workflows.accession import AccessionState as S
from workflows.customer_request import RequestState

#: Path arguments that name an application or what belongs to it: another center's must look missing (404).
PRIVATE = {"number", "document_id", "message_id", "request_id", "attachment_id"}
#: Pages behind a role an operator does not have: refused whoever's the record (403), or missing (404).
ROLE_GATED = {"letter_id", "reg_id", "operator_id", "rule_id", "claim_id"}
#: Actions refused to every operator before the record is looked up (403 whoever's it is: nothing leaks).
OPERATORS_REFUSED = {"applications.reassign"}
#: Arguments that name nothing private.
PUBLIC = {"trigger", "state", "filename"}


def _records(make: factories.Factory, session: Session, staff: Staff) -> dict[str, object]:
    app = make.application(S.AWAITING_SIGNATURE_CHECK, center=staff.center_a)
    message = IncomingMessage(
        message_key="k" * 64,
        raw_path="none",
        raw_sha256="0" * 64,
        source="import",
        sender="ivan@firma.example.ua",
        status=MessageStatus.PROCESSED,
        application_id=app.id,
    )
    letter = OutboxMessage(dedup_key="isolation", kind="acknowledgement", application_id=app.id, recipient="a@b.ua")
    session.add_all([message, letter])
    account = CustomerAccount(login="firma.a", password_hash="x", email="a@firma.example.ua", application=app)
    session.add(account)
    upload = requests.Upload("act.pdf", io.BytesIO(b"%PDF-1.4\n%%EOF\n"))
    appeal = requests.submit(
        session, make.settings, account, kind="appeal", subject="Invoice", text="Twice.", uploads=[upload]
    )
    session.commit()
    return {
        "number": app.number,
        "document_id": app.documents[0].id,
        "message_id": message.id,
        "letter_id": letter.id,
        "reg_id": 1,
        "rule_id": 1,
        "claim_id": 1,
        "operator_id": staff.operator_a.id,
        "trigger": "submit_for_check",
        "state": "received",
        "filename": "admin.js",
        "request_id": appeal.id,
        "attachment_id": appeal.messages[0].attachments[0].id,
    }


def _count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_every_back_office_url_hides_another_centers_records(
    app: Flask, make: factories.Factory, session: Session, staff: Staff, login
) -> None:
    values = _records(make, session, staff)
    client = login(staff.operator_b)
    token = csrf_token(client, "/admin/applications/")
    audit_before = _count(session, AuditEvent)
    walked = []
    for rule in app.url_map.iter_rules():
        if not rule.arguments or not rule.rule.startswith(("/admin", "/staff")):
            continue
        unknown = rule.arguments - PRIVATE - ROLE_GATED - PUBLIC
        assert not unknown, f"{rule.rule}: say here which record {sorted(unknown)} names"
        if rule.arguments <= PUBLIC:
            continue
        path = rule.rule
        for name in rule.arguments:
            path = path.replace(f"<{name}>", str(values[name])).replace(f"<int:{name}>", str(values[name]))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            data = {"csrf_token": token, "version": "1", "reason": "x", "center": staff.center_b.id, "trigger": "close"}
            response = client.get(path) if method == "GET" else client.post(path, data=data)
            private = rule.arguments & PRIVATE and rule.endpoint not in OPERATORS_REFUSED
            allowed = {404} if private else {403, 404}
            assert response.status_code in allowed, f"{method} {path}: {response.status_code}"
            walked.append(f"{method} {rule.rule}")
    assert len(walked) >= 15, walked  # the application's pages, its documents, the intake's, the rest
    session.expire_all()
    assert _count(session, AuditEvent) == audit_before
    application = session.scalars(select(Application)).one()
    assert (application.state, application.center_id, application.assignee_id) == (
        S.AWAITING_SIGNATURE_CHECK,
        staff.center_a.id,
        None,
    )
    assert session.scalars(select(CustomerRequest)).one().state == RequestState.RECEIVED
