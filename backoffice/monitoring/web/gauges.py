"""What the database says at the moment of a scrape, and the whole /metrics page.

Kept apart from ``backoffice.monitoring.metrics`` (the counters every layer adds to): these gauges read the
applications, letters, messages and heartbeats, so they belong with the pages, above the domain they observe.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import REGISTRY, Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from backoffice.applications.models import Application
from backoffice.database import Database
from backoffice.intake.models import IncomingMessage, MessageStatus
from backoffice.letters.models import OutboxMessage, OutboxStatus
from backoffice.monitoring import heartbeat
from backoffice.monitoring.metrics import multiprocess_dir
from backoffice.monitoring.models import Heartbeat
from backoffice.staff.models import ServiceCenter
from backoffice.types import utcnow
from workflows.accession import WAITING_FOR_STAFF


def exposition(db: Database, now: datetime | None = None) -> bytes:
    """The whole /metrics page: this server's counters (added up over every worker) and the database gauges."""
    if multiprocess_dir():
        workers = CollectorRegistry()
        MultiProcessCollector(workers)
    else:
        workers = REGISTRY  # one process (``backoffice run``, tests): its own values, and the process metrics
    database = CollectorRegistry()
    database.register(DatabaseCollector(db, now))
    return generate_latest(workers) + generate_latest(database)


class DatabaseCollector(Collector):
    """Gauges read from the database at scrape time, with read-only statements on a session without a transaction.

    A database that cannot be reached gives ``backoffice_database_up 0`` and no other gauge, rather than a
    failed scrape: the alert then says what is wrong.
    """

    def __init__(self, db: Database, now: datetime | None = None) -> None:
        self.db = db
        self.now = now

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("backoffice_database_up", "1 when the database answered this scrape's queries.")
        try:
            gauges = list(self._gauges(self.now or utcnow()))
        except SQLAlchemyError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from gauges

    def _gauges(self, now: datetime) -> Iterator[Metric]:
        with self.db.read_sessions() as session:
            centers: dict[int | None, str] = dict(session.execute(select(ServiceCenter.id, ServiceCenter.code)).all())

            applications = GaugeMetricFamily(
                "backoffice_applications", "Applications by state and service center.", labels=["state", "center"]
            )
            for state, center_id, count in session.execute(
                select(Application.state, Application.center_id, func.count())
                .group_by(Application.center_id, Application.state)
            ):
                applications.add_metric([state.value, centers.get(center_id, "")], count)
            yield applications

            overdue = GaugeMetricFamily(
                "backoffice_applications_overdue",
                "Applications waiting for staff past their deadline, by service center.",
                labels=["center"],
            )
            for center_id, count in session.execute(
                select(Application.center_id, func.count())
                .where(Application.state.in_(WAITING_FOR_STAFF), Application.due_at <= now)
                .group_by(Application.center_id)
            ):
                overdue.add_metric([centers.get(center_id, "")], count)
            yield overdue

            letters = GaugeMetricFamily(
                "backoffice_outbox_letters", "Letters in the outbox that are waiting or failed.", labels=["status"]
            )
            counts = _count_by(session, OutboxMessage.status, [OutboxStatus.PENDING, OutboxStatus.FAILED])
            for status in (OutboxStatus.PENDING, OutboxStatus.FAILED):
                letters.add_metric([status.value], counts.get(status, 0))
            yield letters
            oldest_letter = session.scalar(
                select(func.min(OutboxMessage.created_at)).where(OutboxMessage.status == OutboxStatus.PENDING)
            )
            yield _age(
                "backoffice_outbox_oldest_pending_age_seconds",
                "Age of the oldest letter not yet sent (0 when none waits).",
                oldest_letter,
                now,
            )

            messages = _count_by(session, IncomingMessage.status, [MessageStatus.RECEIVED, MessageStatus.QUARANTINED])
            yield _gauge(
                "backoffice_intake_backlog",
                "Received messages stored but not yet processed.",
                messages.get(MessageStatus.RECEIVED, 0),
            )
            yield _gauge(
                "backoffice_intake_quarantined",
                "Messages in quarantine, waiting for an operator.",
                messages.get(MessageStatus.QUARANTINED, 0),
            )
            oldest_message = session.scalar(
                select(func.min(IncomingMessage.received_at)).where(
                    IncomingMessage.status == MessageStatus.RECEIVED
                )
            )
            yield _age(
                "backoffice_intake_oldest_pending_age_seconds",
                "Age of the oldest received message not yet processed (0 when none waits).",
                oldest_message,
                now,
            )


            beats = GaugeMetricFamily(
                "backoffice_heartbeat_timestamp_seconds",
                "When a process that runs apart from the web server last reported (Unix time).",
                labels=["name"],
            )
            jobs = GaugeMetricFamily(
                "backoffice_scheduler_job_last_success_timestamp_seconds",
                "When each scheduler job last ran to its end (Unix time).",
                labels=["job"],
            )
            for row in session.scalars(select(Heartbeat).order_by(Heartbeat.name)):
                beats.add_metric([row.name], row.beat_at.timestamp())
                if row.name.startswith(heartbeat.JOB_PREFIX) and row.succeeded_at is not None:
                    jobs.add_metric([row.name.removeprefix(heartbeat.JOB_PREFIX)], row.succeeded_at.timestamp())
            yield beats
            yield jobs


def _count_by(session: Session, column: Any, values: list[Any]) -> dict[Any, int]:
    """How many rows hold each of ``values`` in ``column`` (a value no row holds is missing)."""
    return dict(session.execute(select(column, func.count()).where(column.in_(values)).group_by(column)).all())


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    """A gauge of one value, without labels."""
    gauge = GaugeMetricFamily(name, documentation)
    gauge.add_metric([], value)
    return gauge


def _age(name: str, documentation: str, since: datetime | None, now: datetime) -> GaugeMetricFamily:
    return _gauge(name, documentation, max(0.0, (now - since).total_seconds()) if since is not None else 0.0)
