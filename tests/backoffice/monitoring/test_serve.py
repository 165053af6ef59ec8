"""``backoffice serve`` as an administrator runs it: real gunicorn with two workers, real HTTP on loopback."""

from __future__ import annotations

import re
import statistics
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from backoffice.database import Database
from backoffice.intake.models import IncomingMessage
from backoffice.intake.service import poll
from backoffice.monitoring import heartbeat
from backoffice.scheduler.sender import deliver_due
from backoffice.settings import Settings
from backoffice.types import utcnow
from tests.backoffice.intake import corpus
from tests.backoffice.intake.conftest import Maildir
from tests.backoffice.letters.conftest import smtp_settings
from tests.backoffice.letters.smtpserver import Handler, SmtpServer
from tests.backoffice.monitoring.gunicorn import METRICS_TOKEN, Served, serve, value
from tests.factories import Factory, valid_edrpou
from tests.services import redis_server  # noqa: F401 - fixture by name
from workflows.accession import AccessionState

#: Gunicorn serves the app in processes of its own.
pytestmark = pytest.mark.committed

OUTSIDE = "10.99.0.0/16"  # an allow-list the test's own loopback address is not in
BEARER = {"Authorization": f"Bearer {METRICS_TOKEN}"}
COUNTED = "/company/common-passwords.json"  # a public page nothing else asks for


@pytest.fixture(scope="module")
def running(migrated: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One server for the module's tests (starting gunicorn and its workers takes seconds)."""
    served = serve(migrated, tmp_path_factory.mktemp("serve"), workers=2, threads=2, monitoring_networks=OUTSIDE)
    try:
        yield served
    finally:
        served.stop()


@pytest.fixture
def server(running: Served, db: Database) -> Served:
    """The running server, with the tables emptied after the test (``db``)."""
    return running


def _fresh(db: Database, *, scheduler_age: timedelta, intake_age: timedelta = timedelta(0)) -> None:
    now = utcnow()
    heartbeat.beat(db, heartbeat.SCHEDULER, ok=True, now=now - scheduler_age)
    heartbeat.beat(db, heartbeat.INTAKE, ok=True, now=now - intake_age)


def test_serve_answers_health_and_readiness_and_says_why_only_to_monitoring(server: Served, db: Database) -> None:
    health = server.request("/healthz")
    assert health.status == 200 and health.text == "ok\n"
    assert len(health.headers["X-Request-ID"]) == 32

    # Nothing has ever reported: no scheduler heartbeat, no intake poll.
    assert server.request("/readyz").status == 503
    assert server.request("/readyz").json() == {"status": "not ready"}  # the public learns no more
    details = server.request("/readyz", headers=BEARER)
    assert details.status == 503
    checks = details.json()["checks"]
    assert checks["database"]["ok"] and checks["migrations"]["ok"]
    assert not checks["scheduler"]["ok"] and checks["scheduler"]["heartbeat_age_seconds"] is None

    _fresh(db, scheduler_age=timedelta(seconds=5))
    ready = server.request("/readyz", headers=BEARER)
    assert ready.status == 200, ready.json()
    assert ready.json()["status"] == "ready"
    assert server.request("/readyz").json() == {"status": "ready"}

    # The scheduler stopped ten minutes ago (the limit is five): not ready, and the details say which.
    _fresh(db, scheduler_age=timedelta(minutes=10))
    stale = server.request("/readyz", headers=BEARER)
    assert stale.status == 503
    assert stale.json()["checks"]["scheduler"] == {
        "ok": False, "heartbeat_age_seconds": pytest.approx(600, abs=30), "limit_seconds": 300
    }
    assert stale.json()["checks"]["intake"]["ok"] is True

    # A message that has waited an hour to be processed: the intake is stuck even though it polls.
    _fresh(db, scheduler_age=timedelta(0))
    with db.session() as s:
        s.add(_message(received_at=utcnow() - timedelta(hours=1)))
    stuck = server.request("/readyz", headers=BEARER)
    assert stuck.status == 503 and stuck.json()["checks"]["intake"]["ok"] is False


def test_metrics_add_up_both_workers_and_follow_the_database(
    server: Served, db: Database, make: Factory, session: Session
) -> None:
    # Refused without the token from outside the allow-list, as if there were no such page.
    assert server.request("/metrics").status == 404
    assert server.request("/metrics", headers={"Authorization": "Bearer wrong"}).status == 404

    sent = 0
    while True:  # until both workers have answered some (the kernel shares the connections out)
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda _: server.request(COUNTED).status, range(40)))
        assert set(statuses) == {200}
        sent += len(statuses)
        workers = Counter(
            line["pid"] for line in server.log_lines() if line.get("endpoint") == "customers.common_passwords"
        )
        if len(workers) >= 2 or sent >= 400:
            break
    assert len(workers) == 2, workers
    samples = server.metrics(headers=BEARER)
    labels = {"endpoint": "customers.common_passwords", "method": "GET"}
    assert value(samples, "backoffice_http_request_duration_seconds_count", **labels) == sent
    assert value(samples, "backoffice_http_request_duration_seconds_bucket", le="+Inf", **labels) == sent
    responses = value(samples, "backoffice_http_responses_total", endpoint="customers.common_passwords", status="200")
    assert responses == sent
    assert value(samples, "backoffice_database_up") == 1

    # Gauges read from the database at the moment of the scrape.
    assert value(samples, "backoffice_applications", state="code_issued", center="KR") == 0
    center = make.center(code="KR")
    make.application(AccessionState.CODE_ISSUED, center=center)
    make.application(AccessionState.RECEIVED, center=center)
    session.add(_message(received_at=utcnow() - timedelta(minutes=3)))
    session.commit()
    samples = server.metrics(headers=BEARER)
    assert value(samples, "backoffice_applications", state="code_issued", center="KR") == 1
    assert value(samples, "backoffice_applications", state="received", center="KR") == 1
    assert value(samples, "backoffice_outbox_letters", status="pending") == 2  # the invitation and the code
    assert value(samples, "backoffice_outbox_oldest_pending_age_seconds") >= 0
    assert value(samples, "backoffice_intake_backlog") == 1
    assert value(samples, "backoffice_intake_oldest_pending_age_seconds") == pytest.approx(180, abs=60)

    heartbeat.beat(db, heartbeat.SCHEDULER, heartbeat.job("deliver_letters"), ok=True)
    samples = server.metrics(headers=BEARER)
    assert value(samples, "backoffice_scheduler_job_last_success_timestamp_seconds", job="deliver_letters") == (
        pytest.approx(utcnow().timestamp(), abs=60)
    )


def test_metrics_show_what_needs_an_operator(
    server: Served, db: Database, make: Factory, session: Session, settings: Settings, tmp_path: Path
) -> None:
    """Each figure an operator is alerted on moves when the thing itself happens: work left past its deadline, a
    letter the mail server refuses for good, a message put in quarantine, a wrong registration code."""
    before = server.metrics(headers=BEARER)
    center = make.center(code="OV")
    late = make.application(AccessionState.RECEIVED, center=center)
    issued = make.application(AccessionState.CODE_ISSUED, center=center, email="nobody@example.com")
    session.commit()
    samples = server.metrics(headers=BEARER)
    assert value(samples, "backoffice_applications_overdue", center="OV") == 0  # both within their deadline
    assert value(samples, "backoffice_outbox_letters", status="failed") == 0
    assert value(samples, "backoffice_intake_quarantined") == 0

    # The review deadline passes with the application still waiting for staff.
    late.due_at = utcnow() - timedelta(minutes=1)
    session.commit()
    # The mail server refuses the address for good: the invitation and the code letter fail.
    smtp = SmtpServer(handler=Handler(reject=("nobody",))).start()
    try:
        report = deliver_due(db, smtp_settings(settings, smtp))
    finally:
        smtp.stop()
    assert report.failed == 2
    # A mail with no attachment arrives: the intake holds it for an operator.
    intake = settings.replace(intake={"source": "maildir", "maildir": str(tmp_path / "maildir")})
    Maildir(intake.maildir).drop(
        corpus.message(corpus.headers(subject="Без вкладень"), 'text/plain; charset="utf-8"', "Заява")
    )
    poll(db, intake)
    # The customer types a wrong code for the application whose code was issued.
    token = _csrf(server)
    wrong = {
        "csrf_token": token, "code": "ABCD-EFGH-JKMN", "identifier": issued.identifier, "login": "someone",
        "password": "Blue-Rivers-Sing-2026", "password_again": "Blue-Rivers-Sing-2026",
    }
    assert server.request("/company", data=wrong, headers={"Accept-Language": "en"}).status == 200

    after = server.metrics(headers=BEARER)
    assert value(after, "backoffice_applications_overdue", center="OV") == 1
    assert value(after, "backoffice_outbox_letters", status="failed") == 2
    assert value(after, "backoffice_intake_quarantined") == 1
    refused = "backoffice_code_redemptions_refused_total"
    assert value(after, refused, reason="wrong_code") - value(before, refused, reason="wrong_code") == 1


def _message(**values: object) -> IncomingMessage:
    return IncomingMessage(
        message_key=utcnow().isoformat().ljust(64, "0")[:64], raw_path="x.eml", raw_sha256="0" * 64, source="import",
        **values,
    )


@pytest.mark.parametrize("trusted_proxies", [1, 0])
def test_the_client_address_behind_a_trusted_proxy(
    migrated: str, db: Database, tmp_path: Path, trusted_proxies: int
) -> None:
    # One worker: the rate limits count in the worker's memory ([site] rate_limit_storage_uri).
    served = serve(migrated, tmp_path, workers=1, trusted_proxies=trusted_proxies, monitoring_networks=OUTSIDE)
    try:
        monitor = {"X-Forwarded-For": "10.99.1.1"}  # a client inside the allow-list, as the proxy reports it
        assert served.request("/metrics", headers=monitor).status == (200 if trusted_proxies else 404)

        # Ten tries a minute per address on the registration page: one client uses them up ...
        token = _csrf(served)
        answers = [_try(served, token, "203.0.113.7", n) for n in range(11)]
        assert answers[:10] == [200] * 10 and answers[10] == 429
        # ... and another customer behind the same proxy is not held back, unless the proxy is not trusted.
        assert _try(served, token, "203.0.113.8", 99) == (200 if trusted_proxies else 429)
        posts = [line for line in served.log_lines() if line.get("endpoint") == "customers.register"]
        seen = {line["remote_addr"] for line in posts if line["method"] == "POST"}
        assert seen == ({"203.0.113.7", "203.0.113.8"} if trusted_proxies else {"127.0.0.1"})
    finally:
        served.stop()


def _csrf(served: Served) -> str:
    page = served.request("/company", headers={"Accept-Language": "en"}).text
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"', page)
    assert match
    return match.group(1) or match.group(2)


def _try(served: Served, token: str, client: str, n: int) -> int:
    data = {
        "csrf_token": token, "code": "ABCD-EFGH-JKMN", "identifier": valid_edrpou(n), "login": "someone",
        "password": "Blue-Rivers-Sing-2026", "password_again": "Blue-Rivers-Sing-2026",
    }
    return served.request("/company", data=data, headers={"X-Forwarded-For": client, "Accept-Language": "en"}).status


def test_with_redis_two_workers_count_one_limit(
    migrated: str, db: Database, tmp_path: Path, redis_server: str
) -> None:
    """The rate limits hold across gunicorn's workers when they count in Redis: ten tries a minute per address,
    wherever each try lands. Without a shared store each worker would give its own ten.

    Each round's tries are sent at once: a worker busy with one try cannot take the next connection, so the other
    does. Sent one after another, the kernel may hand every connection to the same idle worker and prove nothing.
    """
    served = serve(
        migrated, tmp_path, workers=2, threads=1, trusted_proxies=1, monitoring_networks=OUTSIDE,
        environment={"BACKOFFICE_SITE_RATE_LIMIT_STORAGE_URI": redis_server},
    )
    try:
        token = _csrf(served)
        refused_before = value(served.metrics(headers=BEARER), "backoffice_code_redemptions_refused_total",
                               reason="unknown_identifier")
        tried = 0
        for round_ in range(6):  # until both workers have served tries of one client (the kernel decides)
            client = f"198.51.{100 + round_}.7"
            with ThreadPoolExecutor(11) as pool:
                answers = list(pool.map(_try, [served] * 11, [token] * 11, [client] * 11, range(11)))
            tried += answers.count(200)
            assert sorted(answers) == [200] * 10 + [429], answers  # the eleventh is refused, whichever it was
            workers = {
                line["pid"] for line in served.log_lines()
                if line.get("endpoint") == "customers.register" and line.get("remote_addr") == client
                and line.get("method") == "POST" and line.get("status") == 200
            }
            if len(workers) == 2:
                break
        assert len(workers) == 2, "both workers served the same client's tries"

        # Every refused code is counted once on /metrics, whichever worker refused it.
        samples = served.metrics(headers=BEARER)
        refused = value(samples, "backoffice_code_redemptions_refused_total", reason="unknown_identifier")
        assert refused - refused_before == tried

        # A lockout: after five wrong tries on one identifier from one address the next must wait (a back-off kept
        # in Redis, so whichever worker takes the try), and /metrics counts each try held back.
        held_before = value(samples, "backoffice_guesses_throttled_total", what="company")
        answers = [_try(served, token, "198.51.200.7", 7) for _ in range(8)]
        assert answers[:6] == [200] * 6, answers
        assert 429 in answers[6:], answers
        held = value(served.metrics(headers=BEARER), "backoffice_guesses_throttled_total", what="company")
        assert held - held_before == answers.count(429)
    finally:
        served.stop()


def _faults(pid: int) -> int:
    """Minor page faults of a process and its children so far (``/proc/<pid>/stat``, fields 10 and 11)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[7]) + int(fields[8])


def _workers(master: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            children.append(int(stat.parent.name))
    return children


def _wrong_login(served: Served, login: str) -> None:
    """A customer login with a wrong password, as a browser sends it (the form, its CSRF token, the post): one
    argon2id hash in the worker, whether or not the login exists."""
    form = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', served.request("/account/login?lang=en").text)
    assert form is not None
    answer = served.request(
        "/account/login", data={"login": login, "password": "not-the-password-1", "csrf_token": form.group(1)}
    )
    assert answer.status == 200 and "Wrong login or password" in answer.text


def test_a_worker_hashes_passwords_in_memory_it_keeps(migrated: str, tmp_path: Path, db: Database) -> None:
    """Every customer login costs an argon2id hash of 64 MiB. A served worker takes that memory once and uses it for
    the next hash, instead of having the kernel map and zero 16,384 fresh pages for each (a fifth or more of the
    hash's CPU; ``server.reuse_hash_memory``)."""
    served = serve(migrated, tmp_path, workers=1, threads=2)
    try:
        log_in = partial(_wrong_login, served)
        log_in("first.visitor")  # the worker's first hash takes the memory
        (worker,) = _workers(served.process.pid)
        faults = []
        for n in range(5):
            before = _faults(worker)
            log_in(f"visitor.{n}")
            faults.append(_faults(worker) - before)
    finally:
        served.stop()
    # The median login: the allocator may now and then hand a block back to the kernel when other memory freed
    # beside it takes the heap's free top over its threshold (one login in three did so once in CI, 16,400
    # faults); without the setting every login maps the whole 64 MiB afresh.
    per_login = statistics.median(faults)
    assert per_login < 2_000, f"{faults} page faults a login: the hash's 64 MiB is mapped afresh each time"


def test_logins_at_the_same_moment_in_one_worker_share_its_hash_memory(
    migrated: str, tmp_path: Path, db: Database
) -> None:
    """Four customers log in at once to a worker of four threads: their hashes take turns on the 64 MiB the worker
    keeps (``passwords._one_hash_at_a_time``), instead of each mapping and zeroing a block of its own. The burst may
    cost one block once (the requests' own allocations can split the freed block); hashes side by side cost three
    (measured: 49,000 page faults for the four, against 0 to 16,600 taking turns)."""
    served = serve(migrated, tmp_path, workers=1, threads=4)
    try:
        log_in = partial(_wrong_login, served)
        log_in("first.visitor")
        (worker,) = _workers(served.process.pid)
        before = _faults(worker)
        with ThreadPoolExecutor(4) as logins:
            list(logins.map(log_in, [f"visitor.{n}" for n in range(4)]))
        pages = _faults(worker) - before
    finally:
        served.stop()
    block = 64 * 1024 * 1024 // 4096
    assert pages < 2 * block, f"{pages} page faults for four logins: hashes at the same moment took blocks of their own"


def test_each_worker_sets_what_it_loaded_aside_from_the_garbage_collector(server: Served) -> None:
    """A full garbage collection in a worker walked the whole loaded app (about 160,000 objects, 90 ms with no
    request served); each worker freezes them once the app is loaded (``server.settle_loaded_app``), says so in the
    log, and serves as before."""
    assert server.request("/company?lang=en").status == 200

    def settled() -> dict[str, int]:
        return {
            line["message"].split()[1]: int(line["message"].split()[3])
            for line in server.log_lines()
            if re.match(r"worker \d+ ready; \d+ objects loaded at its start are kept out", line.get("message", ""))
        }

    # The server answers once one worker is up; the other may still be loading the app on a busy machine.
    deadline = time.monotonic() + 60
    while len(settled()) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    workers = settled()
    assert len(workers) >= 2, workers  # both workers of the server (and any that replaced one)
    assert all(count > 50_000 for count in workers.values()), workers
