"""The dashboard, the audit trail and the administrators' staff pages."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import select

from backoffice.actors import Actor
from backoffice.admin.dashboard import gather
from backoffice.audit.models import AuditEvent
from backoffice.audit.trail import record
from backoffice.staff.models import Operator, ServiceCenter
from tests.backoffice.admin.conftest import Staff, post
from tests.backoffice.plans import explain_sent
from workflows.accession import AccessionState as S


def test_the_dashboard_counts_ages_and_draws_the_chart(make, session, staff: Staff, login):
    make.application(S.AWAITING_SIGNATURE_CHECK, center=staff.center_a)
    make.application(S.COMPLETED, center=staff.center_b)
    session.commit()
    data = gather(session)
    assert dict(data.counts)[S.AWAITING_SIGNATURE_CHECK] == 1
    assert sum(n for _label, n in data.ageing) == 1
    assert data.per_day[-1][1] == 2
    assert data.median_to_login is not None and data.completed_sample == 1
    page = login(staff.supervisor).get("/admin/dashboard/").get_data(as_text=True)
    assert "<svg" in page and 'data-testid="overdue"' in page


def test_supervisors_read_the_audit_trail(make, session, staff: Staff, login):
    app = make.application(S.RECEIVED, center=staff.center_a)
    session.commit()
    page = login(staff.supervisor).get("/admin/audit/?subject_type=application").get_data(as_text=True)
    # The record by its name and a link to its page, the action in words (the English page: the login chose it).
    assert f'href="/admin/applications/{app.number}">Application {app.number}</a>' in page
    assert "Registered" in page and ">create<" not in page
    assert login(staff.operator_a).get("/admin/audit/").status_code == 403


@pytest.mark.postgres
@pytest.mark.committed  # the plans are read on a connection of their own
def test_the_audit_trail_of_one_actor_is_read_from_its_index(session, staff: Staff, login, app: Flask):
    """A supervisor asks what one person did: their rows come newest first from an index on who acted, not from a
    walk back through the whole trail that filters every row (for someone who rarely acts, all of the history)."""
    scheduler = Actor.system("scheduler")
    for n in range(60):
        record(session, scheduler, "application", n, "remind")
    record(session, Actor.of(staff.operator_a2), "application", 7, "claim")
    session.commit()
    supervisor = login(staff.supervisor)
    pages: list[str] = []
    plans = explain_sent(
        app.extensions["backoffice.db"],
        lambda: pages.append(supervisor.get(f"/admin/audit/?actor_label={staff.operator_a2.login}").text),
    )
    [page] = pages
    assert re.findall(r'<tr data-action="([^"]+)"', page) == ["claim"]  # that operator's one row, not a reminder
    assert any("ix_audit_event_actor_label_id" in plan for plan in plans), plans


def test_an_administrator_creates_and_edits_accounts_with_an_audit_trail(session, staff: Staff, login):
    client = login(staff.admin)
    response = post(
        client,
        "/admin/staff/",
        {"login": "New.Person", "full_name": "Нова Людина", "role": "operator", "center_id": staff.center_b.id,
         "password": "long enough password"},
    )
    assert response.status_code == 302
    person = session.scalars(select(Operator).where(Operator.login == "new.person")).one()
    post(
        client,
        f"/admin/staff/{person.id}",
        {"full_name": "Нова Людина", "role": "supervisor", "center_id": "", "is_active": "1", "totp_required": "1"},
    )
    session.expire_all()
    person = session.get(Operator, person.id)
    assert person.role.value == "supervisor" and person.totp_required
    edit = session.scalars(
        select(AuditEvent).where(AuditEvent.subject_id == person.id, AuditEvent.action == "edit")
    ).one()
    assert edit.changes["role"] == ["operator", "supervisor"] and edit.actor_label == "boss"
    # Nothing can be deleted from the UI.
    assert client.post(f"/admin/staff/{person.id}/delete").status_code in {400, 404, 405}


def test_an_administrator_cannot_lock_themselves_out(session, staff: Staff, login):
    client = login(staff.admin)
    form = {"full_name": "x", "role": "operator", "center_id": staff.center_a.id}
    page = post(client, f"/admin/staff/{staff.admin.id}", form)
    assert "cannot lock yourself out" in page.get_data(as_text=True)
    session.expire_all()
    assert session.get(Operator, staff.admin.id).role.value == "admin"


def test_centers_are_created_and_renamed_by_administrators_only(session, staff: Staff, login):
    client = login(staff.admin)
    post(client, "/admin/centers/", {"code": "zn", "name": "ЦОС Знам'янка"})
    center = session.scalars(select(ServiceCenter).where(ServiceCenter.code == "ZN")).one()
    post(client, "/admin/centers/", {"center_id": center.id, "name": "ЦОС Знам'янка-2"})
    session.expire_all()
    assert session.get(ServiceCenter, center.id).name == "ЦОС Знам'янка-2"
    assert post(login(staff.supervisor), "/admin/centers/", {"code": "X", "name": "X"}).status_code == 403
