"""What the [self_registration] keys must look like, checked when the settings are loaded."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from backoffice.settings import SelfRegistrationSettings


def validate(settings: SelfRegistrationSettings) -> None:
    from backoffice.settings import SettingsError

    if settings.confirmation_link_hours < 1:
        raise SettingsError("[self_registration] confirmation_link_hours must be at least 1")
    if settings.jobs_interval_seconds < 1:
        raise SettingsError("[self_registration] jobs_interval_seconds must be at least 1")
    if settings.remove_unconfirmed_after_days * 24 < settings.confirmation_link_hours:
        raise SettingsError(
            "[self_registration] remove_unconfirmed_after_days must not end before a confirmation link does "
            f"({settings.confirmation_link_hours} hours)"
        )
    if settings.reminder_after_hours >= settings.remove_unconfirmed_after_days * 24:
        raise SettingsError(
            "[self_registration] reminder_after_hours must come before the removal "
            "(remove_unconfirmed_after_days)"
        )
