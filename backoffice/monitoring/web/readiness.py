"""Readiness: may this web server be sent traffic, and is the rest of the deployment doing its work?

Each check says ``ok`` and why; the server is ready only when all are. The scheduler and intake checks read the
heartbeats those processes write (``backoffice.monitoring.heartbeat``): a web server whose scheduler died is up,
but letters stop leaving and codes stop expiring, which is what an administrator must be told.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from backoffice import migrate
from backoffice.database import Database
from backoffice.intake.models import IncomingMessage, MessageStatus
from backoffice.monitoring import heartbeat
from backoffice.settings import Settings
from backoffice.types import utcnow


@dataclass
class Readiness:
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return all(check["ok"] for check in self.checks.values())

    def add(self, name: str, ok: bool, **details: Any) -> None:
        self.checks[name] = {"ok": ok, **details}

    def as_dict(self) -> dict[str, Any]:
        return {"status": "ready" if self.ready else "not ready", "checks": self.checks}


@lru_cache(maxsize=1)
def migration_heads() -> frozenset[str]:
    """The revisions the code expects (read from the migration files once per process)."""
    config = migrate.alembic_config("sqlite://")
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def check(db: Database, settings: Settings, now: datetime | None = None) -> Readiness:
    now = now or utcnow()
    result = Readiness()
    try:
        with db.read_sessions() as session:
            session.execute(text("SELECT 1"))
            result.add("database", True)
            current = set(MigrationContext.configure(session.connection()).get_current_heads())
            expected = migration_heads()
            result.add("migrations", current == expected, current=sorted(current), expected=sorted(expected))
            beats = heartbeat.read(session)
            oldest_message = session.scalar(
                select(func.min(IncomingMessage.received_at)).where(IncomingMessage.status == MessageStatus.RECEIVED)
            )
    except SQLAlchemyError as exc:
        result.add("database", False, error=exc.__class__.__name__)
        return result

    limit = settings.server.scheduler_stale_seconds
    if limit:
        beat = beats.get(heartbeat.SCHEDULER)
        age = _age(beat.beat_at if beat else None, now)
        result.add("scheduler", age is not None and age <= limit, heartbeat_age_seconds=age, limit_seconds=limit)

    limit = settings.server.intake_stale_seconds
    if limit and settings.flows.accession:
        # The watcher's polls, and the scheduler's where it polls (its job "succeeds" doing nothing otherwise).
        pollers = [heartbeat.INTAKE] + ([heartbeat.job("poll_intake")] if settings.scheduler.intake_enabled else [])
        polls = [b.succeeded_at for name in pollers if (b := beats.get(name)) is not None and b.succeeded_at]
        poll_age = _age(max(polls) if polls else None, now)
        waiting_age = _age(oldest_message, now) or 0.0
        result.add(
            "intake",
            poll_age is not None and poll_age <= limit and waiting_age <= limit,
            last_poll_age_seconds=poll_age,
            oldest_waiting_message_age_seconds=waiting_age,
            limit_seconds=limit,
        )
    return result


def _age(since: datetime | None, now: datetime) -> float | None:
    return None if since is None else round(max(0.0, (now - since).total_seconds()), 1)
