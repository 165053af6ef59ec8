"""Flow B's pages through the Flask test client: the form's messages, the letter's link, the login, the consent."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.customers.models import CustomerAccount
from backoffice.letters.models import OutboxMessage
from backoffice.selfreg.models import ConsentRecord, SelfRegistration
from tests.backoffice.selfreg.conftest import PASSWORD, valid_ogrn, valid_ogrnip, valid_snils
from workflows.self_registration import SelfRegistrationState as S


def _register(client: FlaskClient, kind: str, identifier: str, **fields: object) -> object:
    data = {
        "kind": kind,
        "identifier": identifier,
        "name": "Петров Пётр Петрович",
        "email": "petrov@example.com",
        "password": PASSWORD,
        "password_again": PASSWORD,
        "consent": "y",
    }
    data.update(fields)  # type: ignore[arg-type]
    return client.post(f"/signup?kind={kind}", data={k: v for k, v in data.items() if v is not None})


def _last_link(session: Session) -> str:
    session.expire_all()
    letter = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    assert letter is not None
    return "/" + str(letter.context["link"]).split("/", 3)[3]


def test_the_first_step_asks_who_you_are_in_russian(flow_app: Flask) -> None:
    client = flow_app.test_client()
    page = client.get("/signup", headers={"Accept-Language": "uk,en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="ru">' in page
    for kind in ("individual", "sole_proprietor", "legal_entity"):
        assert f'id="kind-{kind}"' in page
    english = client.get("/signup?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english
    # The choice is remembered: the next Flow B page stays in English.
    assert '<html lang="en">' in client.get("/signup?kind=individual").get_data(as_text=True)


def test_each_wrong_field_says_what_is_wrong(flow_app: Flask) -> None:
    client = flow_app.test_client()
    client.get("/signup?lang=en")  # the assertions read the English texts
    cases = {
        "1122334459": "SNILS must have 11 digits, not 10",
        "112233445a5": "SNILS must contain digits only",
        "112-233-445 96": "SNILS has a wrong check digit",
        "001-001-998 00": "SNILS is outside the range of numbers that are issued",
    }
    for typed, message in cases.items():
        response = _register(client, "individual", typed)
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert message in page, typed
    page = _register(client, "legal_entity", "1022200525818", name="", email="not-an-email", consent=None,
                     password="short", password_again="short").get_data(as_text=True)
    for message in (
        "OGRN has a wrong check digit",
        "Enter the name of the organization",
        "not-an-email is not a valid email address",
        "Password must have at least 12 characters",
        "Registration needs your consent",
    ):
        assert message in page, message
    assert "OGRNIP must have 15 digits, not 13" in _register(client, "sole_proprietor", "1022200525819").get_data(
        as_text=True
    )


def test_register_confirm_and_log_in_with_the_identifier_written_with_dashes(
    flow_app: Flask, session: Session
) -> None:
    client = flow_app.test_client()
    client.get("/signup?lang=en")  # the assertions read the English texts
    snils = valid_snils(41)
    response = _register(client, "individual", f"{snils[:3]}-{snils[3:6]}-{snils[6:9]} {snils[9:]}")
    assert response.status_code == 302 and response.headers["Location"].endswith("/signup/sent")
    assert "petrov@example.com" in client.get("/signup/sent").get_data(as_text=True)
    # Before confirming: the login page says the email must be confirmed and offers the letter again.
    refused = client.post("/account/login", data={"login": snils, "password": PASSWORD})
    assert refused.status_code == 403
    assert 'id="email-not-confirmed"' in refused.get_data(as_text=True)
    wrong = client.post("/account/login", data={"login": snils, "password": "not the password"})
    assert "Wrong login or password." in wrong.get_data(as_text=True)
    link = _last_link(session)
    opened = client.get(link)  # opening the link (a mail scanner does) changes nothing
    assert 'id="confirm-button"' in opened.get_data(as_text=True)
    assert session.scalars(select(SelfRegistration)).one().state == S.PENDING_CONFIRMATION
    done = client.post(link)
    assert 'id="selfreg-confirmed"' in done.get_data(as_text=True)
    assert client.post(link).status_code == 200  # a second press: already confirmed, log in
    assert 'id="link-already-confirmed"' in client.get(link).get_data(as_text=True)
    logged = client.post(
        "/account/login", data={"login": f"{snils[:3]}-{snils[3:6]}-{snils[6:9]} {snils[9:]}", "password": PASSWORD}
    )
    assert logged.status_code == 302
    cabinet = client.get("/account").get_data(as_text=True)
    assert f'id="selfreg-identifier">{snils}<' in cabinet
    assert "Петров Пётр Петрович" in cabinet and 'id="withdraw-link"' in cabinet
    assert 'id="company-title"' not in cabinet  # Flow A's company facts are not a Flow B user's
    listed = cabinet.split('id="selfreg-sections"', 1)[1].split("</nav>", 1)[0]
    # The services and the meters are always there where the deployment turns them on; the others once they
    # have content.
    assert re.findall(r'id="section-([a-z_]+)"', listed) == ["services", "meters"]


def test_unknown_and_expired_links(flow_app: Flask, session: Session) -> None:
    client = flow_app.test_client()
    assert client.get("/signup/confirm/nonsense").status_code == 404
    _register(client, "legal_entity", valid_ogrn(5), name="ООО «Вектор»")
    link = _last_link(session)
    from datetime import timedelta

    from backoffice.customers.models import CustomerToken
    from backoffice.types import utcnow

    for row in session.scalars(select(CustomerToken)):
        row.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    expired = client.get(link)
    assert expired.status_code == 410 and 'id="link-expired"' in expired.get_data(as_text=True)
    assert client.post(link).status_code == 410
    assert session.scalars(select(SelfRegistration)).one().state == S.PENDING_CONFIRMATION


def test_duplicate_identifier_offers_recovery_and_hides_the_email(flow_app: Flask) -> None:
    client = flow_app.test_client()
    ogrnip = valid_ogrnip(3)
    assert _register(client, "sole_proprietor", ogrnip, email="first@example.com").status_code == 302
    second = _register(client, "sole_proprietor", ogrnip, email="second@example.com")
    page = second.get_data(as_text=True)
    assert second.status_code == 409
    assert 'id="recover-password"' in page and "/account/forgot" in page
    assert "first@example.com" not in page and "first" not in page.split("<main", 1)[1]


def test_resend_is_rate_limited_per_identifier(flow_app: Flask, session: Session) -> None:
    client = flow_app.test_client()
    ogrn = valid_ogrn(9)
    _register(client, "legal_entity", ogrn, name="АО «Свет»")
    for _ in range(3):
        answer = client.post("/signup/resend", data={"identifier": ogrn})
        assert answer.status_code == 200 and 'id="resend-sent"' in answer.get_data(as_text=True)
    assert client.post("/signup/resend", data={"identifier": ogrn}).status_code == 429
    letters = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "self_registration_confirm")).all()
    assert len(letters) == 4
    # Unknown identifiers get the same answer and no letter.
    assert 'id="resend-sent"' in client.post("/signup/resend", data={"identifier": "11223344595"}).get_data(
        as_text=True
    )


def test_a_changed_consent_text_is_asked_for_at_the_next_login(
    flow_app: Flask, session: Session, consent_dir: Path
) -> None:
    client = flow_app.test_client()
    snils = valid_snils(77)
    _register(client, "individual", snils)
    client.post(_last_link(session))
    assert client.post("/account/login", data={"login": snils, "password": PASSWORD}).status_code == 302
    assert client.get("/account").status_code == 200
    client.post("/account/logout")
    (consent_dir / "v2.ru.md").write_text("# Согласие, редакция 2\n\nНовый текст.\n", encoding="utf-8")
    client.post("/account/login", data={"login": snils, "password": PASSWORD})
    asked = client.get("/account")
    assert asked.status_code == 302 and "/account/consent" in asked.headers["Location"]
    page = client.get("/account/consent").get_data(as_text=True)
    assert "Новый текст." in page and 'id="accept-consent"' in page
    accepted = client.post("/account/consent")
    assert accepted.status_code == 302
    assert client.get("/account").status_code == 200
    records = session.scalars(select(ConsentRecord).order_by(ConsentRecord.id)).all()
    assert [(r.text_version, r.form) for r in records] == [(1, "self_registration"), (2, "consent_renewal")]


def test_withdrawing_warns_first_then_closes_the_account(flow_app: Flask, session: Session) -> None:
    client = flow_app.test_client()
    client.get("/signup?lang=en")  # the assertions read the English texts
    ogrn = valid_ogrn(12)
    _register(client, "legal_entity", ogrn, name="ООО «Закат»")
    client.post(_last_link(session))
    client.post("/account/login", data={"login": ogrn, "password": PASSWORD})
    warning = client.get("/account/consent/withdraw").get_data(as_text=True)
    assert 'id="withdraw-warning"' in warning and "closes your account" in warning
    not_ticked = client.post("/account/consent/withdraw", data={})
    assert "Tick the box" in not_ticked.get_data(as_text=True)
    session.expire_all()
    assert session.scalars(select(SelfRegistration)).one().state == S.ACTIVE
    closed = client.post("/account/consent/withdraw", data={"acknowledge": "y"}, follow_redirects=True)
    assert 'id="account-closed"' in closed.get_data(as_text=True)
    assert client.get("/account").status_code == 302  # logged out
    assert "Wrong login or password." in client.post(
        "/account/login", data={"login": ogrn, "password": PASSWORD}
    ).get_data(as_text=True)
    session.expire_all()
    record = session.scalars(select(ConsentRecord)).one()
    assert record.withdrawn_at is not None and record.withdrawn_from == "127.0.0.1"
    assert session.scalars(select(CustomerAccount.email)).one() == ""


def test_flow_a_customers_see_no_flow_b_parts(flow_app: Flask) -> None:
    page = flow_app.test_client().get("/account/login").get_data(as_text=True)
    assert 'id="selfreg-register"' in page
    assert flow_app.test_client().get("/account/consent").status_code == 302  # not logged in: to the login



def test_guessing_invitation_links_is_limited_while_reading_a_form_never_is(flow_app: Flask) -> None:
    """The invitation link is a read that counts against the address's limit (a stranger could otherwise try
    tokens without end); a form's own limits count submits only, so reading the form any number of times is
    never refused (backoffice/web/limiting.py lets such reads skip the limiter)."""
    stranger = flow_app.test_client()
    for n in range(10):
        assert stranger.get(f"/signup/invited/guess-{n}").status_code == 410
    assert stranger.get("/signup/invited/guess-10").status_code == 429
    reader = flow_app.test_client()
    for _ in range(15):
        assert reader.get("/signup").status_code == 200
