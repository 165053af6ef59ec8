"""Processing many stored messages in several processes at once: the poller and ``[intake] workers - 1`` lanes.

Why processes: a message's processing is mostly Python (the MIME parser, the ORM's unit of work), which one
process runs on one core at a time; a thousand messages after a weekend, or a mailbox that comes back after an
outage, would wait on one core while the others idle. Threads would share one interpreter lock.

What keeps it exactly once and in order:

* every message is still claimed by its own row (``processing.process_detailed``), so two processes never
  process one message, and whatever a lane did not finish is still ``received``;
* a reply to a message still waiting (in another lane) waits for it (``processing.AnswersWaiting``), and the
  fragments of a split message are joined under a lock of their set (``partial.hold``);
* the lanes report what became of each message they tried; the poller then processes, oldest first, whatever
  of the page is still ``received`` (those replies, a lane's share after it failed or found the database gone),
  except a message the database refused in a lane: like any refused message it waits for the next poll, so it
  spends one of its tries a poll however many processes work.

Lanes run only on PostgreSQL (SQLite writes one transaction at a time) and only for at least
:data:`PER_LANE` messages each: starting a process costs about a second of imports. They are started with
``spawn``, never ``fork``: the poller may be a thread of the scheduler, and a forked child would inherit locks
held by its other threads.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType
from typing import Any

from sqlalchemy import func, select

from backoffice.database import Database
from backoffice.intake.models import IncomingMessage, MessageStatus
from backoffice.intake.outages import DiskError, is_database_outage
from backoffice.intake.processing import logged, process_detailed
from backoffice.intake.units import SessionSource, unit_of_work
from backoffice.monitoring import logs
from backoffice.settings import Settings

log = logging.getLogger(__name__)
#: Fewest messages a lane must have to be worth starting.
PER_LANE = 50
#: Messages handed to a lane at a time.
CHUNK = 10
#: Outcomes that leave a message waiting (for the poller after the lanes, or for the next poll).
UNFINISHED = frozenset({"waiting", "error", "skipped"})
#: What became of one message: its row and the outcome.
Tried = tuple[int, str]


class Lanes:
    """The lanes of one poll. Started when a poll finds a batch worth sharing in the mailbox, they process what is
    taken, a few messages at a time, while the poll goes on taking the rest; the poller then joins them on what
    is left, and they stop with the poll.

    The work waits in one queue of small chunks, oldest first. Each lane has at most two chunks of it in hand (one
    at work, one next), topped up whenever the poller passes by; the poller, once it has taken the mail, takes
    the next chunk itself each time. So messages are processed about in the order they came, and a lane that
    started late or met large messages simply does fewer.
    """

    def __init__(self, sessions: SessionSource, settings: Settings) -> None:
        self.sessions = sessions
        self.settings = settings
        self._pool: ProcessPoolExecutor | None = None
        self._size = 0  # lanes the pool may run, decided when it starts
        self._capped = False
        self._broken = False
        self._queue: deque[list[int]] = deque()
        self._handed: list[tuple[list[int], Future[tuple[int, list[Tried]]]]] = []
        self._tried: list[Tried] = []  # in the chunks the lanes finished
        self._failed: list[int] = []  # the messages of chunks whose lane died
        self._queued: set[int] = set()
        self._taking: list[int] = []  # taken, not queued yet
        #: The processes (the poller's included) that finished messages in this poll.
        self.processes: set[int] = set()

    def __enter__(self) -> Lanes:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def expect(self, count: int) -> None:
        """``count`` messages are about to be taken: a batch worth sharing starts the lanes now, so that they are
        ready (imported, connected) by the time the first chunk is stored."""
        if count >= 2 * PER_LANE and self.lanes_for(count) > 1:
            self._started(count)

    def taken(self, message_id: int) -> None:
        """A new message was taken (stored, ``received``): when the lanes run, they process it meanwhile."""
        self._taking.append(message_id)
        if self._pool is None:
            return
        while len(self._taking) >= CHUNK:
            self._enqueue(self._taking[:CHUNK])
            del self._taking[:CHUNK]
        self._top_up()

    def lanes_for(self, waiting: int) -> int:
        """How many processes (the poller included) should share ``waiting`` messages."""
        sessions = self.sessions
        if not isinstance(sessions, Database) or sessions.engine.dialect.name != "postgresql":
            return 1
        wanted = max(1, min(self.settings.intake.workers, waiting // PER_LANE))
        if wanted > self._workers and not self._capped:
            self._capped = True  # said once a poll
            log.warning(
                "[intake] workers = %d, but this process may use %d CPU(s): %d process(es) share this batch",
                self.settings.intake.workers,
                usable_cores(),
                self._workers,
            )
        return min(wanted, self._workers)

    @property
    def _workers(self) -> int:
        """``[intake] workers``, but never more processes than the cores this process may run on: a lane more
        only holds memory (about 95 MB) and a database connection while it waits for a core."""
        return min(self.settings.intake.workers, usable_cores())

    @property
    def started(self) -> bool:
        return self._pool is not None

    def process(self, ids: Sequence[int]) -> list[Tried]:
        """Process ``ids`` with the lanes: what became of each message tried, in the lanes while the poll was
        taking included. What a dead lane had in hand is left ``received`` for the poller."""
        self._started(len(ids))
        self._taking = []  # in ``ids``, or in a page after it
        rest = [i for i in ids if i not in self._queued]
        for start in range(0, len(rest), CHUNK):
            self._enqueue(rest[start : start + CHUNK])
        tried: list[Tried] = []
        while True:
            self._top_up()
            if not self._queue:
                break
            done: list[Tried] = []
            process_share(self.sessions, self.settings, self._queue.popleft(), done)
            self._finished_by(os.getpid(), done)
            tried += done
        for chunk, future in self._handed:
            self._collect(chunk, future)
        self._handed = []
        tried += self._tried
        self._tried = []
        if self._failed:
            log.warning(
                "an intake lane died; the poller processes what it left (%d of its messages it finished before are "
                "not in this poll's counts)",
                _finished(self.sessions, self._failed),
            )
            self._failed = []
        return tried

    def _finished_by(self, pid: int, tried: list[Tried]) -> None:
        if any(outcome not in UNFINISHED for _, outcome in tried):
            self.processes.add(pid)

    def _enqueue(self, chunk: list[int]) -> None:
        self._queue.append(chunk)
        self._queued.update(chunk)

    def _top_up(self) -> None:
        """Collect what the lanes finished, and give each lane up to two chunks in hand."""
        for chunk, future in [h for h in self._handed if h[1].done()]:
            self._collect(chunk, future)
        self._handed = [h for h in self._handed if not h[1].done()]
        room = 2 * self._size
        while self._queue and not self._broken and len(self._handed) < room:
            chunk = self._queue.popleft()
            try:
                self._handed.append((chunk, self._started(len(self._queue)).submit(run_lane, chunk)))
            except BrokenProcessPool:  # a lane died: the poller does the rest alone
                self._broken = True
                self._queue.appendleft(chunk)

    def _collect(self, chunk: list[int], future: Future[tuple[int, list[Tried]]]) -> None:
        try:
            pid, done = future.result()
        except Exception:  # the lane's process died (or the chunk failed): its messages wait for the poller
            if not self._failed:
                log.debug("an intake lane failed", exc_info=True)
            self._broken = self._broken or isinstance(future.exception(), BrokenProcessPool)
            self._failed += chunk
            return
        self._finished_by(pid, done)
        self._tried += done

    def _started(self, waiting: int) -> ProcessPoolExecutor:
        """The lanes' processes, started (and connected to the database) at the first call, as many as
        :meth:`lanes_for` gives the ``waiting`` messages then (the poller is one of them)."""
        if self._pool is None:
            assert isinstance(self.sessions, Database)
            self._size = max(1, self.lanes_for(waiting) - 1)
            self._pool = ProcessPoolExecutor(
                max_workers=self._size,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_lane,
                initargs=(self.sessions.url, self.settings, logs.configured()),
            )
        return self._pool


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, which a container or ``taskset`` narrows)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # no affinity on this system
        return os.cpu_count() or 1


def _finished(sessions: SessionSource, ids: list[int]) -> int:
    """How many of ``ids`` are no longer waiting."""
    with unit_of_work(sessions) as session:
        return session.scalar(
            select(func.count()).where(IncomingMessage.id.in_(ids), IncomingMessage.status != MessageStatus.RECEIVED)
        ) or 0


#: In a lane's process: the poll's settings and the lane's own database, kept for the poll.
_lane: dict[str, Any] = {}


def _start_lane(url: str, settings: Settings, configure_logs: bool) -> None:
    """A lane's process, as it starts: the poller's log format, and its own engine on the poller's database."""
    if configure_logs:
        logs.configure(settings)
    _lane.update(settings=settings, database=Database(url))


def process_share(sessions: SessionSource, settings: Settings, ids: Sequence[int], tried: list[Tried]) -> None:
    """Process the messages ``ids`` in order, adding what became of each to ``tried``. A message the documents
    disk refused stays ``received`` for the poller, untried; a database outage is raised."""
    for message_id in ids:
        try:
            tried.append((message_id, logged(message_id, process_detailed(sessions, settings, message_id))))
        except DiskError:
            continue


def run_lane(ids: list[int]) -> tuple[int, list[Tried]]:
    """A chunk of messages, in a lane's process: the process and what became of each message it tried. A lane
    that loses the database stops the chunk there; the poller meets the outage itself and waits for it."""
    tried: list[Tried] = []
    try:
        process_share(_lane["database"], _lane["settings"], ids, tried)
    except Exception as exc:
        if not is_database_outage(exc):
            raise
        log.warning("an intake lane lost the database; the poller takes its messages")
    return os.getpid(), tried
