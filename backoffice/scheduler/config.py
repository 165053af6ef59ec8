"""What the [scheduler] keys must look like, checked when the settings are loaded (not at the first tick)."""

from __future__ import annotations

import re
import zoneinfo
from datetime import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from backoffice.settings import SchedulerSettings

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def parse_time(value: str) -> time:
    match = _HHMM.match(value)
    if match is None:
        raise ValueError(value)
    return time(int(match.group(1)), int(match.group(2)))


def recipients(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def validate(settings: SchedulerSettings) -> None:
    from backoffice.settings import SettingsError

    for key in ("digest_time", "retention_time"):
        try:
            parse_time(getattr(settings, key))
        except ValueError:
            raise SettingsError(f"[scheduler] {key} must be a time as HH:MM, not {getattr(settings, key)!r}") from None
    try:
        zoneinfo.ZoneInfo(settings.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"[scheduler] timezone: unknown time zone {settings.timezone!r}") from None
    for address in recipients(settings.digest_recipients):
        if "@" not in address:
            raise SettingsError(f"[scheduler] digest_recipients: {address!r} is not an email address")
    for key in (
        "deliver_interval_seconds",
        "intake_interval_seconds",
        "codes_interval_seconds",
        "calls_interval_seconds",
    ):
        if getattr(settings, key) < 1:
            raise SettingsError(f"[scheduler] {key} must be at least 1")
