"""Who owns an identifier (issue 18, finding 9): the refused newcomer asks, a supervisor decides, both sides hear.

Through the pages a user and a supervisor see: the claim is filed from the page that refused the registration,
decided on the back-office page beside the existing account, and each decision writes its audit rows and the
letters to both sides. Nobody can claim an identifier their own registration was not refused for, and only
supervisors decide.
"""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.actors import Actor
from backoffice.audit.trail import history
from backoffice.customers.models import CustomerAccount
from backoffice.letters.models import OutboxMessage
from backoffice.selfreg import claims, services
from backoffice.selfreg.models import OwnershipClaim, PersonKind, SelfRegistration
from backoffice.settings import Settings
from tests.backoffice.selfreg.conftest import PASSWORD, People
from tests.backoffice.selfreg.test_admin import _client, _staff
from tests.backoffice.selfreg.test_pages import _register
from workflows.engine import GuardFailed
from workflows.ownership_claim import ClaimState
from workflows.roles import Role
from workflows.self_registration import SelfRegistrationState as S

SUPERVISOR = Actor(Role.SUPERVISOR, "boss")
OWNER_EMAIL = "owner@romashka.example"
EVIDENCE = {
    "name": "Иванова Мария Петровна",
    "email": OWNER_EMAIL,
    "phone": "+7 912 345-67-89",
    "contract_number": "ЭС-12/345",
    "account_number": "",
    "note": "Генеральный директор",
    "consent": "y",
}


@pytest.fixture
def holder(people: People, session: Session, flow_settings: Settings) -> SelfRegistration:
    """A confirmed Flow B account holding a company's OGRN (the squatter, or the real owner)."""
    reg = people.register(PersonKind.LEGAL_ENTITY, name="ООО «Ромашка»", email="squatter@example.com")
    services.fire(session, reg, "manual_confirm", SUPERVISOR, reason="documents seen", settings=flow_settings)
    session.commit()
    return reg


def _refused(flow_app: Flask, identifier: str) -> FlaskClient:
    """A newcomer whose registration with ``identifier`` was just refused: the page offers the claim."""
    client = flow_app.test_client()
    client.get("/signup?lang=en")  # the assertions read the English texts
    refused = _register(client, "legal_entity", identifier, name="ООО «Ромашка»", email=OWNER_EMAIL)
    assert refused.status_code == 409  # type: ignore[attr-defined]
    page = refused.get_data(as_text=True)  # type: ignore[attr-defined]
    assert 'id="claim-link"' in page and 'id="ownership-proof"' in page
    assert "squatter@example.com" not in page
    return client


def _letters(session: Session, kind: str) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)))


def _claim(session: Session) -> OwnershipClaim:
    session.expire_all()
    return session.scalars(select(OwnershipClaim)).one()


@pytest.mark.committed  # its session.rollback() would end a savepoint older than the app's commits
def test_the_owner_claims_the_identifier_wins_and_registers_it(
    flow_app: Flask, session: Session, holder: SelfRegistration
) -> None:
    newcomer = _refused(flow_app, holder.identifier)
    form = newcomer.get("/signup/claim").get_data(as_text=True)
    assert holder.identifier in form and OWNER_EMAIL in form and 'id="ownership-proof"' in form
    no_evidence = newcomer.post("/signup/claim", data={**EVIDENCE, "contract_number": ""}).get_data(as_text=True)
    assert "Tell us how you can prove the identifier is yours" in no_evidence
    assert session.scalars(select(OwnershipClaim)).first() is None
    sent = newcomer.post("/signup/claim", data=EVIDENCE)
    assert 'id="claim-sent"' in sent.get_data(as_text=True)
    claim = _claim(session)
    assert (claim.state, claim.holder_id, claim.identifier) == (ClaimState.OPEN, holder.id, holder.identifier)
    assert (claim.phone, claim.contract_number) == ("+79123456789", "ЭС-12/345")
    assert [e.action for e in history(session, claims.SUBJECT, claim.id)] == ["file_claim"]
    assert "ownership_claimed" in [e.action for e in history(session, services.SUBJECT, holder.id)]

    # The supervisor sees both sides and decides for the claimant; a decision without a reason is refused.
    _staff(session, "super", Role.SUPERVISOR)
    staff = _client(flow_app, "super")
    listed = staff.get("/admin/ownership-claims/").get_data(as_text=True)
    assert f'data-claim="{claim.id}"' in listed
    page = staff.get(f"/admin/ownership-claims/{claim.id}").get_data(as_text=True)
    assert "squatter@example.com" in page and "ЭС-12/345" in page and 'data-testid="consent-records"' in page
    assert 'data-testid="act-grant"' in page and 'data-testid="act-reject"' in page
    url = f"/admin/ownership-claims/{claim.id}/act/"
    no_reason = staff.post(url + "grant", data={"version": 1}, follow_redirects=True).get_data(as_text=True)
    assert "Give a reason" in no_reason and _claim(session).state == ClaimState.OPEN
    assert staff.post(url + "grant", data={"version": 1, "reason": "contract ЭС-12/345 is hers"}).status_code == 302

    claim = _claim(session)
    held = session.get(SelfRegistration, holder.id)
    assert claim.state == ClaimState.GRANTED and held is not None and held.state == S.BLOCKED
    assert held.account is not None and not held.account.is_active
    block = [e for e in history(session, services.SUBJECT, holder.id) if e.action == "block"]
    assert block[0].actor_label == "super" and block[0].reason == "contract ЭС-12/345 is hers"
    assert [e.action for e in history(session, claims.SUBJECT, claim.id)] == ["file_claim", "grant"]
    (granted,) = _letters(session, "ownership_granted")
    (lost,) = _letters(session, "ownership_lost")
    assert granted.recipient == OWNER_EMAIL and lost.recipient == "squatter@example.com"
    assert lost.context == {"identifier": holder.identifier, "reason": "contract ЭС-12/345 is hers"}
    with pytest.raises(GuardFailed, match="ownership check"):  # the blocked account is never unblocked
        services.fire(session, held, "unblock", SUPERVISOR, settings=flow_app.config["SETTINGS"])
    session.rollback()

    # The squatter cannot log in, and nobody else can register the identifier meanwhile.
    squatter = flow_app.test_client()
    squatter.get("/signup?lang=en")
    login = squatter.post("/account/login", data={"login": holder.identifier, "password": PASSWORD})
    assert 'id="account-blocked"' in login.get_data(as_text=True)
    assert _register(squatter, "legal_entity", holder.identifier).status_code == 409  # type: ignore[attr-defined]

    # The owner registers through the letter's link; the blocked account lets go of the identifier.
    link = "/" + str(granted.context["link"]).split("/", 3)[3]
    opened = newcomer.get(link)
    assert opened.status_code == 302 and "kind=legal_entity" in opened.headers["Location"]
    assert 'id="invited"' in newcomer.get(opened.headers["Location"]).get_data(as_text=True)
    done = _register(newcomer, "legal_entity", holder.identifier, name="ООО «Ромашка»", email=OWNER_EMAIL)
    assert done.status_code == 302  # type: ignore[attr-defined]
    session.expire_all()
    mine = services.by_identifier(session, holder.identifier)
    assert mine is not None and mine.id != holder.id and mine.email == OWNER_EMAIL
    assert mine.state == S.PENDING_CONFIRMATION  # the email is confirmed by the usual letter
    old = session.get(CustomerAccount, held.account_id)
    assert old is not None and old.login == f"released.{holder.id}.{old.id}"
    claim = _claim(session)
    assert claim.released_at is not None and claim.registration_id == mine.id
    assert "identifier_released" in [e.action for e in history(session, services.SUBJECT, holder.id)]
    assert newcomer.get(link).status_code == 410  # the invitation works once


def test_the_holder_keeps_the_identifier_when_the_claim_is_rejected(
    flow_app: Flask, session: Session, holder: SelfRegistration
) -> None:
    newcomer = _refused(flow_app, holder.identifier)
    newcomer.post("/signup/claim", data={**EVIDENCE, "contract_number": "", "account_number": "000111"})
    claim = _claim(session)
    _staff(session, "super", Role.SUPERVISOR)
    staff = _client(flow_app, "super")
    answer = staff.post(
        f"/admin/ownership-claims/{claim.id}/act/reject", data={"version": 1, "reason": "no such account number"}
    )
    assert answer.status_code == 302
    claim = _claim(session)
    assert claim.state == ClaimState.REJECTED
    assert session.get(SelfRegistration, holder.id).state == S.ACTIVE  # type: ignore[union-attr]
    (refused,) = _letters(session, "ownership_refused")
    (kept,) = _letters(session, "ownership_kept")
    assert refused.recipient == OWNER_EMAIL and refused.context["reason"] == "no such account number"
    assert kept.recipient == "squatter@example.com" and kept.context == {"identifier": holder.identifier}
    assert [e.action for e in history(session, claims.SUBJECT, claim.id)] == ["file_claim", "reject"]
    # Decided once: a second decision is refused and changes nothing.
    again = staff.post(
        f"/admin/ownership-claims/{claim.id}/act/grant", data={"version": 2, "reason": "x"}, follow_redirects=True
    )
    assert "decided already" in again.get_data(as_text=True) and _claim(session).state == ClaimState.REJECTED
    owner = flow_app.test_client()
    assert owner.post("/account/login", data={"login": holder.identifier, "password": PASSWORD}).status_code == 302


def test_no_claim_for_an_identifier_this_browser_was_not_refused(
    flow_app: Flask, session: Session, people: People, holder: SelfRegistration
) -> None:
    stranger = flow_app.test_client()
    stranger.get("/signup?lang=en")
    assert stranger.get("/signup/claim").status_code == 302
    posted = stranger.post("/signup/claim", data={**EVIDENCE, "identifier": holder.identifier})
    assert posted.status_code == 302 and posted.headers["Location"].endswith("/signup")
    # A free identifier registers normally: nothing was refused, so nothing can be claimed.
    assert _register(stranger, "sole_proprietor", "304500116000157").status_code in (200, 302)  # type: ignore[attr-defined]
    assert stranger.get("/signup/claim").status_code == 302
    # The service itself refuses a claim on an identifier nobody holds.
    free = people.submission(PersonKind.LEGAL_ENTITY)
    refused = claims.Refused(PersonKind.LEGAL_ENTITY, services.clean(free).identifier, "ООО", OWNER_EMAIL)
    cleaned = claims.clean(claims.ClaimSubmission(**{**EVIDENCE, "consent": True}))  # type: ignore[arg-type]
    with pytest.raises(claims.NothingToClaim):
        claims.file(session, refused, cleaned, language="ru", origin=services.Origin("192.0.2.1"))
    assert session.scalars(select(OwnershipClaim)).first() is None


def test_the_claim_form_is_limited_like_the_signup_form(flow_app: Flask, holder: SelfRegistration) -> None:
    newcomer = _refused(flow_app, holder.identifier)
    bad = {**EVIDENCE, "phone": ""}  # refused by the form, so each try counts and nothing is filed
    for _ in range(3):
        assert newcomer.post("/signup/claim", data=bad).status_code == 200
    assert newcomer.post("/signup/claim", data=bad).status_code == 429


def test_only_supervisors_decide(
    flow_app: Flask, session: Session, holder: SelfRegistration, flow_settings: Settings
) -> None:
    cleaned = claims.clean(claims.ClaimSubmission(**{**EVIDENCE, "consent": True}))  # type: ignore[arg-type]
    refused = claims.Refused(PersonKind.LEGAL_ENTITY, holder.identifier, "ООО", OWNER_EMAIL)
    claim = claims.file(session, refused, cleaned, language="ru", origin=services.Origin("192.0.2.1"))
    session.commit()
    _staff(session, "op", Role.OPERATOR)
    operator = _client(flow_app, "op")
    assert operator.get("/admin/ownership-claims/").status_code == 403
    assert operator.get(f"/admin/ownership-claims/{claim.id}").status_code == 403
    assert operator.post(f"/admin/ownership-claims/{claim.id}/act/grant", data={"reason": "x"}).status_code == 403
    with pytest.raises(Exception, match="may not fire"):
        claims.decide(session, flow_settings, claim, "grant", Actor(Role.OPERATOR, "op"), reason="x")
    session.rollback()
    assert _claim(session).state == ClaimState.OPEN
    _staff(session, "super", Role.SUPERVISOR)
    supervisor = _client(flow_app, "super")
    assert supervisor.get("/admin/ownership-claims/999999").status_code == 404
    assert supervisor.post(f"/admin/ownership-claims/{claim.id}/act/unblock", data={"reason": "x"}).status_code == 404


def test_an_unconfirmed_holder_is_not_given_away(
    flow_app: Flask, session: Session, people: People, flow_settings: Settings
) -> None:
    waiting = people.register(PersonKind.LEGAL_ENTITY)
    session.commit()
    cleaned = claims.clean(claims.ClaimSubmission(**{**EVIDENCE, "consent": True}))  # type: ignore[arg-type]
    refused = claims.Refused(PersonKind.LEGAL_ENTITY, waiting.identifier, "ООО", OWNER_EMAIL)
    claim = claims.file(session, refused, cleaned, language="ru", origin=services.Origin("192.0.2.1"))
    session.commit()
    assert claims.available_actions(claim, SUPERVISOR) == ["reject"]
    _staff(session, "super", Role.SUPERVISOR)
    staff = _client(flow_app, "super")
    assert 'data-testid="holder-unconfirmed"' in staff.get(f"/admin/ownership-claims/{claim.id}").get_data(
        as_text=True
    )
    with pytest.raises(GuardFailed):
        claims.decide(session, flow_settings, claim, "grant", SUPERVISOR, reason="x")
