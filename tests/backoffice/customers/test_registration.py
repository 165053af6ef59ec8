"""The registration page: code + EDRPOU/RNOKPP + login + password, generic answers, the lock, one transaction."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from backoffice.applications.models import Application, RegistrationCode
from backoffice.audit.models import AuditEvent
from backoffice.customers.models import CustomerAccount
from backoffice.letters.models import OutboxMessage
from backoffice.passwords import verify_secret
from backoffice.types import utcnow
from tests.backoffice.customers.conftest import PASSWORD, Browser, Issued, clear_code, registration
from tests.factories import Factory, valid_edrpou
from workflows.accession import AccessionState


def _count(session: Session, model: type, *where: object) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _refusals(session: Session) -> list[str]:
    session.expire_all()
    return list(
        session.scalars(
            select(AuditEvent.reason).where(AuditEvent.action == "registration_refused").order_by(AuditEvent.id)
        )
    )


def test_opening_the_invitation_link_changes_nothing(browser: Browser, issued: Issued, session: Session) -> None:
    before = _count(session, AuditEvent)
    page = browser.get("/company")
    assert page.status_code == 200
    assert 'name="csrf_token"' in page.get_data(as_text=True)
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "<script>" not in page.get_data(as_text=True)  # no inline script
    assert page.headers["Cache-Control"] == "no-store"
    session.expire_all()
    assert _count(session, AuditEvent) == before
    assert session.get(RegistrationCode, issued.app.codes[-1].id).failed_attempts == 0


def test_the_code_becomes_a_login_in_one_transaction(browser: Browser, issued: Issued, session: Session) -> None:
    answer = browser.post(
        "/company", registration(issued, login="Firma.One", code=issued.code.lower().replace("-", " "))
    )
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/account")

    session.expire_all()
    account = session.scalars(select(CustomerAccount)).one()
    assert account.login == "firma.one"  # case-insensitive: stored lower-case
    assert account.application_id == issued.app.id and account.email == issued.app.email
    assert verify_secret(account.password_hash, PASSWORD) and account.password_hash.startswith("$argon2id$")
    assert session.get(Application, issued.app.id).state == AccessionState.COMPLETED
    assert session.scalars(select(RegistrationCode)).one().used_at is not None
    complete = session.scalars(select(AuditEvent).where(AuditEvent.action == "complete")).one()
    assert (complete.subject_id, complete.actor_label, complete.to_state) == (issued.app.id, "firma.one", "completed")
    letter = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "registration_complete")).one()
    assert letter.recipient == issued.app.email and letter.context["login"] == "firma.one"

    cabinet = browser.get(answer.headers["Location"])
    assert cabinet.status_code == 200
    assert issued.app.consumer_name in cabinet.get_data(as_text=True)


def _normalised(html: str) -> str:
    """The page without what differs by design: the CSRF token and the values echoed into the fields."""
    html = re.sub(r'value="[^"]*"', 'value=""', html)
    return html


def test_a_stranger_gets_one_answer_the_letters_holder_is_told_used_or_expired(
    browser: Browser, issued: Issued, make: Factory, session: Session, settings
) -> None:
    """A wrong code, an unknown identifier and another company's code (used, expired or live) read the same; the
    one who typed a code with its own identifier holds the letter, and is told what happened to the code."""
    used = make.application(AccessionState.CODE_ISSUED)
    expired = make.application(AccessionState.CODE_ISSUED)
    session.commit()
    used_code, expired_code = clear_code(session, settings, used), clear_code(session, settings, expired)
    assert browser.post("/company", registration(Issued(used, used_code), login="first.owner")).status_code == 302
    session.execute(
        update(RegistrationCode)
        .where(RegistrationCode.application_id == expired.id)
        .values(expires_at=utcnow() - timedelta(minutes=1))
    )
    session.commit()

    same = dict(login="someone", password=PASSWORD, password_again=PASSWORD)
    strangers = {
        "wrong_code": {"code": "ABCD-EFGH-JKMN", "identifier": issued.identifier},
        "unknown_identifier": {"code": issued.code, "identifier": valid_edrpou(900)},
        "used code, other identifier": {"code": used_code, "identifier": issued.identifier},
        "expired code, other identifier": {"code": expired_code, "identifier": issued.identifier},
    }
    browser = Browser(browser.client.application.test_client())  # a fresh visitor, not logged in
    answers = {name: browser.post("/company", {**data, **same}) for name, data in strangers.items()}

    statuses = {a.status_code for a in answers.values()}
    pages = {_normalised(a.get_data(as_text=True)) for a in answers.values()}
    assert statuses == {200}
    assert len(pages) == 1, "the page tells the cases apart"
    generic = pages.pop()
    assert "We could not accept this code" in generic
    assert "already been used" not in generic and "has expired" not in generic.replace("If the code has expired", "")

    told = browser.post("/company", {"code": used_code, "identifier": used.identifier, **same})
    page = told.get_data(as_text=True)
    assert told.status_code == 200 and "you already have a login" in page
    assert 'href="/account/login" id="refusal-log-in"' in page
    told = browser.post("/company", {"code": expired_code, "identifier": expired.identifier, **same})
    assert "This code has expired" in told.get_data(as_text=True)
    assert "A code works for 14 days" in told.get_data(as_text=True)
    # Staff see which case it was; the unknown identifier is recorded with what was typed.
    assert set(_refusals(session)) >= {"identifier_mismatch", "used", "expired", "wrong_code"}
    assert _count(session, CustomerAccount) == 1
    assert session.get(Application, issued.app.id).state == AccessionState.CODE_ISSUED


def test_every_problem_of_one_submit_is_shown_at_once_with_what_was_typed(browser: Browser, issued: Issued) -> None:
    """An empty field, a wrong code, a Cyrillic login, a short password and two passwords that differ: all on the
    first answer, in a summary that links to each field; what was typed comes back, the passwords do not."""
    page = browser.post(
        "/company",
        {"code": "ABCD-EFGH-JKMN", "identifier": "", "login": "логін", "password": "x", "password_again": "y"},
    ).get_data(as_text=True)
    summary = page[page.index('id="error-summary"') : page.index("</ul>", page.index('id="error-summary"'))]
    assert 'role="alert"' in page and 'tabindex="-1"' in page and "There is a problem" in summary
    for field in ("identifier", "login", "password", "password_again"):
        assert f'href="#{field}"' in summary, field
    assert "Latin letters" in summary and "at least 12 characters" in summary and "differ" in summary
    assert 'value="ABCD-EFGH-JKMN"' in page and 'value="логін"' in page
    assert 'value="x"' not in page and 'value="y"' not in page
    # With the identifier given, the code is checked on the same submit as the login and password.
    page = browser.post(
        "/company",
        {"code": "ABCD-EFGH-JKMN", "identifier": issued.identifier, "login": "логін", "password": "x",
         "password_again": "x"},
    ).get_data(as_text=True)
    assert 'href="#code">We could not accept this code' in page and "Latin letters" in page
    assert "at least 12 characters" in page


def test_login_and_password_rules(browser: Browser, make: Factory, session: Session, settings) -> None:
    app = make.application(AccessionState.CODE_ISSUED, code_word="Сонячний ранок над Дніпром")
    make.application(AccessionState.COMPLETED)  # no account; the taken login comes from the next lines
    session.add(CustomerAccount(login="taken.login", password_hash="x", email="owner@example.com", application_id=None))
    session.commit()
    issued = Issued(app, clear_code(session, settings, app))

    def errors(**overrides: str) -> str:
        answer = browser.post("/company", registration(issued, **overrides))
        assert answer.status_code == 200
        return answer.get_data(as_text=True)

    assert "at least 12 characters" in errors(password="Short-1", password_again="Short-1")
    assert "most common passwords" in errors(password="Qwerty123456", password_again="Qwerty123456")
    assert "same as the login" in errors(
        login="long.login.name", password="Long.Login.Name", password_again="Long.Login.Name"
    )
    assert "Latin letters" in errors(login="ab")
    assert "Latin letters" in errors(login="boss@example.com")  # never an email address, anybody's
    assert "Latin letters" in errors(login="логін")
    assert "The two passwords differ" in errors(password_again=PASSWORD + "x")
    assert "already taken" in errors(login="Taken.Login")
    code_word = "сонячний ранок над дніпром"
    assert "code word" in errors(password=code_word, password_again=code_word)
    # None of these spent the code or counted as a wrong try.
    session.expire_all()
    row = session.scalars(select(RegistrationCode).where(RegistrationCode.application_id == app.id)).one()
    assert row.used_at is None and row.failed_attempts == 0
    assert browser.post("/company", registration(issued)).status_code == 302


def test_a_taken_login_is_not_revealed_without_a_good_code(browser: Browser, issued: Issued, session: Session) -> None:
    session.add(CustomerAccount(login="taken.login", password_hash="x", email="o@example.com"))
    session.commit()
    page = browser.post("/company", registration(issued, code="ABCD-EFGH-JKMN", login="taken.login"))
    assert "already taken" not in page.get_data(as_text=True)
    assert "We could not accept this code" in page.get_data(as_text=True)


def test_a_typo_in_the_code_or_identifier_is_pointed_out_without_counting(
    browser: Browser, issued: Issued, session
) -> None:
    page = browser.post("/company", registration(issued, code="ABCD-EFGH", identifier="12345670")).get_data(
        as_text=True
    )
    assert "12 letters and digits" in page
    assert "check digit" in page
    assert _refusals(session) == []


def test_of_two_customers_taking_one_login_at_once_the_second_is_told_and_keeps_the_code(
    make: Factory, session: Session, settings
) -> None:
    """Both forms are checked while the login is free; the first to finish gets it. The second is told the login
    is taken, in a transaction that is still usable, and its code stays unspent for another try."""
    from backoffice.customers import registration as service
    from backoffice.validation.problems import Invalid

    first, second = make.application(AccessionState.CODE_ISSUED), make.application(AccessionState.CODE_ISSUED)
    session.commit()
    checked = [
        service.check(session, settings, code=clear_code(session, settings, app), identifier=app.identifier)
        for app in (first, second)
    ]
    assert [service.prepare(session, settings, c, login="shared.login", password=PASSWORD) for c in checked] == [[], []]
    service.finish(session, settings, checked[0], login="shared.login", password_hash="h1")
    session.commit()

    try:
        service.finish(session, settings, checked[1], login="Shared.Login", password_hash="h2")
        raise AssertionError("the second registration took a login that was taken")
    except Invalid as refused:
        assert [(p.field, p.code) for p in refused.problems] == [("login", "taken")]
    assert _count(session, CustomerAccount) == 1  # the transaction goes on after the refused insert
    session.rollback()  # as the page does

    session.expire_all()
    assert session.scalars(select(CustomerAccount.password_hash)).all() == ["h1"]
    assert session.get(Application, second.id).state == AccessionState.CODE_ISSUED
    second_code = session.scalars(select(RegistrationCode).where(RegistrationCode.application_id == second.id)).one()
    assert second_code.used_at is None
