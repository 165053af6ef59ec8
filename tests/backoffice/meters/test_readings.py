"""Meters and readings (issue 19, item 2): adding a meter, the window, a lower reading refused unless it rolled
over or was replaced, an implausible jump confirmed, and staff's check making a reading count or not."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.actors import Actor
from backoffice.audit.models import AuditEvent
from backoffice.customers.models import CustomerAccount
from backoffice.meters import services
from backoffice.meters.models import Meter, ReadingNote, ReadingStatus
from backoffice.requests import services as requests
from backoffice.requests.models import CustomerRequest, RequestKind
from backoffice.settings import Settings, SettingsError
from backoffice.validation.problems import Invalid
from workflows.request_states import RequestState
from workflows.roles import Role

IN = date(2026, 3, 25)  # within the default window, 20th to month end
SUPERVISOR = Actor(Role.SUPERVISOR, "super")


@pytest.fixture
def account(session: Session) -> CustomerAccount:
    account = CustomerAccount(login="12345678901", password_hash="x", email="ivanov@example.com", language="ru")
    session.add(account)
    session.flush()
    return account


@pytest.fixture
def meter(session: Session, account: CustomerAccount) -> Meter:
    return services.add_meter(
        session,
        account,
        type="single_phase",
        serial="0123456",
        place="Квартира",
        zones="2",
        digits="6",
        verified_on="2024-01-15",
        today=IN,
    )


def _submit(session: Session, settings: Settings, meter: Meter, *values: str, day: date = IN, **kw: object):
    return services.submit_readings(session, settings, meter, dict(enumerate(values, start=1)), today=day, **kw)


def test_adding_a_meter_lists_every_problem_at_once(session: Session, account: CustomerAccount) -> None:
    with pytest.raises(Invalid) as caught:
        services.add_meter(
            session, account, type="", serial="", place="", zones="5", digits="x", verified_on="2099-01-01", today=IN
        )
    fields = {p.field for p in caught.value.problems}
    assert fields == {"type", "serial", "place", "zones", "digits", "verified_on"}


def test_a_meter_is_added_with_its_audit_row(session: Session, meter: Meter) -> None:
    assert meter.zones == 2 and meter.active
    event = session.scalars(select(AuditEvent).where(AuditEvent.subject_type == "meter")).one()
    assert event.action == "add" and event.changes["serial"] == "0123456"
    with pytest.raises(Invalid) as caught:
        services.add_meter(
            session,
            meter.account,
            type="three_phase",
            serial="0123456",
            place="Дача",
            zones=1,
            digits=6,
            verified_on="2024-01-15",
            today=IN,
        )
    assert [p.code for p in caught.value.problems] == ["taken"]


def test_readings_outside_the_window_say_when_it_opens(session: Session, settings: Settings, meter: Meter) -> None:
    with pytest.raises(Invalid) as caught:
        _submit(session, settings, meter, "100", "50", day=date(2026, 3, 5))
    problem = caught.value.problems[0]
    assert problem.code == "window" and problem.params["opens"] == "2026-03-20"
    assert "2026-03-20" in problem.text()
    assert services.window(settings.cabinet, date(2026, 2, 28)).is_open  # 31: up to the month's end


def test_a_lower_reading_is_refused_unless_the_meter_rolled_over(
    session: Session, settings: Settings, meter: Meter
) -> None:
    first = _submit(session, settings, meter, "1000", "500")
    assert [r.status for r in first.readings] == [ReadingStatus.COUNTED, ReadingStatus.COUNTED]
    with pytest.raises(Invalid) as caught:
        _submit(session, settings, meter, "900", "510", day=date(2026, 4, 21))
    assert [(p.field, p.code) for p in caught.value.problems] == [("zone_1", "lower")]
    assert len(meter.readings) == 2  # nothing written

    rolled = _submit(session, settings, meter, "12", "510", day=date(2026, 4, 21), note=ReadingNote.ROLLOVER)
    low, other = rolled.readings
    assert low.status == ReadingStatus.AWAITING_CHECK and low.note == ReadingNote.ROLLOVER
    assert other.status == ReadingStatus.COUNTED and other.request_id is None
    check = session.get(CustomerRequest, low.request_id)
    assert check is not None and check.kind == RequestKind.READING_CHECK
    assert check.details == {
        "meter": "0123456",
        "zone": 1,
        "value": "12",
        "previous": "1000",
        "reading_reason": "rollover",
    }


def test_an_implausible_jump_asks_to_confirm_then_waits_for_the_check(
    session: Session, settings: Settings, meter: Meter
) -> None:
    _submit(session, settings, meter, "1000", "500", day=date(2026, 1, 25))
    _submit(session, settings, meter, "1100", "550", day=date(2026, 2, 25))
    _submit(session, settings, meter, "1200", "600", day=date(2026, 3, 25))
    asked = _submit(session, settings, meter, "1900", "650", day=date(2026, 4, 25))  # 700 > 3 × 100
    assert asked.to_confirm == [1] and not asked.readings
    assert len(meter.readings) == 6
    confirmed = _submit(session, settings, meter, "1900", "650", day=date(2026, 4, 25), confirmed=True)
    assert [r.status for r in confirmed.readings] == [ReadingStatus.AWAITING_CHECK, ReadingStatus.COUNTED]
    assert services.periods(meter)[-2:] == [(date(2026, 3, 25), Decimal(150)), (date(2026, 4, 25), Decimal(50))]


@pytest.mark.parametrize(("trigger", "status"), [("accept_reading", "counted"), ("reject", "refused")])
def test_staff_check_makes_the_reading_count_or_not(
    session: Session, settings: Settings, meter: Meter, trigger: str, status: str
) -> None:
    _submit(session, settings, meter, "1000", "500")
    reading = _submit(session, settings, meter, "5", "500", note=ReadingNote.REPLACEMENT).awaiting_check[0]
    check = session.get(CustomerRequest, reading.request_id)
    assert check is not None
    requests.act(session, settings, check, "take", SUPERVISOR)
    requests.act(session, settings, check, trigger, SUPERVISOR, text="Проверено по фото.")
    session.flush()
    assert reading.status == ReadingStatus(status)
    assert check.state == (RequestState.CLOSED if trigger == "accept_reading" else RequestState.REJECTED)
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.subject_type == "meter")).all()
    assert actions[-1] == ("reading_counted" if status == "counted" else "reading_refused")


def test_a_meters_requests_go_to_the_queue(session: Session, settings: Settings, meter: Meter) -> None:
    req = services.ask(session, settings, meter, RequestKind.METER_REPLACEMENT)
    assert req.number.startswith("MZ-") and req.details == {"meter": "0123456"}
    assert services.requests_of(session, meter) == [req]
    with pytest.raises(Invalid):
        services.ask(session, settings, meter, RequestKind.APPEAL)


def test_the_settings_check_the_window_and_the_factor(settings: Settings) -> None:
    with pytest.raises(SettingsError):
        settings.replace(cabinet={"readings_from_day": 25, "readings_to_day": 10})
    with pytest.raises(SettingsError):
        settings.replace(cabinet={"implausible_jump_factor": 0.5})


def test_a_replacement_reported_done_retires_the_old_meter(
    session: Session, settings: Settings, meter: Meter
) -> None:
    other = services.ask(session, settings, meter, RequestKind.METER_READING_ON_SITE)
    requests.act(session, settings, other, "report_done", SUPERVISOR, text="Readings taken: 1234")
    assert meter.active  # readings taken on site change no meter

    req = services.ask(session, settings, meter, RequestKind.METER_REPLACEMENT, "The meter is broken")
    requests.act(session, settings, req, "report_done", SUPERVISOR, text="Replaced on 25 March; add the new one")
    session.expire_all()
    assert not session.get(Meter, meter.id).active
    with pytest.raises(Invalid, match="replaced"):
        _submit(session, settings, session.get(Meter, meter.id), "100", "50")
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "replaced")).one()
    assert (event.subject_type, event.subject_id, event.changes["request"]) == ("meter", meter.id, req.number)
