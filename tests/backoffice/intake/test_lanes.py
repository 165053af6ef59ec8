"""A large batch processed by several processes at once (``[intake] workers``), and the order that is kept.

The lanes are real processes on the real database (PostgreSQL: on SQLite the intake works alone); what a user
would notice is checked: every message becomes exactly what it would alone, a follow-up joins the application it
answers, a message sent in parts is joined, nothing is left in the mailbox, and the poll says how many processes
worked. Two rules make that hold whatever process takes which message, and each is tested on its own: a reply
waits for the message it answers, and two fragments of one set held at the same moment still find each other.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backoffice.applications.models import Application, Document
from backoffice.database import Database
from backoffice.documents.storage import open_storage
from backoffice.intake import partial, processing
from backoffice.intake.envelope import read_headers
from backoffice.intake.models import IncomingMessage, MessageStatus
from backoffice.intake.service import poll
from backoffice.intake.store import ingest
from backoffice.settings import Settings
from tests.backoffice.intake import corpus
from tests.backoffice.intake.conftest import Maildir
from tests.factories import valid_edrpou

CUSTOMER = "Олена Коваль <olena@koval.example.ua>"
FIRST_ID = "<first-application@mail.koval.example.ua>"


def _application(n: int) -> bytes:
    return corpus.outlook(f"Заява {n}.pdf", corpus.tiny_pdf(f"application {n}"), sender=f"Client {n} <c{n}@ex{n}.ua>")


@pytest.mark.postgres
@pytest.mark.committed
def test_a_large_batch_is_shared_by_two_processes_and_each_message_becomes_what_it_would_alone(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session
) -> None:
    settings = intake_settings.replace(intake={"workers": 2})
    scan = corpus.tiny_pdf("sent in three parts") + b"%" + b"x" * 3000 + b"\n"
    whole = corpus.outlook("Заява частинами.pdf", scan, sender="Firma <office@firma.example.ua>")
    fragments = corpus.partial_fragments(whole, 3, sender="Firma <office@firma.example.ua>")
    maildir.drop(corpus.outlook("Заява Коваль.pdf", corpus.tiny_pdf("first"), sender=CUSTOMER, message_id=FIRST_ID))
    applications, ignored = 1, 0
    for n in range(1, 150):
        if n in (20, 75, 140):  # the parts lie far apart: whoever holds the last must find the others
            maildir.drop(fragments[(20, 75, 140).index(n)])
        elif n % 10 == 0:
            maildir.drop(corpus.auto_reply())
            ignored += 1
        else:
            maildir.drop(_application(n))
            applications += 1
    # The customer's follow-up, taken last: it answers the first message, whichever process has that one.
    follow_up = corpus.tiny_pdf("power of attorney")
    maildir.drop(corpus.outlook("Довіреність.pdf", follow_up, sender=CUSTOMER, extra={"In-Reply-To": FIRST_ID}))

    summary = poll(intake_db, settings)

    assert summary.lanes == 2  # the poller and a lane both finished messages
    assert summary.fetched == 151 and summary.errors == 0 and summary.waiting == 0
    assert summary.created == applications + 1  # the message sent in parts is one application
    assert (summary.ignored, summary.held, summary.attached) == (ignored, 3, 1)
    assert maildir.waiting() == []
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Application)) == applications + 1
    statuses = session.scalars(select(IncomingMessage.status)).all()
    assert set(statuses) == {MessageStatus.PROCESSED, MessageStatus.IGNORED}
    # Exactly once: every application message is one application with its one scan.
    per_app = session.execute(
        select(IncomingMessage.application_id, func.count()).group_by(IncomingMessage.application_id)
    ).all()
    first = session.scalar(select(IncomingMessage).where(IncomingMessage.message_id == FIRST_ID))
    assert first is not None and first.application_id is not None
    assert dict(per_app)[first.application_id] == 2  # the first message and its follow-up
    names = set(session.scalars(select(Document.filename).where(Document.application_id == first.application_id)))
    assert {"Заява Коваль.pdf", "Довіреність.pdf"} <= names
    [joined] = session.scalars(select(IncomingMessage).where(IncomingMessage.source == "reassembled")).all()
    assert joined.status == MessageStatus.PROCESSED and joined.application_id is not None


#: What a lane's process runs, in a fresh interpreter as ``spawn`` gives it: its start and one chunk of messages;
#: then what became of each, and which of the web's libraries it loaded.
_LANE = """
import json, pickle, sys
from backoffice.intake import lanes
url, settings, ids = pickle.loads(sys.stdin.buffer.read())
lanes._start_lane(url, settings, False)
_pid, tried = lanes.run_lane(ids)
web = ("flask", "flask_babel", "werkzeug", "jinja2")
print(json.dumps({"tried": tried, "web": sorted(m for m in web if m in sys.modules)}))
"""


@pytest.mark.committed  # the lane is a process of its own, on its own connection
def test_a_lane_processes_its_messages_without_loading_the_web(
    intake_db: Database, intake_settings: Settings, session: Session
) -> None:
    """A lane serves no page: Flask, Werkzeug and Jinja are about 7 MB more in every lane (docs/benchmarks.md),
    and the services it runs translate without them (``backoffice.translation``)."""
    storage = open_storage(intake_settings, intake_db)
    good = corpus.filled_form(
        {"consumer_name": "ТОВ «Світанок»", "identifier": valid_edrpou(11), "email": "office@svitanok.example.ua"}
    )
    bad = corpus.filled_form({"consumer_name": "ФОП Мельник", "identifier": "12345670", "email": "not-an-email"})
    ids = [
        ingest(intake_db, storage, [data], source="test").message_id
        for data in (corpus.gmail("form.pdf", good), corpus.gmail("form2.pdf", bad), corpus.auto_reply())
    ]

    lane = subprocess.run(
        [sys.executable, "-c", _LANE],
        input=pickle.dumps((intake_db.url, intake_settings, ids)),
        capture_output=True,
        check=True,
    )

    report = json.loads(lane.stdout)
    assert report["web"] == [], f"a lane loaded {report['web']}"
    assert [outcome for _id, outcome in report["tried"]] == ["created", "created", "ignored"]
    first, second = session.scalars(select(Application).order_by(Application.id)).all()
    assert (first.consumer_name, first.identifier) == ("ТОВ «Світанок»", valid_edrpou(11))
    assert (second.consumer_name, second.identifier) == ("ФОП Мельник", "")
    problems = session.scalar(select(IncomingMessage.problems).where(IncomingMessage.id == ids[1]))
    assert {p["field"] for p in problems or []} >= {"identifier", "email"}

@pytest.mark.postgres
@pytest.mark.committed
def test_no_more_processes_share_a_batch_than_the_cores_the_intake_may_use(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, caplog: pytest.LogCaptureFixture
) -> None:
    """``workers = 8`` on a host (or a container, or under ``taskset``) that gives the intake one core: the poller
    works alone instead of starting seven lanes of 100 MB each that would wait for that core, and says so."""
    settings = intake_settings.replace(intake={"workers": 8})
    for n in range(1, 121):
        maildir.drop(_application(n))
    allowed = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(allowed)})
    try:
        with caplog.at_level(logging.WARNING, logger="backoffice.intake.lanes"):
            summary = poll(intake_db, settings)
    finally:
        os.sched_setaffinity(0, allowed)

    assert (summary.fetched, summary.created, summary.errors, summary.waiting) == (120, 120, 0, 0)
    assert summary.lanes == 1
    assert maildir.waiting() == []
    assert "[intake] workers = 8, but this process may use 1 CPU(s): 1 process(es) share" in caplog.text


@pytest.mark.postgres
@pytest.mark.committed
@pytest.mark.parametrize("workers", [1, 2])
def test_a_message_the_database_refuses_spends_one_try_a_poll_whether_alone_or_with_lanes(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session, workers: int
) -> None:
    """The database refuses one message's document (a trigger, as a constraint of a later schema would): the
    message waits for the next poll with one try spent, the other hundred are processed, and after the allowed
    tries it is quarantined. With lanes the poller used to try it again after them: two tries a poll."""
    settings = intake_settings.replace(intake={"workers": workers})
    for n in range(1, 101):
        if n == 40:
            maildir.drop(corpus.outlook("Відмовлено.pdf", corpus.tiny_pdf("refused"), sender="Refused <r@ex.ua>"))
        maildir.drop(_application(n))
    with intake_db.engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE FUNCTION refuse_document() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF NEW.filename = 'Відмовлено.pdf' THEN RAISE EXCEPTION 'refused by a rule of the schema'; END IF; "
            "RETURN NEW; END $$"
        )
        connection.exec_driver_sql(
            "CREATE TRIGGER refuse_document BEFORE INSERT ON document FOR EACH ROW EXECUTE FUNCTION refuse_document()"
        )
    try:
        summary = poll(intake_db, settings)
        assert summary.lanes == workers
        assert (summary.fetched, summary.created, summary.errors) == (101, 100, 1)
        refused = session.scalar(select(IncomingMessage).where(IncomingMessage.sender.contains("r@ex.ua")))
        assert refused is not None
        assert (refused.status, refused.attempts) == (MessageStatus.RECEIVED, 1)
        polls = 1
        while refused.status == MessageStatus.RECEIVED and polls <= processing.MAX_ATTEMPTS:
            poll(intake_db, settings)
            polls += 1
            session.expire_all()
        assert refused.status == MessageStatus.QUARANTINED
        assert polls == processing.MAX_ATTEMPTS + 1  # five polls tried it; the sixth gave up
    finally:
        with intake_db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TRIGGER refuse_document ON document")
            connection.exec_driver_sql("DROP FUNCTION refuse_document()")


def _lane_processes() -> list[int]:
    """This process's children started by ``spawn`` (the lanes; not the resource tracker)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            command = (stat.parent / "cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue
        if ppid == os.getpid() and b"spawn_main" in command:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.postgres
@pytest.mark.committed
def test_a_lane_killed_in_the_middle_of_a_batch_costs_no_message(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    """The kernel's out-of-memory killer (or an administrator) ends a lane while it works: the poll does not fail,
    the poller processes what the lane left, each message once, and the log says how many of the messages the
    lane finished the poll's counts miss."""
    for n in range(150):
        maildir.drop(_application(n))
    killed: list[int] = []

    def kill_a_lane_once_work_has_begun() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not killed:
            with intake_db.engine.connect() as conn:
                done = conn.scalar(select(func.count()).where(IncomingMessage.status != MessageStatus.RECEIVED))
            lanes = _lane_processes()
            if lanes and (done or 0) >= 20:
                os.kill(lanes[0], signal.SIGKILL)
                killed.append(lanes[0])
            time.sleep(0.05)

    killer = threading.Thread(target=kill_a_lane_once_work_has_begun)
    killer.start()
    with caplog.at_level("WARNING", logger="backoffice.intake.lanes"):
        summary = poll(intake_db, intake_settings.replace(intake={"workers": 2}))
    killer.join()

    assert killed, "no lane was running to be killed"
    [said] = [r.getMessage() for r in caplog.records if "intake lane died" in r.getMessage()]
    uncounted = int(re.search(r"\((\d+) of its messages", said).group(1))  # type: ignore[union-attr]
    assert summary.created + uncounted == 150 and summary.errors == 0
    session.expire_all()
    assert set(session.scalars(select(IncomingMessage.status))) == {MessageStatus.PROCESSED}
    assert session.scalar(select(func.count()).select_from(Application)) == 150
    assert maildir.waiting() == []


def test_a_reply_waits_for_the_message_it_answers_and_then_joins_its_application(
    intake_db: Database, intake_settings: Settings, session: Session
) -> None:
    storage = open_storage(intake_settings, intake_db)
    first = ingest(
        intake_db,
        storage,
        [corpus.outlook("Заява.pdf", corpus.tiny_pdf("first"), sender=CUSTOMER, message_id=FIRST_ID)],
        source="test",
    )
    reply_bytes = corpus.outlook(
        "Довіреність.pdf", corpus.tiny_pdf("follow-up"), sender=CUSTOMER, extra={"In-Reply-To": FIRST_ID}
    )
    reply = ingest(intake_db, storage, [reply_bytes], source="test")

    # Taken up first (another process has the first message, or it failed and waits for a later poll): it waits,
    # and the wait is not counted as a try.
    assert processing.process_one(intake_db, intake_settings, reply.message_id) == "waiting"
    waiting = session.get(IncomingMessage, reply.message_id)
    assert waiting is not None and (waiting.status, waiting.attempts) == (MessageStatus.RECEIVED, 0)
    assert session.scalar(select(func.count()).select_from(Application)) == 0

    assert processing.process_one(intake_db, intake_settings, first.message_id) == "created"
    assert processing.process_one(intake_db, intake_settings, reply.message_id) == "attached"
    session.expire_all()
    rows = {m.id: m for m in session.scalars(select(IncomingMessage))}
    assert rows[reply.message_id].application_id == rows[first.message_id].application_id is not None
    assert session.scalar(select(func.count()).select_from(Application)) == 1


def test_a_message_never_waits_for_one_that_arrived_after_it(
    intake_db: Database, intake_settings: Settings, session: Session
) -> None:
    """Two forged messages naming each other must not wait for each other for ever: only an earlier one counts."""
    storage = open_storage(intake_settings, intake_db)
    one = corpus.outlook(
        "1.pdf", corpus.tiny_pdf("one"), message_id="<one@x.example>", extra={"In-Reply-To": "<two@x.example>"}
    )
    two = corpus.outlook(
        "2.pdf", corpus.tiny_pdf("two"), message_id="<two@x.example>", extra={"In-Reply-To": "<one@x.example>"}
    )
    first = ingest(intake_db, storage, [one], source="test")
    second = ingest(intake_db, storage, [two], source="test")
    assert processing.process_one(intake_db, intake_settings, first.message_id) == "created"
    assert processing.process_one(intake_db, intake_settings, second.message_id) != "waiting"


@pytest.mark.postgres
@pytest.mark.committed
def test_two_fragments_held_at_the_same_moment_still_make_the_whole_message(
    intake_db: Database, intake_settings: Settings, session: Session
) -> None:
    storage = open_storage(intake_settings, intake_db)
    whole = corpus.outlook("Заява.pdf", corpus.tiny_pdf("two parts") + b"%" + b"y" * 2000 + b"\n")
    parts = [ingest(intake_db, storage, [data], source="test") for data in corpus.partial_fragments(whole, 2)]

    def hold(message_id: int, commit_after: float = 0.0) -> None:
        with intake_db.session() as own:
            message = own.get(IncomingMessage, message_id)
            assert message is not None
            with storage.open(message.raw_path) as fh:
                fragment = partial.fragment_of(read_headers(fh))
            assert fragment is not None
            partial.hold(own, storage, message, fragment, processing.INTAKE, 10_000_000)
            time.sleep(commit_after)  # the other fragment is being held meanwhile

    # The first holder keeps its transaction open while the second holds the other part from another thread.
    first = threading.Thread(target=hold, args=(parts[0].message_id, 1.0))
    first.start()
    time.sleep(0.3)
    hold(parts[1].message_id)
    first.join()

    session.expire_all()
    joined = session.scalars(select(IncomingMessage).where(IncomingMessage.source == "reassembled")).all()
    assert len(joined) == 1 and joined[0].status == MessageStatus.RECEIVED
    held = session.scalars(select(IncomingMessage).where(IncomingMessage.partial_id.is_not(None))).all()
    assert {(m.status, m.reason) for m in held} == {(MessageStatus.PROCESSED, "reassembled")}
