"""Adding meters, submitting readings and asking for a meter's visits: the only code that changes them.

A reading counts at once when it follows the zone's last one plausibly. One below the last is refused, unless the
customer declares the meter rolled over or was replaced; one whose consumption is more than ``[cabinet]
implausible_jump_factor`` times the average of the previous periods needs the customer's confirmation. Either
way it then waits for staff's check: a ``READING_CHECK`` request written through ``requests.services.submit``, so
it is on the staff's one queue, and staff's ``accept_reading`` or ``reject`` makes it counted or refused in the
same transaction (the effects below). Readings are taken only within the monthly window of ``[cabinet]``.

A customer reaches only their own meters: the pages load a meter through the account (:func:`own`).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice import statechange
from backoffice.actors import Actor
from backoffice.audit.models import AuditEvent
from backoffice.audit.trail import record
from backoffice.customers.models import CustomerAccount
from backoffice.meters.models import Meter, MeterReading, MeterType, ReadingNote, ReadingStatus
from backoffice.requests import services as requests
from backoffice.requests.models import CustomerRequest, RequestKind
from backoffice.settings import CabinetSettings, Settings
from backoffice.types import utcnow
from backoffice.validation.problems import Invalid, Problem
from backoffice.validation.text import one_line
from workflows.i18n import N_
from workflows.meter_request import METER_REQUEST
from workflows.reading_check import READING_CHECK

SUBJECT = "meter"
MAX_SERIAL = 40
MAX_PLACE = 200
ZONES = (1, 2, 3)
MIN_DIGITS, MAX_DIGITS = 4, 9
SERIAL = re.compile(r"[0-9A-Za-zА-Яа-яЁёІіЇїЄєҐґ][0-9A-Za-zА-Яа-яЁёІіЇїЄєҐґ/ .-]*")
#: What a customer may ask about one meter.
METER_REQUESTS = (RequestKind.METER_READING_ON_SITE, RequestKind.METER_ADMISSION, RequestKind.METER_REPLACEMENT)


def _int(raw: Any) -> int | None:
    try:
        return int(str(raw).strip())
    except (TypeError, ValueError):
        return None


def add_meter(
    session: Session,
    account: CustomerAccount,
    *,
    type: str,
    serial: str,
    place: str,
    zones: Any,
    digits: Any,
    verified_on: Any,
    today: date | None = None,
) -> Meter:
    """«Добавить ПУ»: every problem of the form at once (:class:`Invalid`), else the meter and its audit row."""
    today = today or utcnow().date()
    problems: list[Problem] = []
    if type not in set(MeterType):
        problems.append(Problem("type", "required", N_("Choose the meter's type")))
    serial, found = one_line(serial, "serial", N_("Write the meter's serial number"), MAX_SERIAL)
    if found:
        problems += found
    elif not SERIAL.fullmatch(serial):
        problems.append(Problem("serial", "format", N_("A serial number has letters, digits, hyphens and slashes")))
    elif session.scalar(
        select(Meter.id).where(Meter.account_id == account.id, Meter.serial == serial, Meter.active.is_(True))
    ):
        msg = N_("You have already added the meter %(serial)s")
        problems.append(Problem("serial", "taken", msg, {"serial": serial}))
    place, found = one_line(place, "place", N_("Write where the meter is"), MAX_PLACE)
    problems += found
    zone_count = _int(zones)
    if zone_count not in ZONES:
        problems.append(Problem("zones", "choice", N_("A meter has 1, 2 or 3 tariff zones")))
    digit_count = _int(digits)
    if digit_count is None or not MIN_DIGITS <= digit_count <= MAX_DIGITS:
        msg = N_("The digit capacity is a number from %(min)d to %(max)d")
        problems.append(Problem("digits", "range", msg, {"min": MIN_DIGITS, "max": MAX_DIGITS}))
    verified = _date(verified_on)
    if verified is None:
        problems.append(Problem("verified_on", "required", N_("Write the date of the last verification")))
    elif verified > today:
        problems.append(Problem("verified_on", "future", N_("The verification date cannot be in the future")))
    if problems:
        raise Invalid(problems)
    assert zone_count is not None and digit_count is not None and verified is not None
    meter = Meter(
        account_id=account.id,
        type=MeterType(type),
        serial=serial,
        place=place,
        zones=zone_count,
        digits=digit_count,
        verified_on=verified,
        active=True,
    )
    session.add(meter)
    session.flush()
    changes = {
        "type": meter.type.value,
        "serial": serial,
        "place": place,
        "zones": zone_count,
        "digits": digit_count,
        "verified_on": verified.isoformat(),
    }
    record(session, Actor.customer(account.login), SUBJECT, meter.id, "add", changes=changes)
    session.flush()
    return meter


def _date(raw: Any) -> date | None:
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw or "").strip())
    except ValueError:
        return None


# -- the window ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """The days of this month readings are taken on, and whether today is one of them."""

    opens_on: date
    closes_on: date
    today: date

    @property
    def is_open(self) -> bool:
        return self.opens_on <= self.today <= self.closes_on

    @property
    def next_opening(self) -> date:
        """The day the window opens next (this month's, or next month's once this one has closed)."""
        if self.today < self.opens_on:
            return self.opens_on
        year, month = (self.today.year + 1, 1) if self.today.month == 12 else (self.today.year, self.today.month + 1)
        return _day_of(year, month, self.opens_on.day)


def _day_of(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def window(cabinet: CabinetSettings, today: date) -> Window:
    return Window(
        _day_of(today.year, today.month, cabinet.readings_from_day),
        _day_of(today.year, today.month, cabinet.readings_to_day),
        today,
    )


# -- readings ------------------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What :func:`submit_readings` did: the readings written, or the zones whose jump the customer must confirm
    (nothing written then)."""

    readings: list[MeterReading] = field(default_factory=list)
    to_confirm: list[int] = field(default_factory=list)

    @property
    def awaiting_check(self) -> list[MeterReading]:
        return [r for r in self.readings if r.status == ReadingStatus.AWAITING_CHECK]


def last_reading(meter: Meter, zone: int) -> MeterReading | None:
    """The zone's latest reading that counts or may count (a refused one is as if never sent)."""
    kept = [r for r in meter.readings if r.zone == zone and r.status != ReadingStatus.REFUSED]
    return kept[-1] if kept else None


def consumptions(meter: Meter, zone: int) -> list[tuple[date, Decimal]]:
    """Each counted period's consumption of the zone: the difference of two consecutive counted readings (a
    rollover or a replacement starts afresh, so it adds no period)."""
    counted = [r for r in meter.readings if r.zone == zone and r.status == ReadingStatus.COUNTED]
    out = []
    for before, after in pairwise(counted):
        if after.note is None and after.value >= before.value:
            out.append((after.taken_on, after.value - before.value))
    return out


def _value(raw: Any, meter: Meter, name: str) -> tuple[Decimal | None, list[Problem]]:
    text = str(raw or "").strip().replace(",", ".").replace(" ", "")
    if not text:
        return None, [Problem(name, "required", N_("Write the reading"))]
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None, [Problem(name, "number", N_("A reading is a number, such as 12345.6"))]
    if not value.is_finite() or value < 0:
        return None, [Problem(name, "number", N_("A reading is a number, such as 12345.6"))]
    if value.as_tuple().exponent < -3:  # type: ignore[operator]
        return None, [Problem(name, "precision", N_("At most 3 digits after the decimal point"))]
    if value >= 10**meter.digits:
        msg = N_("This meter shows at most %(digits)d digits before the decimal point")
        return None, [Problem(name, "digits", msg, {"digits": meter.digits})]
    return value, []


def submit_readings(
    session: Session,
    settings: Settings,
    meter: Meter,
    values: Mapping[int, Any],
    *,
    note: ReadingNote | None = None,
    confirmed: bool = False,
    today: date | None = None,
) -> Outcome:
    """The customer's readings of ``meter``, one per tariff zone (``values``: zone → what was typed).

    Refuses (:class:`Invalid`, every problem at once) outside the window, a missing or malformed value, and a
    value below the last unless ``note`` says why. A jump beyond the plausible, unless ``confirmed``, writes
    nothing and names the zones to confirm."""
    today = today or utcnow().date()
    win = window(settings.cabinet, today)
    if not win.is_open:
        msg = N_(
            "Readings are taken from the %(from_day)d to the %(to_day)d day of each month. "
            "The next window opens on %(opens)s."
        )
        params = {
            "from_day": settings.cabinet.readings_from_day,
            "to_day": settings.cabinet.readings_to_day,
            "opens": win.next_opening.isoformat(),
        }
        raise Invalid([Problem("form", "window", msg, params)])
    if not meter.active:
        raise Invalid([Problem("form", "inactive", N_("This meter has been replaced; submit the new one's readings"))])
    problems: list[Problem] = []
    parsed: dict[int, tuple[Decimal, MeterReading | None, str]] = {}
    for zone in range(1, meter.zones + 1):
        name = f"zone_{zone}"
        value, found = _value(values.get(zone), meter, name)
        problems += found
        if value is None:
            continue
        last = last_reading(meter, zone)
        reason = ""
        if last is not None and value < last.value:
            if note is None:
                msg = N_(
                    "%(value)s is below the last reading, %(last)s. Check it, or tick that the meter rolled over "
                    "or was replaced."
                )
                problems.append(Problem(name, "lower", msg, {"value": str(value), "last": str(last.value)}))
                continue
            reason = note.value
        elif last is not None and _implausible(meter, zone, value - last.value, settings.cabinet):
            reason = "jump"
        parsed[zone] = (value, last, reason)
    if problems:
        raise Invalid(problems)
    to_confirm = [zone for zone, (_v, _l, reason) in parsed.items() if reason == "jump"]
    if to_confirm and not confirmed:
        return Outcome(to_confirm=to_confirm)
    account = meter.account
    actor = Actor.customer(account.login)
    outcome = Outcome()
    for zone, (value, last, reason) in parsed.items():
        reading = MeterReading(
            meter=meter,
            zone=zone,
            value=value,
            taken_on=today,
            submitted_at=utcnow(),
            status=ReadingStatus.AWAITING_CHECK if reason else ReadingStatus.COUNTED,
            note=ReadingNote(reason) if reason in set(ReadingNote) else None,
        )
        session.add(reading)
        session.flush()
        if reason:
            details = {
                "meter": meter.serial,
                "zone": zone,
                "value": str(value),
                "previous": str(last.value) if last is not None else "",
                "reading_reason": reason,
            }
            check = requests.submit(
                session,
                settings,
                account,
                kind=RequestKind.READING_CHECK.value,
                subject=f"{meter.serial} T{zone}: {value}",
                text="",
                details=details,
                text_required=False,
            )
            reading.request_id = check.id
        changes: dict[str, Any] = {"zone": zone, "value": str(value), "status": reading.status.value}
        if reading.note is not None:
            changes["note"] = reading.note.value
        record(session, actor, SUBJECT, meter.id, "reading", changes=changes)
        outcome.readings.append(reading)
    session.flush()
    return outcome


def _implausible(meter: Meter, zone: int, consumption: Decimal, cabinet: CabinetSettings) -> bool:
    previous = [c for _d, c in consumptions(meter, zone)]
    if not previous:
        return False
    average = sum(previous, Decimal(0)) / len(previous)
    return average > 0 and consumption > average * Decimal(str(cabinet.implausible_jump_factor))


# -- staff's check -------------------------------------------------------------------------------------------------


def _checked(status: ReadingStatus, action: str) -> statechange.Effect:
    def effect(session: Session, req: CustomerRequest, actor: Actor, event: AuditEvent, ctx: Mapping[str, Any]) -> None:
        readings = session.scalars(select(MeterReading).where(MeterReading.request_id == req.id)).all()
        for reading in readings:
            if reading.status != ReadingStatus.AWAITING_CHECK:
                continue
            before = reading.status.value
            reading.status = status
            changes = {"zone": reading.zone, "value": str(reading.value), "status": [before, status.value]}
            record(session, actor, SUBJECT, reading.meter_id, action, changes=changes)
        session.flush()

    return effect


statechange.on(READING_CHECK, "accept_reading")(_checked(ReadingStatus.COUNTED, "reading_counted"))
statechange.on(READING_CHECK, "reject")(_checked(ReadingStatus.REFUSED, "reading_refused"))


@statechange.on(METER_REQUEST, "report_done")
def _replaced(session: Session, req: CustomerRequest, actor: Actor, event: AuditEvent, ctx: Mapping[str, Any]) -> None:
    """Staff report a replacement done: the old meter takes no more readings, in the same transaction, and the
    customer adds the new one («Добавить ПУ»), as the answer tells them. Other meter requests change no meter."""
    if req.kind != RequestKind.METER_REPLACEMENT:
        return
    old = session.scalars(
        select(Meter).where(Meter.account_id == req.account_id, Meter.serial == req.details.get("meter"))
    ).first()
    if old is None or not old.active:
        return
    old.active = False
    record(session, actor, SUBJECT, old.id, "replaced", changes={"active": [True, False], "request": req.number})
    session.flush()


# -- a meter's requests --------------------------------------------------------------------------------------------


def ask(session: Session, settings: Settings, meter: Meter, kind: RequestKind, text: str = "") -> CustomerRequest:
    """Readings on site, admission into service or replacement of ``meter``: a request on the staff's queue."""
    if kind not in METER_REQUESTS:
        raise Invalid([Problem("kind", "choice", N_("Choose what you ask for"))])
    return requests.submit(
        session,
        settings,
        meter.account,
        kind=kind.value,
        subject=meter.serial,
        text=text,
        details={"meter": meter.serial},
        text_required=False,
    )


# -- reading -------------------------------------------------------------------------------------------------------


def of_account(session: Session, account: CustomerAccount) -> list[Meter]:
    return list(session.scalars(select(Meter).where(Meter.account_id == account.id).order_by(Meter.id)))


def count(session: Session, account: CustomerAccount) -> int:
    return len(of_account(session, account))


def own(session: Session, account_id: int, meter_id: int) -> Meter | None:
    """The meter if it is this account's; None otherwise, so another customer's meter does not exist."""
    meter = session.get(Meter, meter_id)
    return meter if meter is not None and meter.account_id == account_id else None


def requests_of(session: Session, meter: Meter) -> list[CustomerRequest]:
    """The customer's requests about this meter (its visits and its readings' checks), newest first."""
    kinds = (*METER_REQUESTS, RequestKind.READING_CHECK)
    rows = requests.of_account(session, meter.account, kinds)
    return [r for r in rows if (r.details or {}).get("meter") == meter.serial]


def periods(meter: Meter) -> list[tuple[date, Decimal]]:
    """The meter's consumption per counted period, all zones added, oldest first (the chart's bars)."""
    total: dict[date, Decimal] = {}
    for zone in range(1, meter.zones + 1):
        for day, used in consumptions(meter, zone):
            total[day] = total.get(day, Decimal(0)) + used
    return sorted(total.items())


def zones_of(meter: Meter) -> Sequence[int]:
    return tuple(range(1, meter.zones + 1))
