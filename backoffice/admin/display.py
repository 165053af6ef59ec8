"""Cheap formatting for long lists: the queue renders hundreds of dates per page view.

Babel's locale-aware formatting costs a locale and time-zone lookup per call; the queue shows moments in the
numeric form every language of the UI reads the same (day.month.year hours:minutes, Kyiv time).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

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
