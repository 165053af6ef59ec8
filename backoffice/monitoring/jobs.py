"""What every scheduler job run leaves behind: one log line, a heartbeat, and its id on the audit rows it writes."""

from __future__ import annotations

import dataclasses
import logging
import time
from datetime import datetime
from typing import Any

from backoffice.database import Database
from backoffice.monitoring import context, heartbeat
from backoffice.settings import Settings

log = logging.getLogger("backoffice.scheduler.runs")


def observed(job_id: str, fn: Any) -> Any:
    """``fn`` (a job: database, settings, moment) timed, logged and reported to the heartbeat table.

    A failure is logged here as the run's line and raised again for the runner to handle as before. The wrapper
    returns nothing: the run's line, with its duration and items, is written here, so the runner has nothing
    left to log about a run that went well.
    """

    def run(db: Database, settings: Settings, now: datetime) -> None:
        started = time.perf_counter()
        with context.bound(context.new_id()) as run_id:
            try:
                result = fn(db, settings, now)
            except Exception:
                _line(job_id, run_id, "failed", started, None)
                heartbeat.beat(db, heartbeat.SCHEDULER, heartbeat.job(job_id), ok=False)
                raise
            _line(job_id, run_id, "ok" if result is not None else "skipped", started, result)
            heartbeat.beat(db, heartbeat.SCHEDULER, heartbeat.job(job_id), ok=True)

    return run


def _line(job_id: str, run_id: str, outcome: str, started: float, result: Any) -> None:
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    items = _items(result)
    log.info(
        "job %s %s in %.1fms: %s",
        job_id,
        outcome,
        duration_ms,
        items,
        extra={"job": job_id, "outcome": outcome, "duration_ms": duration_ms, "items": items, "request_id": run_id},
    )


def _items(result: Any) -> Any:
    """What the job did, as numbers: a count, or a report's fields (``PollSummary``, the sender's ``Report``)."""
    if result is None or isinstance(result, bool | int | float):
        return result
    if hasattr(result, "as_dict"):
        return result.as_dict()
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        return {k: v for k, v in dataclasses.asdict(result).items() if isinstance(v, int | float)}
    return str(result)
