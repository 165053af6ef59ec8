"""After registration: log in and out, forgotten password, change password, the cabinet and its contact details."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backoffice.audit.models import AuditEvent
from backoffice.contracts.models import CommercialOffer, Contract
from backoffice.customers.models import CustomerAccount, CustomerToken
from backoffice.letters.models import OutboxMessage
from backoffice.types import utcnow
from backoffice.validation.identifiers import IdentifierKind
from tests.backoffice.customers.conftest import PASSWORD, Browser, Issued, registration

NEW_PASSWORD = "Green-Fields-Whisper-77"


@pytest.fixture
def registered(browser: Browser, issued: Issued, session: Session) -> Issued:
    session.add(
        Contract(
            number="Д-2026/0042",
            identifier=issued.identifier,
            identifier_kind=IdentifierKind.EDRPOU,
            consumer_name=issued.app.consumer_name,
            commercial_offer=CommercialOffer.UNIVERSAL_SERVICE,
        )
    )
    session.flush()
    issued.app.contract_id = session.scalars(select(Contract.id)).one()
    session.commit()
    assert browser.post("/company", registration(issued)).status_code == 302
    return issued


def _letter(session: Session, kind: str) -> OutboxMessage:
    session.expire_all()
    return session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id.desc())
    ).first()


def _path(link: str) -> str:
    return re.sub(r"^https?://[^/]+", "", link)


def test_cabinet_shows_company_contract_offer_contacts_and_the_dso_notice(
    browser: Browser, registered: Issued, settings
) -> None:
    page = browser.get("/account").get_data(as_text=True)
    assert registered.app.consumer_name in page and registered.identifier in page
    assert "Д-2026/0042" in page and "Universal service" in page
    assert registered.app.email in page and "+380671234567" in page
    assert "distribution system operator" in page and f'href="{settings.site.dso_url}"' in page


def test_log_out_and_back_in(browser: Browser, registered: Issued) -> None:
    assert browser.post("/account/logout", {}, form_page="/account").status_code == 302
    assert browser.get("/account").status_code == 302  # to the login page
    wrong = browser.post("/account/login", {"login": "firma.one", "password": "not-the-password"})
    unknown = browser.post("/account/login", {"login": "nobody.here", "password": PASSWORD})
    assert "Wrong login or password." in wrong.get_data(as_text=True)
    assert wrong.get_data(as_text=True).count("Wrong login") == unknown.get_data(as_text=True).count("Wrong login")
    ok = browser.post("/account/login", {"login": "FIRMA.ONE", "password": PASSWORD})
    assert ok.status_code == 302 and ok.headers["Location"] == "/account"
    assert browser.get("/account").status_code == 200


def test_customers_and_staff_do_not_mix(browser: Browser, registered: Issued) -> None:
    admin = browser.get("/admin/")
    assert admin.status_code in (302, 403)
    assert "/staff/login" in admin.headers.get("Location", "/staff/login") or admin.status_code == 403


def test_forgotten_password_reveals_nothing_and_the_link_works_once(
    browser: Browser, registered: Issued, session: Session
) -> None:
    browser.post("/account/logout", {}, form_page="/account")
    known = browser.post("/account/forgot", {"login": "firma.one"})
    unknown = browser.post("/account/forgot", {"login": "nobody.here"})
    assert known.status_code == unknown.status_code == 200
    strip = lambda r: re.sub(r'value="[^"]*"', "", r.get_data(as_text=True))  # noqa: E731
    assert strip(known) == strip(unknown)
    letter = _letter(session, "password_reset")
    assert letter.recipient == registered.app.email
    assert set(letter.context) >= {"login", "link", "expires_at"}
    link = _path(letter.context["link"])
    token = link.rsplit("/", 1)[1]
    assert session.scalars(select(CustomerToken.token_hash)).one() != token  # kept hashed

    assert browser.get(link).status_code == 200  # opening the link changes nothing
    weak = browser.post(link, {"password": "short", "password_again": "short"})
    assert "at least 12" in weak.get_data(as_text=True)
    done = browser.post(link, {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert done.status_code == 302
    assert browser.get(link).status_code == 404  # single use
    assert browser.post("/account/login", {"login": "firma.one", "password": PASSWORD}).status_code == 200
    assert browser.post("/account/login", {"login": "firma.one", "password": NEW_PASSWORD}).status_code == 302


def test_a_reset_link_expires(browser: Browser, registered: Issued, session: Session) -> None:
    browser.post("/account/forgot", {"login": "firma.one"})
    link = _path(_letter(session, "password_reset").context["link"])
    session.execute(update(CustomerToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    session.commit()
    assert browser.get(link).status_code == 404


def test_change_password_needs_the_current_one_and_ends_other_sessions(
    browser: Browser, registered: Issued, app
) -> None:
    other = Browser(app.test_client())
    assert other.post("/account/login", {"login": "firma.one", "password": PASSWORD}).status_code == 302
    bad = browser.post(
        "/account/password",
        {"current_password": "wrong-password-x", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
    )
    assert "current password is not correct" in bad.get_data(as_text=True)
    ok = browser.post(
        "/account/password",
        {"current_password": PASSWORD, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
    )
    assert ok.status_code == 302
    assert browser.get("/account").status_code == 200  # this browser stays in
    assert other.get("/account").status_code == 302  # the other session is over


def test_phone_changes_at_once_and_email_only_after_the_link(
    browser: Browser, registered: Issued, session: Session
) -> None:
    assert browser.post("/account/phone", {"phone": "050 765 43 21"}, form_page="/account").status_code == 302
    assert "+380507654321" in browser.get("/account").get_data(as_text=True)
    bad = browser.post("/account/phone", {"phone": "12"}, form_page="/account")
    assert "not a" in bad.get_data(as_text=True)

    assert browser.post("/account/email", {"email": "new@example.com"}, form_page="/account").status_code == 302
    session.expire_all()
    account = session.scalars(select(CustomerAccount)).one()
    assert account.email == registered.app.email  # not yet
    letter = _letter(session, "email_change")
    assert letter.recipient == "new@example.com" and letter.context["new_email"] == "new@example.com"
    assert "Waiting for confirmation" in browser.get("/account").get_data(as_text=True)
    link = _path(letter.context["link"])
    assert browser.get(link).status_code == 200
    session.expire_all()
    assert session.scalars(select(CustomerAccount)).one().email == registered.app.email  # a GET changes nothing
    assert browser.post(link, {}).status_code == 302
    session.expire_all()
    assert session.scalars(select(CustomerAccount)).one().email == "new@example.com"
    assert browser.get(link).status_code == 404
    actions = set(session.scalars(select(AuditEvent.action).where(AuditEvent.subject_type == "customer_account")))
    assert {"change_phone", "email_change_requested", "change_email"} <= actions
