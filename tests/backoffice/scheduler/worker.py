"""The body of one scheduler process in the two-process test (imported by a spawned interpreter)."""

from __future__ import annotations

from datetime import datetime
from multiprocessing.synchronize import Barrier
from typing import Any

from backoffice import batch
from backoffice.database import Database
from backoffice.scheduler import jobs
from backoffice.settings import Settings


def tick(settings: Settings, now: datetime, barrier: Barrier, rounds: int, results: Any, size: int = 0) -> None:
    """Run the jobs ``rounds`` times; with ``size``, in batches that small, so both processes claim at once."""
    if size:
        batch.SIZE = size
    db = Database(settings.database_url)
    done = {"code_reminders": 0, "expire_codes": 0, "retry_calls": 0, "sent": 0}
    try:
        barrier.wait(timeout=60)  # both processes are connected and start together
        for _ in range(rounds):
            done["code_reminders"] += jobs.code_reminders(db, settings, now)
            done["expire_codes"] += jobs.expire_codes(db, settings, now)
            done["retry_calls"] += jobs.retry_calls(db, settings, now)
            done["sent"] += jobs.deliver_letters(db, settings, now).sent
        results.put(done)
    finally:
        db.dispose()
