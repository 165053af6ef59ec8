"""Every emailed application is someone's work from the moment it arrives: routed to a center through the contract
registry or the sender's known address, or else in the unrouted pool every operator sees; duplicates are warned
about and can be merged; the sender's address stands in for a missing email, marked as such."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.actors import Actor
from backoffice.applications.models import Application
from backoffice.applications.services import SUBJECT
from backoffice.audit.models import AuditEvent
from backoffice.contracts import importer
from backoffice.contracts.models import CommercialOffer, Contract
from backoffice.database import Database
from backoffice.intake.service import poll
from backoffice.settings import Settings
from backoffice.validation.identifiers import IdentifierKind
from tests.backoffice.admin.conftest import Staff, log_in, password_hash, post, staff  # noqa: F401 - fixtures
from tests.backoffice.intake import corpus
from tests.backoffice.intake.conftest import Maildir
from tests.factories import Factory, valid_edrpou
from workflows.accession import AccessionState as S
from workflows.roles import Role

KNOWN = valid_edrpou(31)
UNKNOWN = valid_edrpou(32)


def _form(identifier: str, email: str = "office@firma.example.ua") -> bytes:
    values = {
        "consumer_name": "ТОВ «Фірма»",
        "identifier": identifier,
        "phones": "067 123 45 67",
        "code_word": "Кобзар",
        "contact_name": "Петренко Іван Петрович",
    }
    if email:
        values["email"] = email
    return corpus.filled_form(values)


def _mail(form: bytes, sender: str = "Іван Петренко <ivan@firma.example.ua>") -> bytes:
    return corpus.with_attachments(
        [("application/pdf", form, 'Content-Disposition: attachment; filename="zayava.pdf"')], sender=sender
    )


def _contract(session: Session, identifier: str, center_id: int | None, email: str = "") -> Contract:
    contract = Contract(
        number=f"D-{identifier}",
        identifier=identifier,
        identifier_kind=IdentifierKind.EDRPOU,
        consumer_name="ТОВ «Фірма»",
        commercial_offer=CommercialOffer.UNIVERSAL_SERVICE,
        contact_email=email,
        center_id=center_id,
    )
    session.add(contract)
    session.commit()
    return contract


def _applications(session: Session) -> list[Application]:
    session.expire_all()
    return list(session.scalars(select(Application).order_by(Application.id)))


def _routes(session: Session, app: Application) -> list[dict[str, object]]:
    rows = session.scalars(
        select(AuditEvent).where(AuditEvent.subject_id == app.id, AuditEvent.action == "route").order_by(AuditEvent.id)
    )
    return [row.changes for row in rows]


def _queue(app: Flask, login: str, scope: str) -> str:
    client = log_in(app.test_client(), login)
    return client.get(f"/admin/applications/?scope={scope}").get_data(as_text=True)


def test_a_company_in_the_registry_lands_in_its_centers_queue(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session, staff: Staff, app: Flask
) -> None:
    _contract(session, KNOWN, staff.center_b.id)
    maildir.drop(_mail(_form(KNOWN)))
    poll(intake_db, intake_settings)

    (application,) = _applications(session)
    assert application.center_id == staff.center_b.id
    assert _routes(session, application) == [{"center_id": [None, staff.center_b.id], "by": "contract"}]
    assert application.number in _queue(app, staff.operator_b.login, "mine")
    assert application.number not in _queue(app, staff.operator_a.login, "all")  # not another center's


def test_the_senders_known_address_routes_when_the_identifier_does_not(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session, staff: Staff
) -> None:
    _contract(session, valid_edrpou(33), staff.center_a.id, email="ivan@firma.example.ua")
    maildir.drop(_mail(_form(UNKNOWN)))
    poll(intake_db, intake_settings)

    (application,) = _applications(session)
    assert application.center_id == staff.center_a.id
    assert _routes(session, application) == [{"center_id": [None, staff.center_a.id], "by": "sender"}]


def test_an_unknown_company_waits_in_the_pool_every_operator_sees_and_the_first_taker_routes_it(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session, staff: Staff, app: Flask
) -> None:
    maildir.drop(_mail(_form(UNKNOWN)))
    poll(intake_db, intake_settings)

    (application,) = _applications(session)
    assert application.center_id is None
    for operator in (staff.operator_a, staff.operator_b):
        assert application.number in _queue(app, operator.login, "mine")
    client = log_in(app.test_client(), staff.operator_b.login)
    page = client.get(f"/admin/applications/{application.number}").get_data(as_text=True)
    assert "Unrouted" in page and "Not routed to a service center yet" in page

    post(client, f"/admin/applications/{application.number}/claim", {"version": application.version})
    (application,) = _applications(session)
    assert (application.assignee_id, application.center_id) == (staff.operator_b.id, staff.center_b.id)
    assert _routes(session, application)[-1] == {"center_id": [None, staff.center_b.id], "by": "claim"}
    assert application.number not in _queue(app, staff.operator_a.login, "all")  # out of the pool now


def test_a_supervisor_routes_an_application_and_an_operator_cannot(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session, staff: Staff, app: Flask
) -> None:
    maildir.drop(_mail(_form(UNKNOWN)))
    poll(intake_db, intake_settings)
    (application,) = _applications(session)

    operator = log_in(app.test_client(), staff.operator_a.login)
    form = {"version": application.version, "center": staff.center_a.id}
    post(operator, f"/admin/applications/{application.number}/route", form)
    assert _applications(session)[0].center_id is None

    supervisor = log_in(app.test_client(), staff.supervisor.login)
    url = f"/admin/applications/{application.number}/route"
    post(supervisor, url, {"version": application.version, "center": staff.center_b.id})
    (application,) = _applications(session)
    assert application.center_id == staff.center_b.id
    assert _routes(session, application) == [{"center_id": [None, staff.center_b.id], "by": "supervisor"}]


def test_a_missing_email_is_taken_from_the_sender_and_marked(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session, staff: Staff, app: Flask
) -> None:
    maildir.drop(_mail(_form(UNKNOWN, email=""), sender="Office <Office@Firma.example.ua>"))
    poll(intake_db, intake_settings)

    (application,) = _applications(session)
    assert application.email.lower() == "office@firma.example.ua"
    assert application.email_from_envelope
    page = log_in(app.test_client(), staff.supervisor.login).get(f"/admin/applications/{application.number}")
    assert "The email was taken from the sender" in page.get_data(as_text=True)


def test_a_second_application_from_the_same_company_is_warned_about_and_merged(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session, staff: Staff, app: Flask
) -> None:
    _contract(session, KNOWN, staff.center_a.id)
    maildir.drop(_mail(_form(KNOWN), sender="Ivan <ivan@firma.example.ua>"))
    poll(intake_db, intake_settings)
    maildir.drop(_mail(_form(KNOWN).replace(b"%%EOF", b"%%EOF\n", 1), sender="Olena <olena@firma.example.ua>"))
    poll(intake_db, intake_settings)
    first, second = _applications(session)
    second_documents = {d.filename for d in second.documents}

    client = log_in(app.test_client(), staff.operator_a.login)
    queue = client.get("/admin/applications/?scope=all").get_data(as_text=True)
    assert f'data-testid="same-customer-{first.number}"' in queue  # both are marked in the queue
    assert f'data-testid="same-customer-{second.number}"' in queue
    page = client.get(f"/admin/applications/{second.number}").get_data(as_text=True)
    assert f"This customer has another open application: {first.number}" in page
    assert f'data-testid="merge-{first.number}"' in page

    form = {"version": second.version, "into": first.number}
    response = post(client, f"/admin/applications/{second.number}/merge", form)
    assert response.location.endswith(f"/admin/applications/{first.number}")
    first, second = _applications(session)
    assert second.state == S.WITHDRAWN
    assert second_documents <= {d.filename for d in first.documents}
    merged = session.scalars(
        select(AuditEvent).where(AuditEvent.subject_id == first.id, AuditEvent.action == "merge")
    ).one()
    assert merged.changes["merged"] == [None, second.number] and merged.actor_label == staff.operator_a.login


def test_a_completed_registration_warns_that_the_customer_has_a_login(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session, staff: Staff, app: Flask, make
) -> None:
    make.application(S.COMPLETED, center=staff.center_a, identifier=KNOWN)
    session.commit()
    maildir.drop(_mail(_form(KNOWN)))
    poll(intake_db, intake_settings)
    latest = _applications(session)[-1]
    page = log_in(app.test_client(), staff.supervisor.login).get(f"/admin/applications/{latest.number}")
    assert "has registered before and has a login already" in page.get_data(as_text=True)


def test_the_contract_import_carries_the_center(session: Session, staff: Staff) -> None:
    data = (
        "identifier;number;consumer_name;commercial_offer;center\n"
        f"{KNOWN};D-1;ТОВ Фірма;universal_service;{staff.center_b.code}\n"
        f"{UNKNOWN};D-2;ТОВ Інша;universal_service;NO-SUCH\n"
    ).encode()
    report = importer.import_bytes(session, data, Actor(Role.ADMIN, "admin"))
    assert report.created == 1
    assert report.rejected == [(3, "unknown service center 'NO-SUCH'")]
    assert session.scalars(select(Contract.center_id).where(Contract.number == "D-1")).one() == staff.center_b.id


def test_a_message_is_as_private_as_the_application_it_made(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session, staff: Staff, app: Flask
) -> None:
    from backoffice.intake.models import IncomingMessage

    _contract(session, KNOWN, staff.center_b.id)
    maildir.drop(_mail(_form(KNOWN)))
    poll(intake_db, intake_settings)
    message = session.scalars(select(IncomingMessage)).one()
    assert message.application_id is not None

    stranger = log_in(app.test_client(), staff.operator_a.login)
    owner = log_in(app.test_client(), staff.operator_b.login)
    for path in (f"/admin/intake/{message.id}", f"/admin/intake/{message.id}/original"):
        assert stranger.get(path).status_code == 404
        response = owner.get(path)
        assert response.status_code == 200
        response.close()  # the original is streamed from storage
    assert f"/admin/intake/{message.id}" not in stranger.get("/admin/intake/?tab=all").get_data(as_text=True)
    assert f"/admin/intake/{message.id}" in owner.get("/admin/intake/?tab=all").get_data(as_text=True)


def test_a_supervisors_rule_routes_a_domain_the_registry_does_not_know(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session, staff: Staff, app: Flask
) -> None:
    supervisor = log_in(app.test_client(), staff.supervisor.login)
    refused = post(supervisor, "/admin/routing-rules/", {"sender": "not an address", "center": staff.center_a.id})
    assert "Give an email address" in supervisor.get(refused.location).get_data(as_text=True)
    post(supervisor, "/admin/routing-rules/", {"sender": "@Firma.example.ua", "center": staff.center_a.id})
    assert "@firma.example.ua" in supervisor.get("/admin/routing-rules/").get_data(as_text=True)
    operator = log_in(app.test_client(), staff.operator_a.login)
    assert operator.get("/admin/routing-rules/").status_code == 403
    form = {"sender": "@x.example.ua", "center": staff.center_b.id}
    assert post(operator, "/admin/routing-rules/", form).status_code == 403

    maildir.drop(_mail(_form(UNKNOWN)))  # from ivan@firma.example.ua: no contract knows the company
    poll(intake_db, intake_settings)
    (application,) = _applications(session)
    assert application.center_id == staff.center_a.id
    assert _routes(session, application) == [{"center_id": [None, staff.center_a.id], "by": "rule"}]
    saved = session.scalars(select(AuditEvent).where(AuditEvent.subject_type == "routing_rule")).one()
    assert (saved.action, saved.actor_label) == ("rule_set", staff.supervisor.login)


def test_what_routes_a_sender_goes_in_order_address_rule_domain_rule_contract_earlier_application(
    make: Factory, session: Session, staff: Staff
) -> None:
    from backoffice.applications import routing
    from backoffice.applications.models import RoutingRule

    sender = "Ivan@Firma.example.ua"
    earlier = make.application(S.RECEIVED, center=staff.center_b, email="ivan@firma.example.ua")
    new = make.application(S.RECEIVED)
    session.flush()
    assert routing.center_for(session, new, "nobody@elsewhere.example.ua") is None
    assert routing.center_for(session, new, sender) == (staff.center_b.id, routing.BY_SENDER)
    assert routing.center_for(session, earlier, sender) is None  # an application is not its own earlier one
    _contract(session, KNOWN, staff.center_a.id, email="IVAN@firma.example.ua")
    session.flush()
    assert routing.center_for(session, new, sender) == (staff.center_a.id, routing.BY_SENDER)
    session.add(RoutingRule(sender="@firma.example.ua", center_id=staff.center_b.id))
    session.flush()
    assert routing.center_for(session, new, sender) == (staff.center_b.id, routing.BY_RULE)
    session.add(RoutingRule(sender="ivan@firma.example.ua", center_id=staff.center_a.id))
    session.flush()
    assert routing.center_for(session, new, sender) == (staff.center_a.id, routing.BY_RULE)


def test_a_routed_application_tells_its_history_in_order(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session, staff: Staff
) -> None:
    """Its creation, the route and the submission for the signature check are one history, in that order, though
    they reach the database together with the application's other rows when its state changes."""
    _contract(session, KNOWN, staff.center_b.id)
    maildir.drop(_mail(_form(KNOWN)))
    poll(intake_db, intake_settings)

    (application,) = _applications(session)
    history = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.subject_type == SUBJECT, AuditEvent.subject_id == application.id)
        .order_by(AuditEvent.id)
    ).all()
    assert [(e.action, e.from_state, e.to_state) for e in history] == [
        ("create", None, S.RECEIVED.value),
        ("route", None, None),
        ("submit_for_check", S.RECEIVED.value, S.AWAITING_SIGNATURE_CHECK.value),
    ]
    assert [e.changes.get("center_id") for e in history[1:2]] == [[None, staff.center_b.id]]
    assert application.state == S.AWAITING_SIGNATURE_CHECK and application.center_id == staff.center_b.id
