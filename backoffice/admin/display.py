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
from markupsafe import Markup, escape

KYIV = ZoneInfo("Europe/Kyiv")


def short(moment: datetime | None) -> str:
    if moment is None:
        return ""
    m = moment.astimezone(KYIV)
    return f"{m.day:02d}.{m.month:02d}.{m.year} {m.hour:02d}:{m.minute:02d}"  # half of strftime's cost


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
    """One row of the work queue as the page shows it: every text already escaped HTML.

    The list template places these without escaping them again (fifty rows of a dozen cells: escaping each
    cell in the template was the largest part of the page's cost), so nothing may reach a line unescaped; a
    test checks every text field of a line is ``Markup``.
    """

    number: Markup
    received: Markup
    customer: Markup
    identifier: Markup
    offer: Markup
    channel: Markup
    state: Markup  # the state's code, for the badge's colour
    state_label: Markup
    age: Markup
    due: Markup  # empty once the application no longer waits for staff
    overdue: bool
    assignee: Markup
    claimable: bool


_NOTHING = Markup("")


def queue_lines(rows: Iterable[Any], words: Any, now: datetime, waiting: frozenset[Any]) -> list[QueueLine]:
    """The page's rows formatted and escaped in one pass, so the template only places them.

    ``words``: the translated labels, already escaped (``applications._words_in``).
    """
    ages = Ages(now)
    offers, channels, states = words.offers, words.channels, words.states
    lines = []
    for row in rows:
        waits = row.state in waiting
        lines.append(
            QueueLine(
                escape(row.number),
                escape(short(row.received_at)),
                escape(row.consumer_name),
                escape(row.identifier),
                offers[row.commercial_offer] if row.commercial_offer else _NOTHING,
                channels[row.channel],
                escape(row.state),
                states[row.state],
                escape(ages(row.received_at)),
                escape(short(row.due_at)) if waits else _NOTHING,
                row.overdue(now),
                escape(row.assignee),
                waits and not row.assignee,
            )
        )
    return lines
