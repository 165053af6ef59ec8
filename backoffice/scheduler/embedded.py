"""The scheduler inside ``backoffice run``: the embedded default, so a newcomer sees letters appear.

Started by the run command, never by ``create_app`` (one scheduler per web worker would duplicate its jobs);
switched off with ``[scheduler] run_with_web = false`` where ``backoffice scheduler run`` runs on its own.
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler

from backoffice.database import Database
from backoffice.scheduler.runner import build
from backoffice.settings import Settings


def start_in_process(db: Database, settings: Settings) -> BackgroundScheduler | None:
    if not settings.scheduler.run_with_web:
        return None
    logger = logging.getLogger("backoffice")
    if not logger.handlers:  # show what the jobs do beside the web server's own log lines
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    scheduler = build(BackgroundScheduler, db, settings)
    scheduler.start()
    return scheduler
