"""Cheap formatting for long lists: the queue renders hundreds of dates per page view.

Babel's locale-aware formatting costs a locale and time-zone lookup per call; the queue shows moments in the
numeric form every language of the UI reads the same (day.month.year hours:minutes, Kyiv time).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

KYIV = ZoneInfo("Europe/Kyiv")


def short(moment: datetime | None) -> str:
    return moment.astimezone(KYIV).strftime("%d.%m.%Y %H:%M") if moment else ""


class Ages:
    """How long ago, in hours under two days and in days after; the words translated once per page."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.under_an_hour = _("< 1 h")
        self.hours = _("%(n)d h")
        self.days = _("%(n)d d")

    def __call__(self, since: datetime) -> str:
        hours = int((self.now - since).total_seconds() // 3600)
        if hours < 1:
            return self.under_an_hour
        if hours < 48:
            return self.hours % {"n": hours}
        return self.days % {"n": hours // 24}


class QueueLine(NamedTuple):
    """One row of the work queue as the page shows it: every value already a display string."""

    number: str
    received: str
    customer: str
    identifier: str
    offer: str
    channel: str
    state: str  # the state's code, for the badge's colour
    state_label: str
    age: str
    due: str  # empty once the application no longer waits for staff
    overdue: bool
    assignee: str
    claimable: bool


def queue_lines(rows: Iterable[Any], words: Any, now: datetime, waiting: frozenset[Any]) -> list[QueueLine]:
    """The page's rows formatted in one pass, so the template only places them (fifty rows, a dozen cells
    each: a function call per cell from the template costs more than the formatting itself)."""
    ages = Ages(now)
    lines = []
    for row in rows:
        waits = row.state in waiting
        lines.append(
            QueueLine(
                row.number,
                short(row.received_at),
                row.consumer_name,
                row.identifier,
                words.offers[row.commercial_offer] if row.commercial_offer else "",
                words.channels[row.channel],
                row.state.value,
                words.states[row.state],
                ages(row.received_at),
                short(row.due_at) if waits else "",
                row.overdue,
                row.assignee,
                waits and not row.assignee,
            )
        )
    return lines
