"""Flow B's timed work: one reminder after a day, and the removal of registrations nobody confirmed.

Same contract as the scheduler's own jobs (``backoffice.scheduler.jobs``): each takes the database, the settings
and the moment it runs for; each registration is handled in its own short transaction with its row locked
``FOR UPDATE SKIP LOCKED`` and its state re-read under the lock, so two schedulers never both act on it. These
jobs are scheduled only where Flow B is switched on (``backoffice.scheduler.runner.specs``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice import batch
from backoffice.actors import Actor
from backoffice.database import Database
from backoffice.selfreg import links, services
from backoffice.selfreg.models import SelfRegistration
from backoffice.settings import Settings
from workflows.self_registration import SelfRegistrationState

log = logging.getLogger(__name__)
SCHEDULER = Actor.system("scheduler")
BATCH = 5000

Work = Callable[[Session, SelfRegistration], bool]


def remind_unconfirmed(db: Database, settings: Settings, now: datetime) -> int:
    """One reminder, with a fresh link, to whoever has not confirmed ``reminder_after_hours`` after registering."""
    cutoff = now - timedelta(hours=settings.self_registration.reminder_after_hours)
    with db.session() as session:
        ids = services.due_for_reminder(session, cutoff, BATCH)

    def work(session: Session, reg: SelfRegistration) -> bool:
        if reg.reminded_at is not None or reg.created_at > cutoff:
            return False
        return services.remind(session, settings, reg, SCHEDULER)

    return sum(_one(db, reg_id, work) for reg_id in ids)


def remove_unconfirmed(db: Database, settings: Settings, now: datetime) -> int:
    """Remove registrations unconfirmed after ``remove_unconfirmed_after_days``: the identifier is free again."""
    cutoff = now - timedelta(days=settings.self_registration.remove_unconfirmed_after_days)
    with db.session() as session:
        ids = services.due_for_removal(session, cutoff, now, BATCH)

    def work(session: Session, reg: SelfRegistration) -> bool:
        if reg.created_at > cutoff:
            return False
        if reg.account_id is not None and session.scalar(select(links.live_link_exists(reg.account_id, now))):  # type: ignore[call-overload]
            return False
        services.fire(session, reg, "expire", SCHEDULER, reason="not confirmed in time", settings=settings)
        return True

    return sum(_one(db, reg_id, work) for reg_id in ids)


def _one(db: Database, reg_id: int, work: Work) -> int:
    """Do ``work`` on one registration still waiting for its confirmation, unless another process has it."""
    query = select(SelfRegistration).where(
        SelfRegistration.id == reg_id, SelfRegistration.state == SelfRegistrationState.PENDING_CONFIRMATION
    )
    return batch.once(db, query, work, what=f"self-registration {reg_id}")
