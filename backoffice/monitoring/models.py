from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from backoffice.database import Base
from backoffice.types import UTCDateTime


class Heartbeat(Base):
    """The last sign of life of a process that runs apart from the web server, one row per name.

    The scheduler and the intake watcher run as their own processes (often on another host); the web server's
    /readyz and /metrics can only learn that they are alive from the database every process shares.
    Names: ``scheduler`` (any job ran), ``job:<id>`` (one scheduler job), ``intake`` (``intake watch`` polled).
    """

    __tablename__ = "heartbeat"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    # When the process last reported, whatever the outcome.
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When it last reported success (a job that ran to its end, a poll that read the mailbox); None: never.
    succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # "ok" or "failed": how the last run ended.
    outcome: Mapped[str] = mapped_column(String(20), default="")
    # Which process: host and pid, so two schedulers started by mistake can be told apart.
    process: Mapped[str] = mapped_column(String(120), default="")
