"""Staff login: failed-attempt limits, idle expiry, logout, and the TOTP second factor."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pyotp
import pytest
from freezegun import freeze_time
from sqlalchemy import select

from backoffice.audit.models import AuditEvent
from backoffice.staff.models import Operator
from tests import factories
from tests.backoffice.admin.conftest import Staff, csrf_token, post
from tests.services import throttle_clock


def _try(client, login: str, password: str, path: str = "/staff/login"):
    return client.post(path, data={"login": login, "password": password, "csrf_token": csrf_token(client)})


def test_wrong_password_and_unknown_login_get_the_same_answer(client, staff: Staff):
    wrong = _try(client, "op.a", "not the password")
    unknown = _try(client, "nobody.here", "not the password")
    assert wrong.status_code == unknown.status_code == 200
    assert "Wrong login or password." in wrong.get_data(as_text=True)
    assert "Wrong login or password." in unknown.get_data(as_text=True)


def test_failed_attempts_slow_one_address_for_at_most_one_window(app, client, staff: Staff):
    # Only the address that failed waits, doubling up to one window; other addresses: test_security_findings (#4).
    free = app.config["SETTINGS"].staff.failed_logins_per_account
    window = app.config["SETTINGS"].staff.failed_login_window_minutes
    with throttle_clock() as clock:
        for _ in range(free + 12):  # waits grow past one window: 2**11 seconds, cut to the window
            clock.tick(window * 60 + 1)
            assert _try(client, "op.a", "guess").status_code == 200
        refused = _try(client, "op.a", factories.PASSWORD)
        assert refused.status_code == 429
        assert "Too many wrong tries for this login from here" in refused.get_data(as_text=True)
        clock.tick(window * 60 + 1)
        assert _try(client, "op.a", factories.PASSWORD).status_code == 302


def test_a_successful_login_does_not_count_against_the_limit(app, staff: Staff):
    limit = app.config["SETTINGS"].staff.failed_logins_per_account
    for _ in range(limit + 1):
        client = app.test_client()
        assert _try(client, "op.a", factories.PASSWORD).status_code == 302


def test_an_idle_session_ends(app, login, staff: Staff):
    client = login(staff.operator_a)
    assert client.get("/admin/applications/").status_code == 200
    idle = app.config["SETTINGS"].staff.session_idle_minutes
    with client.session_transaction() as s:
        s["staff_seen"] = time.time() - idle * 60 - 5
    response = client.get("/admin/applications/")
    assert response.status_code == 302 and "/staff/login" in response.location
    assert client.get("/admin/applications/").status_code == 302


def test_logout_is_a_post_with_csrf(login, staff: Staff):
    client = login(staff.operator_a)
    assert client.get("/staff/logout").status_code == 405
    assert client.post("/staff/logout").status_code == 400
    assert post(client, "/staff/logout").status_code == 302
    assert client.get("/admin/applications/").status_code == 302


def test_pages_need_a_login_and_the_right_role(client, login, staff: Staff):
    assert client.get("/admin/applications/").status_code == 302
    assert client.get("/admin/dashboard/").status_code == 302
    operator = login(staff.operator_a)
    assert operator.get("/admin/dashboard/").status_code == 403
    assert operator.get("/admin/staff/").status_code == 403
    assert login(staff.supervisor).get("/admin/staff/").status_code == 403
    assert login(staff.admin).get("/admin/staff/").status_code == 200


def _code_page(client, response) -> str:
    assert response.status_code == 302 and "/staff/login/code" in response.location
    return client.get(response.location).get_data(as_text=True)


def test_a_required_second_factor_is_enrolled_then_asked_at_every_login(app, session, staff: Staff):
    staff.operator_a.totp_required = True
    session.commit()
    client = app.test_client()
    page = _code_page(client, _try(client, "op.a", factories.PASSWORD))
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page).group(1)
    token = csrf_token(client, "/staff/login/code")
    wrong = client.post("/staff/login/code", data={"code": "000000", "csrf_token": token})
    assert "The code is not right" in wrong.get_data(as_text=True)
    token = csrf_token(client, "/staff/login/code")
    ok = client.post("/staff/login/code", data={"code": pyotp.TOTP(secret).now(), "csrf_token": token})
    assert ok.status_code == 302
    assert client.get("/admin/applications/").status_code == 200
    session.expire_all()
    assert session.get(Operator, staff.operator_a.id).totp_secret == secret
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "enrol_totp")).one()

    with freeze_time(datetime.now(UTC).replace(microsecond=0)) as clock:
        clock.tick(31)  # the code that enrolled is spent: the next login takes the app's next code
        again = app.test_client()
        page = _code_page(again, _try(again, "op.a", factories.PASSWORD))
        assert "totp-secret" not in page  # the secret is shown once, at enrolment
        assert again.get("/admin/applications/").status_code == 302  # a password alone is not a login
        token = csrf_token(again, "/staff/login/code")
        answer = again.post("/staff/login/code", data={"code": pyotp.TOTP(secret).now(), "csrf_token": token})
        assert answer.status_code == 302
        assert again.get("/admin/applications/").status_code == 200


def _enrolled(session, staff: Staff) -> str:
    secret = pyotp.random_base32()
    staff.operator_a.totp_secret = secret
    session.commit()
    return secret


def _code_login(app, code: str):
    client = app.test_client()
    _code_page(client, _try(client, "op.a", factories.PASSWORD))
    token = csrf_token(client, "/staff/login/code")
    answer = client.post("/staff/login/code", data={"code": code, "csrf_token": token})
    return client, answer


def test_a_second_factor_code_logs_in_once(app, session, staff: Staff):
    """Someone who watched the code being typed (or read it off the wire) cannot use it again in its window."""
    secret = _enrolled(session, staff)
    with freeze_time(datetime(2026, 12, 2, 9, 0, 5, tzinfo=UTC)) as clock:
        code = pyotp.TOTP(secret).now()
        first, answer = _code_login(app, code)
        assert answer.status_code == 302
        assert first.get("/admin/applications/").status_code == 200

        clock.tick(10)  # same 30-second step
        second, answer = _code_login(app, code)
        assert answer.status_code == 200
        assert "This code can no longer be used" in answer.get_data(as_text=True)
        assert second.get("/admin/applications/").status_code == 302  # not logged in

        previous = pyotp.TOTP(secret).at(datetime(2026, 12, 2, 8, 59, 40, tzinfo=UTC))
        _, answer = _code_login(app, previous)  # the step before: still inside the window, but older
        assert "This code can no longer be used" in answer.get_data(as_text=True)

        clock.tick(30)
        third, answer = _code_login(app, pyotp.TOTP(secret).now())
        assert answer.status_code == 302
        assert third.get("/admin/applications/").status_code == 200


def test_a_code_a_phone_a_little_slow_shows_still_works(app, session, staff: Staff):
    secret = _enrolled(session, staff)
    with freeze_time(datetime(2026, 12, 2, 9, 0, 5, tzinfo=UTC)):
        slow = pyotp.TOTP(secret).at(datetime(2026, 12, 2, 8, 59, 50, tzinfo=UTC))
        _, answer = _code_login(app, slow)
        assert answer.status_code == 302
        _, answer = _code_login(app, pyotp.TOTP(secret).at(datetime(2026, 12, 2, 8, 59, 20, tzinfo=UTC)))
        assert "The code is not right" in answer.get_data(as_text=True)  # two steps back: too old


# -- who is logged in: kept between requests, and still current on the next page after any change --------------


def _staff_form(operator: Operator, **changes: object) -> dict[str, object]:
    """The account page's form as an administrator sends it, with some fields changed."""
    form: dict[str, object] = {
        "full_name": operator.full_name, "role": operator.role.value, "center_id": operator.center_id or "",
        "is_active": "1", "totp_required": "",
    }
    return {**form, **changes}


def test_a_deactivated_operator_is_logged_out_on_the_next_page(session, staff: Staff, login):
    operator = login(staff.operator_a)
    assert operator.get("/admin/applications/").status_code == 200
    assert post(login(staff.admin), f"/admin/staff/{staff.operator_a.id}", _staff_form(staff.operator_a, is_active="")
                ).status_code == 302
    response = operator.get("/admin/applications/")
    assert response.status_code == 302 and "/staff/login" in response.location


def test_a_new_password_logs_the_operator_out_on_the_next_page(session, staff: Staff, login):
    operator = login(staff.operator_a)
    assert operator.get("/admin/applications/").status_code == 200
    form = {"action": "password", "password": "a brand new password 2026"}
    assert post(login(staff.admin), f"/admin/staff/{staff.operator_a.id}", form).status_code == 302
    response = operator.get("/admin/applications/")
    assert response.status_code == 302 and "/staff/login" in response.location


def test_a_new_center_or_role_counts_from_the_next_page(make, session, staff: Staff, login):
    from workflows.accession import AccessionState as S

    at_a = make.application(S.RECEIVED, center=staff.center_a)
    at_b = make.application(S.RECEIVED, center=staff.center_b)
    session.commit()
    operator, admin = login(staff.operator_a), login(staff.admin)
    assert at_a.number in operator.get("/admin/applications/").get_data(as_text=True)
    post(admin, f"/admin/staff/{staff.operator_a.id}", _staff_form(staff.operator_a, center_id=staff.center_b.id))
    page = operator.get("/admin/applications/").get_data(as_text=True)
    assert at_b.number in page and at_a.number not in page
    assert operator.get("/admin/dashboard/").status_code == 403
    session.expire_all()
    post(admin, f"/admin/staff/{staff.operator_a.id}", _staff_form(staff.operator_a, role="supervisor"))
    assert operator.get("/admin/dashboard/").status_code == 200


def _first_answer_within(seconds: float, ask: Callable[[], Any], wanted: Callable[[Any], bool]) -> Any:
    """The first answer that is ``wanted``, asking again until ``seconds`` have passed (then the last answer)."""
    deadline = time.monotonic() + seconds
    while True:
        answer = ask()
        if wanted(answer) or time.monotonic() > deadline:
            return answer
        time.sleep(0.02)


@pytest.mark.committed  # another engine changes the row: it must see the test's rows, and NOTIFY needs a commit
def test_a_change_made_by_another_process_counts_from_the_next_page(app, db, session, staff: Staff, login):
    """Another web worker or the CLI changes the row through its own engine: PostgreSQL tells this process, and
    on SQLite the row is read on every request. The notice travels through the server after the other commit, so
    on a busy machine it may land a few milliseconds after it: the change must count within a second."""
    from backoffice.actors import Actor
    from backoffice.database import Database
    from backoffice.staff import services

    operator = login(staff.operator_a)
    assert operator.get("/admin/dashboard/").status_code == 403
    elsewhere = Database(db.url)
    try:
        with elsewhere.session() as other:
            person = other.get(Operator, staff.operator_a.id)
            services.update_operator(other, Actor.of(other.get(Operator, staff.admin.id)), person,
                                     role=person.role.SUPERVISOR, center=person.center)
        dashboard = _first_answer_within(1, lambda: operator.get("/admin/dashboard/"), lambda r: r.status_code != 403)
        assert dashboard.status_code == 200
        with elsewhere.session() as other:
            person = other.get(Operator, staff.operator_a.id)
            services.update_operator(other, Actor.of(other.get(Operator, staff.admin.id)), person,
                                     center=person.center, is_active=False)
        response = _first_answer_within(1, lambda: operator.get("/admin/applications/"), lambda r: r.status_code != 200)
        assert response.status_code == 302 and "/staff/login" in response.location
    finally:
        elsewhere.dispose()


@pytest.mark.postgres  # SQLite announces no changes: there the row is read on every request
def test_while_nothing_changes_the_operator_is_not_read_again(app, staff: Staff, login):
    from sqlalchemy import event

    engine = app.extensions["backoffice.db"].engine
    operator = login(staff.operator_a)
    assert operator.get("/admin/applications/").status_code == 200
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        assert operator.get("/admin/applications/").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert statements and not [s for s in statements if "FROM operator" in s and "application" not in s]
