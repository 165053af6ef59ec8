"""The APScheduler 3 set-up: which job runs when, under an explicit id.

The job store is in memory, on purpose: a shared job store makes every process run every job (APScheduler's
FAQ). Running "exactly once" across processes is the jobs' own business (row locks, advisory locks, the
outbox's dedup key), so a second scheduler started by mistake does no harm.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from backoffice import selfreg
from backoffice.database import Database
from backoffice.monitoring.jobs import observed
from backoffice.requests import jobs as request_jobs
from backoffice.scheduler import jobs
from backoffice.selfreg import jobs as selfreg_jobs
from backoffice.settings import Settings, parse_time
from backoffice.types import utcnow

log = logging.getLogger(__name__)
SchedulerT = TypeVar("SchedulerT", bound=BaseScheduler)
JobFn = Callable[[Database, Settings, datetime], Any]


@dataclass(frozen=True)
class JobSpec:
    id: str
    fn: JobFn
    trigger: BaseTrigger
    description: str
    #: Run once as soon as the scheduler starts (letters should not wait a whole interval).
    at_start: bool = False


def specs(settings: Settings) -> list[JobSpec]:
    config = settings.scheduler
    zone = ZoneInfo(config.timezone)

    def every(seconds: int) -> IntervalTrigger:
        return IntervalTrigger(seconds=seconds, timezone=zone)

    def daily(hhmm: str) -> CronTrigger:
        at = parse_time(hhmm)
        return CronTrigger(hour=at.hour, minute=at.minute, timezone=zone)

    result = [
        JobSpec(
            "deliver_letters",
            jobs.deliver_letters,
            every(config.deliver_interval_seconds),
            "deliver due letters",
            at_start=True,
        ),
        JobSpec("code_reminders", jobs.code_reminders, every(config.codes_interval_seconds), "remind about codes"),
        JobSpec("expire_codes", jobs.expire_codes, every(config.codes_interval_seconds), "expire codes"),
        JobSpec("retry_calls", jobs.retry_calls, every(config.calls_interval_seconds), "due call retries"),
        JobSpec("supervisor_digest", jobs.supervisor_digest, daily(config.digest_time), "supervisors' digest"),
        JobSpec("retention", jobs.retention, daily(config.retention_time), "remove old personal data"),
    ]
    if config.intake_enabled:
        result.insert(
            1, JobSpec("poll_intake", jobs.poll_intake, every(config.intake_interval_seconds), "poll the intake")
        )
    if settings.cabinet.any_sections:  # customers' requests: none where no cabinet takes them
        seconds = config.codes_interval_seconds
        result += [
            JobSpec("request_deadlines", request_jobs.remind_deadlines, every(seconds), "remind of request deadlines"),
            JobSpec("request_expiry", request_jobs.close_waiting, every(seconds), "close requests left unanswered"),
        ]
    if selfreg.enabled(settings):  # Flow B's jobs: none where Flow B is switched off
        seconds = settings.self_registration.jobs_interval_seconds
        result += [
            JobSpec("selfreg_reminders", selfreg_jobs.remind_unconfirmed, every(seconds), "remind the unconfirmed"),
            JobSpec("selfreg_removals", selfreg_jobs.remove_unconfirmed, every(seconds), "remove the unconfirmed"),
        ]
    return result


def guarded(job_id: str, fn: JobFn, db: Database, settings: Settings) -> Callable[[], None]:
    """A job that fails is logged and runs again at its next tick; it never stops the others."""

    def run() -> None:
        try:
            result = fn(db, settings, utcnow())
        except Exception:
            log.exception("job %s failed; it runs again at its next tick", job_id)
            return
        if result:
            log.info("job %s: %s", job_id, result)

    return run


def build(scheduler_class: type[SchedulerT], db: Database, settings: Settings) -> SchedulerT:
    zone = ZoneInfo(settings.scheduler.timezone)
    scheduler = scheduler_class(
        timezone=zone,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
    )
    for spec in specs(settings):
        scheduler.add_job(
            guarded(spec.id, observed(spec.id, spec.fn), db, settings),
            trigger=spec.trigger,
            id=spec.id,
            name=spec.description,
            replace_existing=True,
            **({"next_run_time": datetime.now(zone)} if spec.at_start else {}),
        )
    return scheduler


def run_once(job_id: str, db: Database, settings: Settings, now: datetime | None = None) -> Any:
    """Run one job now, in this process (``backoffice scheduler tick``)."""
    for spec in specs(settings):
        if spec.id == job_id:
            return spec.fn(db, settings, now or utcnow())
    raise KeyError(job_id)
