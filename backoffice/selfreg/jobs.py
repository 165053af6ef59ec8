"""Flow B's timed work: one reminder after a day, and the removal of registrations nobody confirmed.

Same contract as the scheduler's own jobs (``backoffice.scheduler.jobs``): each takes the database, the settings
and the moment it runs for; registrations are claimed in batches by ``batch.each`` with their rows locked
``FOR UPDATE SKIP LOCKED`` and the due conditions re-checked under the lock, so two schedulers never both act on
one, and each is done in its own savepoint, so one that fails never stops the rest. These
jobs are scheduled only where Flow B is switched on (``backoffice.scheduler.runner.specs``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice import batch
from backoffice.actors import Actor
from backoffice.database import Database
from backoffice.selfreg import links, services
from backoffice.selfreg.models import SelfRegistration
from backoffice.settings import Settings

log = logging.getLogger(__name__)
SCHEDULER = Actor.system("scheduler")


def remind_unconfirmed(db: Database, settings: Settings, now: datetime) -> int:
    """One reminder, with a fresh link, to whoever has not confirmed ``reminder_after_hours`` after registering."""
    cutoff = now - timedelta(hours=settings.self_registration.reminder_after_hours)

    def work(session: Session, reg: SelfRegistration) -> bool:
        if reg.reminded_at is not None or reg.created_at > cutoff:
            return False
        return services.remind(session, settings, reg, SCHEDULER)

    return batch.each(db, services.due_for_reminder(cutoff), work, what="self-registration reminder")


def remove_unconfirmed(db: Database, settings: Settings, now: datetime) -> int:
    """Remove registrations unconfirmed after ``remove_unconfirmed_after_days``: the identifier is free again."""
    cutoff = now - timedelta(days=settings.self_registration.remove_unconfirmed_after_days)

    def work(session: Session, reg: SelfRegistration) -> bool:
        if reg.created_at > cutoff:
            return False
        if reg.account_id is not None and session.scalar(select(links.live_link_exists(reg.account_id, now))):  # type: ignore[call-overload]
            return False
        services.fire(session, reg, "expire", SCHEDULER, reason="not confirmed in time", settings=settings)
        return True

    return batch.each(db, services.due_for_removal(cutoff, now), work, what="self-registration removal")
