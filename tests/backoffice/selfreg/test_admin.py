"""The back office's Flow B page: search, the supervisors' actions through the write path, operators only look."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from backoffice.audit.trail import history
from backoffice.selfreg import services
from backoffice.selfreg.models import PersonKind, SelfRegistration
from backoffice.staff.models import Operator
from tests.backoffice.selfreg.conftest import PASSWORD_HASH, People
from workflows.roles import Role
from workflows.self_registration import SelfRegistrationState as S


def _staff(session: Session, login: str, role: Role) -> Operator:
    operator = Operator(login=login, full_name=f"Сотрудник {login}", role=role, password_hash=PASSWORD_HASH)
    if role == Role.OPERATOR:
        from backoffice.staff.models import ServiceCenter

        center = ServiceCenter(code=f"C-{login}", name=f"Центр {login}")
        session.add(center)
        operator.center = center
    session.add(operator)
    session.commit()
    return operator


def _client(app: Flask, login: str) -> FlaskClient:
    from tests.backoffice.selfreg.conftest import PASSWORD

    client = app.test_client()
    client.get("/staff/login?lang=en")  # the assertions read the English texts
    response = client.post("/staff/login", data={"login": login, "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.fixture
def three(people: People, session: Session) -> list[SelfRegistration]:
    regs = [
        people.register(PersonKind.INDIVIDUAL, name="Сидоров Сидор", email="sidorov@example.com"),
        people.register(PersonKind.SOLE_PROPRIETOR, name="ИП Кузнецов", email="kuz@example.com"),
        people.register(PersonKind.LEGAL_ENTITY, name="ООО «Рассвет»", email="info@rassvet.example"),
    ]
    session.commit()
    return regs


def test_search_by_identifier_name_or_email(flow_app: Flask, session: Session, three: list[SelfRegistration]) -> None:
    _staff(session, "super", Role.SUPERVISOR)
    client = _client(flow_app, "super")
    everything = client.get("/admin/self-registrations/").get_data(as_text=True)
    assert all(f'data-identifier="{r.identifier}"' in everything for r in three)
    snils = three[0].identifier
    dashed = f"{snils[:3]}-{snils[3:6]}-{snils[6:9]} {snils[9:]}"
    for query, expected in ((dashed, 0), ("рассвет", 2), ("KUZ@EXAMPLE", 1)):
        page = client.get("/admin/self-registrations/", query_string={"q": query}).get_data(as_text=True)
        shown = [r for r in three if f'data-identifier="{r.identifier}"' in page]
        assert shown == [three[expected]], query
    legal = client.get("/admin/self-registrations/", query_string={"kind": "legal_entity"}).get_data(as_text=True)
    assert [r for r in three if f'data-identifier="{r.identifier}"' in legal] == [three[2]]


def test_supervisor_resends_confirms_and_blocks_each_audited(
    flow_app: Flask, session: Session, three: list[SelfRegistration]
) -> None:
    _staff(session, "super", Role.SUPERVISOR)
    client = _client(flow_app, "super")
    reg = three[1]
    page = client.get(f"/admin/self-registrations/{reg.id}").get_data(as_text=True)
    assert 'data-testid="act-resend_confirmation"' in page and 'data-testid="act-manual_confirm"' in page
    assert 'data-testid="act-block"' not in page  # not confirmed yet: nothing to block
    url = f"/admin/self-registrations/{reg.id}/act/"
    assert client.post(url + "resend_confirmation", data={"version": 1}).status_code == 302
    no_reason = client.post(url + "manual_confirm", data={"version": 2}, follow_redirects=True)
    assert "Give a reason" in no_reason.get_data(as_text=True)
    client.post(url + "manual_confirm", data={"version": 2, "reason": "Проверил выписку ЕГРИП"})
    stale = client.post(url + "block", data={"version": 2, "reason": "x"}, follow_redirects=True)
    assert "Someone else changed this registration" in stale.get_data(as_text=True)
    client.post(url + "block", data={"version": 3, "reason": "Подозрение на мошенничество"})
    session.expire_all()
    assert reg.state == S.BLOCKED and reg.account is not None and not reg.account.is_active
    events = [(e.action, e.actor_label, e.reason) for e in history(session, services.SUBJECT, reg.id)]
    assert events[1:] == [
        ("resend_confirmation", "super", ""),
        ("manual_confirm", "super", "Проверил выписку ЕГРИП"),
        ("block", "super", "Подозрение на мошенничество"),
    ]
    page = client.get(f"/admin/self-registrations/{reg.id}").get_data(as_text=True)
    assert "Подозрение на мошенничество" in page and 'data-testid="act-unblock"' in page


def test_operators_see_but_cannot_act(flow_app: Flask, session: Session, three: list[SelfRegistration]) -> None:
    _staff(session, "op", Role.OPERATOR)
    client = _client(flow_app, "op")
    reg = three[0]
    page = client.get(f"/admin/self-registrations/{reg.id}").get_data(as_text=True)
    assert "Only a supervisor can act" in page
    refused = client.post(f"/admin/self-registrations/{reg.id}/act/manual_confirm", data={"reason": "x"})
    assert refused.status_code == 403
    session.expire_all()
    assert reg.state == S.PENDING_CONFIRMATION
    assert flow_app.test_client().get("/admin/self-registrations/").status_code == 302  # anonymous: to the login
