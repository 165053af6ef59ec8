"""What a connection application (issue 19, item 3) must say, per utility, and a request for e-copies of documents
(item 5): each form's fields checked at once, into the request's ``details`` and the problems to list.

The forms carry what was typed (``requests.web.forms``); these rules read it, so a page and a test see the same
words. Every problem names its field, so the customer reads all of them beside their fields on one submit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from backoffice.requests.models import RequestKind
from backoffice.validation.problems import Problem
from workflows.i18n import N_

MAX_NAME = 200
MAX_ADDRESS = 300
MAX_PERIOD = 100
VOLTAGES = ("0.4 kV", "6 kV", "10 kV", "35 kV", "110 kV")
RELIABILITY = ("I", "II", "III")
#: A Ukrainian land plot's cadastral number: KOATUU (10 digits), zone, quarter, plot.
CADASTRAL = re.compile(r"^\d{10}:\d{2}:\d{3}:\d{4}$")
#: The utilities with a form of their own, as the page's path names them.
UTILITIES = {
    "electricity": RequestKind.CONNECTION_ELECTRICITY,
    "water": RequestKind.CONNECTION_WATER,
    "heat": RequestKind.CONNECTION_HEAT,
}

Form = Mapping[str, Any]


@dataclass
class _Reading:
    """Collects the details and the problems of one form."""

    data: Form
    details: dict[str, Any]
    problems: list[Problem]

    def raw(self, name: str) -> str:
        return " ".join(str(self.data.get(name) or "").split())

    def text(self, name: str, required: str, limit: int) -> str:
        value = self.raw(name)
        if not value:
            self.problems.append(Problem(name, "required", required))
        elif len(value) > limit:
            self.problems.append(Problem(name, "long", N_("At most %(max)d characters"), {"max": limit}))
        else:
            self.details[name] = value
        return value

    def number(self, name: str, *, positive: bool) -> Decimal | None:
        value = self.raw(name).replace(",", ".")
        if not value:
            self.problems.append(Problem(name, "required", N_("Write a number")))
            return None
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite() or abs(number) >= 10**9:
            self.problems.append(Problem(name, "number", N_("Write a number, such as 15 or 0.5")))
            return None
        if positive and number <= 0:
            self.problems.append(Problem(name, "positive", N_("Must be more than zero")))
            return None
        if number < 0:
            self.problems.append(Problem(name, "negative", N_("Must not be below zero")))
            return None
        self.details[name] = format(number.normalize(), "f")
        return number

    def choice(self, name: str, choices: Sequence[str], required: str) -> None:
        value = self.raw(name)
        if value not in choices:
            self.problems.append(Problem(name, "choice", required))
        else:
            self.details[name] = value

    def planned_date(self, name: str, today: date) -> None:
        value = self.raw(name)
        try:
            planned = date.fromisoformat(value)
        except ValueError:
            msg = N_("Write the date as YYYY-MM-DD") if value else N_("Write the planned date")
            self.problems.append(Problem(name, "date", msg))
            return
        if planned < today:
            self.problems.append(Problem(name, "past", N_("The planned date must not be in the past")))
            return
        self.details[name] = planned.isoformat()


def _common(reading: _Reading) -> str:
    name = reading.text("object_name", N_("Write the name of the object"), MAX_NAME)
    reading.text("address", N_("Write the address"), MAX_ADDRESS)
    return name


def electricity(data: Form, today: date) -> tuple[str, dict[str, Any], list[Problem]]:
    """The electric network: the power-receiving installation, its powers, voltage, reliability, planned date."""
    r = _Reading(data, {}, [])
    name = r.text("installation_name", N_("Write the name of the power-receiving installation"), MAX_NAME)
    r.text("address", N_("Write the address"), MAX_ADDRESS)
    r.number("max_power_kw", positive=True)
    r.number("connected_power_kw", positive=False)
    r.choice("voltage", VOLTAGES, N_("Choose the voltage level"))
    r.choice("reliability", RELIABILITY, N_("Choose the reliability category"))
    r.planned_date("planned_date", today)
    return name, r.details, r.problems


def water(data: Form, today: date) -> tuple[str, dict[str, Any], list[Problem]]:
    """Water supply and wastewater: the object, its land plot's cadastral number, the loads in m³/day."""
    r = _Reading(data, {}, [])
    name = _common(r)
    cadastral = r.raw("cadastral_number")
    if not cadastral:
        r.problems.append(Problem("cadastral_number", "required", N_("Write the cadastral number of the land plot")))
    elif not CADASTRAL.match(cadastral):
        msg = N_("A cadastral number looks like 1234567890:01:002:0003")
        r.problems.append(Problem("cadastral_number", "format", msg))
    else:
        r.details["cadastral_number"] = cadastral
    r.number("water_load", positive=True)
    r.number("wastewater_load", positive=True)
    return name, r.details, r.problems


HEAT_LOADS = ("heating_load", "ventilation_load", "hot_water_load")


def heat(data: Form, today: date) -> tuple[str, dict[str, Any], list[Problem]]:
    """Heat supply: the object, its heat loads in Gcal/h (at least one of them), the planned date."""
    r = _Reading(data, {}, [])
    name = _common(r)
    loads = [r.number(key, positive=False) for key in HEAT_LOADS]
    if all(load is not None for load in loads) and not any(loads):
        r.problems.append(Problem("heating_load", "none", N_("At least one of the heat loads must be more than zero")))
    r.planned_date("planned_date", today)
    return name, r.details, r.problems


RULES: dict[RequestKind, Callable[[Form, date], tuple[str, dict[str, Any], list[Problem]]]] = {
    RequestKind.CONNECTION_ELECTRICITY: electricity,
    RequestKind.CONNECTION_WATER: water,
    RequestKind.CONNECTION_HEAT: heat,
}


def document_copies(types: Sequence[str], period: str, offered: Sequence[str]) -> tuple[dict[str, Any], list[Problem]]:
    """Which documents the customer wants copies of (some of the deployment's ``document_types``), and for when."""
    chosen = [t for t in offered if t in set(types)]
    problems: list[Problem] = []
    details: dict[str, Any] = {}
    if not chosen or len(set(types)) != len(chosen):
        problems.append(Problem("document_types", "required", N_("Choose the documents")))
    else:
        details["document_types"] = chosen
    period = " ".join((period or "").split())
    if len(period) > MAX_PERIOD:
        problems.append(Problem("period", "long", N_("At most %(max)d characters"), {"max": MAX_PERIOD}))
    elif period:
        details["period"] = period
    return details, problems
