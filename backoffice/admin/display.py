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
    return moment.astimezone(KYIV).strftime("%d.%m.%Y %H:%M") if moment else ""


def age(now: datetime, since: datetime) -> str:
    hours = int((now - since).total_seconds() // 3600)
    if hours < 1:
        return _("< 1 h")
    if hours < 48:
        return _("%(n)d h", n=hours)
    return _("%(n)d d", n=hours // 24)
