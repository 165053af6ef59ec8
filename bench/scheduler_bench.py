"""Benchmark: one tick of the code-reminder and code-expiry jobs on PostgreSQL, at 10,000 and 1,000,000 applications.

Run from the repository root (PostgreSQL on 127.0.0.1:5432 with trust auth, as in the tests):

    .venv/bin/python bench/scheduler_bench.py [--sizes 10000 1000000] [--rounds 5] [--keep | --reuse]

For each size a throwaway database is created, migrated, and filled with fast bulk SQL
(``INSERT … SELECT … FROM generate_series``), then ``ANALYZE``d. Of the applications, 2,000 wait for the
customer with a code (``code_issued``), and of those exactly 1,000 are due: 500 need the reminder N days after
the code, 500 have a code that has just expired. Everything else is history, as a deployment accumulates it:
70 % completed (each with a used code and its sent letters), 5 % with an expired unused code (``code_expired``),
the rest rejected or withdrawn; one audit row per application. The live set is the same at both sizes; only the
history grows, which is what "cost follows the due work, not the table" is about.

A tick is ``code_reminders`` then ``expire_codes`` through the product's own jobs (each reminder a letter plus an
audit row, each expiry a workflow transition through the write path). After each round the work is undone in
SQL, so every round does the same 1,000 items. Both databases are filled first; then each round ticks both sizes,
in alternating order (A B, B A, …), so a busy moment of the shared CPUs hits both alike, and the ratio is taken
per round (paired) before its median and range are reported. The "idle tick" is the same two jobs right after a
tick, when nothing is due: the fixed cost of looking. ``--keep`` leaves the filled databases, ``--reuse`` measures
them again (migrated to the current schema first), so a code change can be measured without a new fill.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from backoffice import migrate
from backoffice import settings as settings_module
from backoffice.database import Database
from backoffice.scheduler import jobs
from backoffice.types import utcnow

LIVE, REMIND, EXPIRE = 2000, 500, 500
REPO = Path(__file__).resolve().parent.parent


def fill(url: str, size: int) -> None:
    """History plus the live set, in a handful of set-based statements."""
    engine = create_engine(url)
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO service_center (id, code, name, city, address, phone) VALUES (1, 'KR', 'ЦОС', '', '', '')"
            )
        )
        # ids 1..500 reminder due, 501..1000 expiry due, 1001..2000 fresh codes, then history.
        c.execute(
            text(
                """
                INSERT INTO application (id, number, channel, consumer_name, identifier, email, phones, code_word_hash,
                    contact_name, language, state, center_id, received_at, updated_at, due_at, call_attempts, version,
                    code_word_long)
                SELECT i, '2026-' || lpad(i::text, 7, '0'), 'email_scan', 'ТОВ «Тест ' || i || '»',
                    lpad((30000000 + i)::text, 8, '0'), 'customer' || i || '@example.com', '["+380671234567"]',
                    'x', 'Іваненко Іван', 'uk',
                    CASE WHEN i <= :live THEN 'code_issued'
                         WHEN i % 20 = 0 THEN 'code_expired'
                         WHEN i % 10 < 7 THEN 'completed'
                         WHEN i % 10 < 9 THEN 'rejected'
                         ELSE 'withdrawn' END,
                    1, now() - (i % 700) * interval '1 day', now() - (i % 700) * interval '1 day',
                    now() - (i % 700) * interval '1 day' + interval '48 hours', 0, 1, false
                FROM generate_series(1, :size) AS i
                """
            ),
            {"size": size, "live": LIVE},
        )
        c.execute(
            text(
                """
                INSERT INTO registration_code (id, application_id, nonce, code_hash, issued_at, expires_at, used_at,
                    failed_attempts)
                SELECT a.id, a.id, md5(a.id::text), md5(a.id::text) || md5('h' || a.id::text),
                    CASE WHEN a.id <= :remind THEN now() - interval '4 days'
                         WHEN a.id <= :remind + :expire THEN now() - interval '15 days'
                         WHEN a.id <= :live THEN now() - interval '1 day'
                         ELSE a.received_at + interval '2 days' END,
                    CASE WHEN a.id <= :remind THEN now() + interval '10 days'
                         WHEN a.id <= :remind + :expire THEN now() - interval '1 hour'
                         WHEN a.id <= :live THEN now() + interval '13 days'
                         ELSE a.received_at + interval '16 days' END,
                    CASE WHEN a.state = 'completed' THEN a.received_at + interval '3 days' END,
                    0
                FROM application a WHERE a.state IN ('code_issued', 'completed', 'code_expired')
                """
            ),
            {"remind": REMIND, "expire": EXPIRE, "live": LIVE},
        )
        c.execute(
            text(
                r"""
                INSERT INTO outbox_message (dedup_key, kind, application_id, recipient, language, context, status,
                    attempts, next_attempt_at, last_error, created_at, sent_at, resends)
                SELECT k.kind || ':' || r.application_id || '\:code-' || r.id, k.kind, r.application_id,
                    'customer' || r.application_id || '@example.com', 'uk', '{}', 'sent', 1, r.issued_at, '',
                    r.issued_at, r.issued_at, 0
                FROM registration_code r
                CROSS JOIN (VALUES ('registration_code'), ('invitation'), ('code_reminder')) AS k(kind)
                WHERE k.kind <> 'code_reminder' OR (r.application_id > :live AND r.application_id % 3 = 0)
                """
            ),
            {"live": LIVE},
        )
        c.execute(
            text(
                """
                INSERT INTO audit_event (occurred_at, actor_role, actor_label, subject_type, subject_id, action,
                    to_state, reason, changes)
                SELECT received_at, 'system', 'intake', 'application', id, 'create', 'received', '', '{}'
                FROM application
                """
            )
        )
        for table in ("application", "registration_code", "outbox_message", "audit_event", "service_center"):
            c.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("ANALYZE"))
    engine.dispose()


def undo(url: str) -> None:
    """Put the 1,000 due items back as they were, so the next round does the same work (also after a run that
    was stopped half-way: everything a tick writes about the live applications goes, whenever it was written)."""
    engine = create_engine(url)
    with engine.begin() as c:
        c.execute(
            text(
                "DELETE FROM outbox_message WHERE application_id <= :live"
                " AND kind NOT IN ('registration_code', 'invitation')"
            ),
            {"live": LIVE},
        )
        c.execute(
            text(
                "DELETE FROM audit_event WHERE subject_type = 'application' AND subject_id <= :live"
                " AND action <> 'create'"
            ),
            {"live": LIVE},
        )
        c.execute(
            text("UPDATE application SET state = 'code_issued' WHERE id <= :live AND state <> 'code_issued'"),
            {"live": LIVE},
        )
    engine.dispose()


def database(base_url: str, size: int, reuse: bool) -> tuple[str, str, float]:
    """The database for ``size``: a fresh one filled now, or with ``--reuse`` the one a ``--keep`` run left."""
    name = f"backoffice_bench_sched_{size}"
    url = make_url(base_url).set(database=name).render_as_string(hide_password=False)
    admin = create_engine(make_url(base_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            exists = c.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if exists and reuse:
                engine = create_engine(url)
                migrate.upgrade(engine)  # a later schema (a new index) on the kept data
                engine.dispose()
                with create_engine(url).connect().execution_options(isolation_level="AUTOCOMMIT") as a:
                    a.execute(text("ANALYZE"))
                return name, url, 0.0
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            c.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    engine = create_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    started = time.perf_counter()
    fill(url, size)
    return name, url, time.perf_counter() - started


def one_round(db: Database, url: str, settings: settings_module.Settings) -> dict[str, float]:
    """One tick with 1,000 items due, then the idle tick, then the work undone."""
    now = utcnow()
    t0 = time.perf_counter()
    written = jobs.code_reminders(db, settings, now)
    t1 = time.perf_counter()
    expired = jobs.expire_codes(db, settings, now)
    t2 = time.perf_counter()
    assert (written, expired) == (REMIND, EXPIRE), (written, expired)
    jobs.code_reminders(db, settings, now)
    jobs.expire_codes(db, settings, now)
    t3 = time.perf_counter()
    undo(url)
    return {"tick": t2 - t0, "reminders": t1 - t0, "expiries": t2 - t1, "idle": t3 - t2}


def spread(values: list[float], scale: float = 1.0, fmt: str = "{:.2f}") -> str:
    """``median (min–max)``."""
    med, lo, hi = (statistics.median(values) * scale, min(values) * scale, max(values) * scale)
    return f"{fmt.format(med)} ({fmt.format(lo)}–{fmt.format(hi)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs=2, default=[10_000, 1_000_000])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="leave the filled databases for a later --reuse")
    parser.add_argument("--reuse", action="store_true", help="measure the databases a --keep run left")
    parser.add_argument(
        "--url",
        default=os.environ.get("BACKOFFICE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
    )
    args = parser.parse_args()
    if min(args.sizes) < LIVE:
        parser.error(f"each size must hold the {LIVE:,} applications waiting with a code: --sizes {LIVE} or more")
    print(f"load average before: {Path('/proc/loadavg').read_text().strip()}", flush=True)
    made: dict[int, tuple[str, str]] = {}
    dbs: dict[int, Database] = {}
    results: dict[int, list[dict[str, float]]] = {size: [] for size in args.sizes}
    try:
        for size in args.sizes:
            name, url, filled = database(args.url, size, args.reuse)
            made[size] = (name, url)
            how = f"filled in {filled:.1f} s" if filled else "reused"
            print(f"{size:>9,} applications: {how}", flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            for size, (_, url) in made.items():
                dbs[size] = Database(url)
            settings = {
                size: settings_module.load(
                    REPO / "config.toml",
                    environ={"BACKOFFICE_SECRET_KEY": "bench-" + "x" * 40, "BACKOFFICE_CODE_KEY": "bench-" + "c" * 40},
                    overrides={"database": {"url": url}, "site": {"instance_dir": tmp}},
                )
                for size, (_, url) in made.items()
            }
            for size in args.sizes:
                undo(made[size][1])
            for size in args.sizes:  # warm both (imports, pools, caches) before anything is timed
                one_round(dbs[size], made[size][1], settings[size])
            for n in range(args.rounds):
                order = args.sizes if n % 2 == 0 else list(reversed(args.sizes))  # A B, B A, A B, …
                for size in order:
                    results[size].append(one_round(dbs[size], made[size][1], settings[size]))
                small, large = (results[s][-1]["tick"] for s in args.sizes)
                print(f"round {n + 1}: ticks {small:.3f} s / {large:.3f} s, ratio {large / small:.2f}", flush=True)
    finally:
        for d in dbs.values():
            d.dispose()
        if not args.keep:
            admin = create_engine(make_url(args.url).set(database="postgres"), isolation_level="AUTOCOMMIT")
            with admin.connect() as c:
                for name, _ in made.values():
                    c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    items = REMIND + EXPIRE
    for size in args.sizes:
        r = results[size]
        print(
            f"{size:>9,}: tick {spread([x['tick'] for x in r])} s | reminders {spread([x['reminders'] for x in r])} s"
            f" | expiries {spread([x['expiries'] for x in r])} s"
            f" | idle tick {spread([x['idle'] for x in r], 1000, '{:.0f}')} ms"
            f" | {spread([items / x['tick'] for x in r], fmt='{:.0f}')} items/s"
        )
    small, large = args.sizes
    ratios = [b["tick"] / a["tick"] for a, b in zip(results[small], results[large], strict=True)]
    idle = [b["idle"] / a["idle"] for a, b in zip(results[small], results[large], strict=True)]
    print(f"ratio tick {large:,} / {small:,}, paired rounds: {spread(ratios)} (target ≤ 1.2)")
    print(f"ratio idle tick {large:,} / {small:,}, paired rounds: {spread(idle)}")
    print(f"load average after: {Path('/proc/loadavg').read_text().strip()}")


if __name__ == "__main__":
    main()
