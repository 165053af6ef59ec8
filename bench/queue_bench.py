"""Benchmark: the operators' work queue over 1,000,000 applications on PostgreSQL.

Run from the repository root (PostgreSQL on 127.0.0.1:5432, or BACKOFFICE_TEST_PG_URL):

    .venv/bin/python bench/queue_bench.py [--rows 1000000] [--repeat 22] [--number 5] [--keep | --database NAME]
    .venv/bin/python bench/queue_bench.py --database NAME --http [--against OTHER_CHECKOUT] [--rounds 10]

A fresh database is migrated and filled with bulk SQL (INSERT … SELECT over generate_series): 25 service
centers, 60 operators, applications received over two years, most of them long completed, the recent ones
spread over the states that wait for staff, a fifth of those assigned (``--keep`` leaves it; ``--database``
measures such a kept database again). Then, in one run, five queue pages are timed server-side, five ways:

* ``page``: the whole page as served (Flask test client, logged-in operator or supervisor; query, rendering,
  CSRF, everything between the request and the response bytes);
* ``query``: the page's data alone (``backoffice.admin.queue.page``, given the parsed filters) on an open session;
* ``raw``: hand-written SQL returning the same rows, through psycopg on the query layer's own open connection;
* ``stock``: Flask-Admin's ``ModelView`` as it comes over the same table with the equivalent filter, search or
  page (``count(*)`` per page view, OFFSET pages, ILIKE search on the searchable columns);
* ``stock, our columns``: the same view showing only our queue's columns.

With ``--http`` (and ``--against OTHER_CHECKOUT``), the pages are served instead by gunicorn with the production
settings (``deploy/gunicorn.conf.py``: two workers of four threads, keep-alive), each checkout by a server of its
own on the same database, and requested over HTTP by one keep-alive client, the checkouts in alternating rounds;
the figures are the latency and the servers' CPU time per request. Then each checkout's pages are profiled
(cProfile in every worker thread, from reading a request to its last byte written) and the profile's time is
split into the parts of ``PARTS``.

The figure for each is the median of ``--repeat`` turns (the stock views: every third turn) after one warm-up,
taken in turns of rotating order, every other turn backwards, so that the shared machine's busy moments and
cold caches fall on all of them alike, each sample ``--number`` calls in a row with the garbage collector off
(as ``timeit`` does); ratios are taken over each forward turn and the backward one after it, and printed as
median (first–third quartile).
"""

from __future__ import annotations

import argparse
import gc
import http.client
import os
import pstats
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parent.parent
if __name__ == "__main__":  # as a script; a gunicorn worker of ``--http`` imports the tree on its PYTHONPATH
    sys.path.insert(0, str(REPO))

from backoffice import migrate  # noqa: E402
from backoffice import settings as settings_module  # noqa: E402
from backoffice.actors import Actor  # noqa: E402
from backoffice.admin import queue  # noqa: E402
from backoffice.app import create_app  # noqa: E402
from backoffice.passwords import hash_secret  # noqa: E402
from workflows.accession import WAITING_FOR_STAFF  # noqa: E402
from workflows.roles import Role  # noqa: E402

PG = os.environ.get("BACKOFFICE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PASSWORD = "bench-password-2026"
WAITING = sorted(s.value for s in WAITING_FOR_STAFF)

# The raw SQL of the pages, written by hand: the rows of a page (``{rows}``), then the assignee's and center's
# names joined by primary key, as the query layer's one statement does.
COLUMNS = ("id, number, received_at, consumer_name, identifier, commercial_offer, channel, state, due_at, "
           "assignee_id, center_id")
NAMES = ("SELECT r.*, coalesce(o.full_name, ''), coalesce(o.login, ''), coalesce(c.name, ''), "
         "coalesce(c.code, '') FROM ({rows}) r LEFT JOIN operator o ON o.id = r.assignee_id "
         "LEFT JOIN service_center c ON c.id = r.center_id ORDER BY r.due_at, r.id LIMIT 51")
_WAITING_SQL = "state IN (" + ", ".join(f"'{s}'" for s in WAITING) + ")"
#: An operator's "my work" (parameters: the operator's id, their center's id).
MY_WORK_SQL = NAMES.format(rows=(
    f"(SELECT {COLUMNS} FROM application WHERE {_WAITING_SQL} AND assignee_id = %s "
    "ORDER BY due_at, id LIMIT 51) UNION ALL "
    f"(SELECT {COLUMNS} FROM application WHERE {_WAITING_SQL} AND assignee_id IS NULL AND center_id = %s "
    "ORDER BY due_at, id LIMIT 51) UNION ALL "
    # The shared pool of applications no center was found for, which every operator works too.
    f"(SELECT {COLUMNS} FROM application WHERE {_WAITING_SQL} AND assignee_id IS NULL AND center_id IS NULL "
    "ORDER BY due_at, id LIMIT 51)"
))

FILL = """
INSERT INTO application (
    id, number, channel, commercial_offer, consumer_name, identifier, identifier_kind, email, phones,
    code_word_hash, contact_name, language, state, center_id, assignee_id, contract_id,
    received_at, updated_at, due_at, next_call_at, call_attempts, version, code_word_long)
SELECT
    g,
    to_char(received, 'YYYY') || '-' || lpad(g::text, 6, '0'),
    (ARRAY['email_scan','email_qualified','service_center'])[1 + (g % 3)],
    (ARRAY['universal_service','free_price'])[1 + (g % 2)],
    (ARRAY['ТОВ','ПП','ФГ','ПрАТ','КП'])[1 + (g % 5)] || ' «'
        || (ARRAY['Агро','Буд','Енерго','Хліб','Метал','Транс','Фарм','Дніпро','Степ','Зерно','Світло','Тепло',
                  'Інгул','Поділля','Смарт','Граніт','Дуб','Колос','Вода','Нафто'])[1 + (g * 7 % 20)]
        || (ARRAY['сервіс','торг','пром','постач','маш','трейд','інвест','лайн','буд','продукт'])[1 + (g * 13 % 10)]
        || ' ' || (g % 9973)::text || '»',
    lpad(((g * 7919) % 100000000)::text, 8, '0'),
    'edrpou',
    'office' || g || '@company' || (g % 5000) || '.example.com',
    json_build_array('+38067' || lpad(((g * 104729) % 10000000)::text, 7, '0')),
    'x',
    'Контактна особа ' || g,
    'uk',
    state,
    1 + (g % 25),
    CASE WHEN state = ANY(CAST(:waiting AS text[])) AND g % 5 = 0 THEN 1 + (g % 60) END,
    NULL,
    received, received, received + interval '48 hours', NULL, 0, 1, true
FROM (
    SELECT g,
        now() - make_interval(secs => (CASE WHEN g > :rows - :recent THEN (:rows - g) * 40.0
                                              ELSE (:rows - g) * 63.0 + 86400 * 30 END)) AS received,
        CASE
            WHEN g > :rows - :recent THEN (CAST(:waiting AS text[]))[1 + (g % 6)]
            WHEN g % 20 = 0 THEN 'rejected'
            WHEN g % 33 = 0 THEN 'withdrawn'
            WHEN g % 17 = 0 THEN 'code_expired'
            ELSE 'completed'
        END AS state
    FROM generate_series(CAST(1 AS bigint), :rows) AS g
) AS s
"""


def interleaved(
    fns: list[Callable[[], Any]], repeat: int, every: list[int], number: list[int]
) -> list[dict[int, float]]:
    """Milliseconds of one call of each function, by turn, run in turns so that a busy moment of the machine
    (its CPUs are shared) falls on all of them alike; ratios are then taken turn by turn (``paired``).

    A sample is ``number[i]`` calls in a row divided by ``number[i]``, as ``timeit`` does: on these virtual
    machines the first Python that runs after the process has waited on a socket runs several times slower
    than the same code run again (measured: 3 µs of query planning took 57 µs straight after a wait), which
    would charge each function for where its wake-up lands rather than for its work. ``every[i]``: run
    function i only every so many turns (the slow stock views, one call a sample).
    """
    for fn in fns:
        fn()  # warm-up: caches, compiled statements, pool
    samples: list[dict[int, float]] = [{} for _ in fns]
    for turn in range(repeat):
        # The order turns round too, and every other turn runs backwards: whoever runs straight after a page
        # render finds the CPU caches cold, and whoever runs straight after the other user of its connection
        # finds them warm. Turning round alone would keep who follows whom the same in almost every turn (the
        # raw SQL right after the query layer, on the same connection); backwards turns swap them.
        order = [(turn // 2 + k) % len(fns) for k in range(len(fns))]
        for i in order if turn % 2 == 0 else order[::-1]:
            fn = fns[i]
            if turn % every[i]:
                continue
            # As timeit does: the garbage collector off while timing, so a collection of one run's garbage (the
            # stock view allocates a great deal) happens between runs rather than inside whoever runs next.
            gc.disable()
            try:
                start = time.perf_counter()
                for _ in range(number[i]):
                    fn()
                samples[i][turn] = (time.perf_counter() - start) / number[i] * 1000
            finally:
                gc.enable()
    return samples


def median(samples: dict[int, float]) -> float:
    return statistics.median(samples.values())


def paired(top: dict[int, float], bottom: dict[int, float]) -> tuple[float, float, float]:
    """The ratio top ÷ bottom, as median and quartiles, of each forward turn and the backward turn after it
    (both orders, so neither runs warm after the other every time) taken together: measured a few
    milliseconds apart, the two share whatever the machine was doing, which a ratio of two medians taken
    minutes apart does not. The slow stock views run every third turn: theirs are single turns."""
    pairs: dict[int, list[int]] = {}
    for t in top:
        if t in bottom:
            pairs.setdefault(t // 2, []).append(t)
    ratios = sorted(sum(top[t] for t in turns) / sum(bottom[t] for t in turns) for turns in pairs.values())
    q1, q2, q3 = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else (ratios[0],) * 3
    return q2, q1, q3


def fill(url: str, rows: int) -> None:
    engine = create_engine(url)
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO service_center (id, code, name, city, address, phone) "
                          "SELECT g, 'C' || g, 'ЦОС ' || g, 'Місто ' || g, '', '' FROM generate_series(1, 25) g"))
        pw = hash_secret(PASSWORD)
        conn.execute(
            text("INSERT INTO operator (id, login, full_name, role, center_id, password_hash, totp_required, "
                 "is_active, created_at, session_stamp) SELECT g, 'op' || g, 'Оператор ' || g, 'operator', "
                 "1 + (g % 25), :pw, false, true, now(), md5(random()::text) FROM generate_series(1, 60) g"),
            {"pw": pw},
        )
        conn.execute(
            text("INSERT INTO operator (id, login, full_name, role, center_id, password_hash, totp_required, "
                 "is_active, created_at, session_stamp) VALUES (61, 'chief', 'Керівник', 'supervisor', NULL, :pw, "
                 "false, true, now(), md5(random()::text))"),
            {"pw": pw},
        )
        # Bulk loads build indexes once at the end instead of maintaining them row by row.
        indexes = conn.execute(text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'application' "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        )).all()
        for name, _definition in indexes:
            conn.execute(text(f'DROP INDEX "{name}"'))
        recent = rows * 4 // 100
        started = time.perf_counter()
        conn.execute(text(FILL), {"rows": rows, "recent": recent, "waiting": WAITING})
        print(f"  inserted {rows:,} applications in {time.perf_counter() - started:.0f} s", flush=True)
        started = time.perf_counter()
        for _name, definition in indexes:
            conn.execute(text(definition))
        print(f"  built {len(indexes)} indexes in {time.perf_counter() - started:.0f} s", flush=True)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE application"))
    engine.dispose()


@contextmanager
def bench_database(database: str | None, rows: int, *, keep: bool = False) -> Iterator[str]:
    """The URL of the database a benchmark measures, its statistics fresh.

    ``database``, filled before (an earlier ``--keep``), is brought to the current schema, analysed and kept;
    without it a throwaway database is filled with ``rows`` applications and dropped afterwards unless ``keep``.
    Every benchmark on the queue's data (this one, ``http_bench``, ``scaling_bench``) gets its database here.
    """
    admin = create_engine(make_url(PG).set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = database or f"backoffice_bench_{uuid.uuid4().hex[:8]}"
    url = make_url(PG).set(database=name).render_as_string(hide_password=False)
    try:
        if database:
            engine = create_engine(url)
            migrate.upgrade(engine)
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE application"))
            engine.dispose()
        else:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            print(f"Filling {name} with {rows:,} applications …", flush=True)
            fill(url, rows)  # migrates, and analyses what it wrote
        yield url
    finally:
        if database or keep:
            print(f"kept: --database {name}")
        else:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def stock_app(url: str) -> Any:
    """Flask-Admin as it comes: ModelViews over the same table, told only what the same queries need.

    ``/stock/plain/``: nothing but searchable columns, the state filter, our page size and our default order
    (by deadline); everything else, the column list included, as Flask-Admin makes it.
    ``/stock/trim/``: the same, showing only the columns our queue shows (a smaller page to render).
    """
    from flask import Flask
    from flask_admin import Admin
    from flask_admin.contrib.sqla import ModelView
    from flask_babel import Babel
    from sqlalchemy.orm import scoped_session, sessionmaker

    from backoffice.applications.models import Application

    flask_app = Flask("stock", template_folder=None)  # Flask-Admin's own templates only, not ours
    flask_app.config["SECRET_KEY"] = "bench"
    Babel(flask_app)  # Flask-Admin translates its own strings when Flask-Babel is installed
    session = scoped_session(sessionmaker(create_engine(url)))

    class Plain(ModelView):  # type: ignore[misc]
        column_searchable_list = ("number", "identifier", "consumer_name", "email")
        column_filters = ("state",)
        column_default_sort = ("due_at", False)
        page_size = 50

    class Trim(Plain):
        column_list = ("number", "received_at", "consumer_name", "identifier", "commercial_offer", "channel",
                       "state", "due_at", "assignee")

    admin = Admin(flask_app, url="/stock")
    admin.add_view(Plain(Application, session, endpoint="plain", name="plain"))
    admin.add_view(Trim(Application, session, endpoint="trim", name="trim"))
    return flask_app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=22, help="turns (in pairs: forward, backward)")
    parser.add_argument("--number", type=int, default=5, help="calls in a row per sample of our pages and raw SQL")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--database", help="measure an existing database kept by an earlier --keep run")
    parser.add_argument("--http", action="store_true", help="over HTTP instead: gunicorn, one client, and a profile")
    parser.add_argument("--against", type=Path, help="with --http: another checkout served the same way, alternately")
    parser.add_argument("--rounds", type=int, default=10, help="with --http: alternating rounds")
    args = parser.parse_args()
    measure = (
        (lambda url: over_http(url, {"this tree": REPO, **({"against": args.against} if args.against else {})},
                               args.rounds, 100))
        if args.http
        else (lambda url: run(url, args.repeat, args.number))
    )

    with bench_database(args.database, args.rows, keep=args.keep) as url:
        measure(url)


def run(url: str, repeat: int, number: int) -> None:
    import psycopg

    settings = settings_module.load(
        environ={**os.environ, "BACKOFFICE_SECRET_KEY": SECRET, "BACKOFFICE_CODE_KEY": SECRET},
        overrides={"database": {"url": url}, "site": {"instance_dir": tempfile.mkdtemp(prefix="queue-bench-")}},
    )
    app = create_app(settings)
    app.config.update(TESTING=True)
    db = app.extensions["backoffice.db"]
    # The raw SQL and the query layer run on the same open connection, in the same transaction (as in a page,
    # where the login check has opened it already): one round trip a query each, to the same server process.
    # Two connections to the same database were measured up to 15 % apart on one and the same statement (the
    # faster was the one that had run the setup's large scans), which a ratio across connections would charge
    # to the code. Neither uses server-side prepared statements (the product's engine turns them
    # off, see database.make_engine): both statements are parsed and planned on every run, as a page's are.
    session = db.sessions()
    raw = session.connection().connection.dbapi_connection

    def client_for(login: str) -> Any:
        client = app.test_client()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/staff/login").text).group(1)
        response = client.post("/staff/login", data={"login": login, "password": PASSWORD, "csrf_token": token})
        assert response.status_code == 302, "bench login failed"
        return client

    operator = client_for("op7")  # center 8
    chief = client_for("chief")
    op_actor = Actor(Role.OPERATOR, "op7", 7, 8)
    chief_actor = Actor(Role.SUPERVISOR, "chief", 61, None)

    # What to look for, read on a connection of its own (these scans would otherwise warm the measured one).
    with psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)) as setup, \
            setup.cursor() as cur:
        cur.execute("SELECT count(*) FROM application")
        total = cur.fetchone()[0]  # type: ignore[index]
        # At 1,000,000 rows: the 222,223rd newest, and page 5,000 (rows 250,001–250,050); smaller fills scale down.
        deep_page = min(5000, total // 200)
        cur.execute("SELECT identifier, consumer_name FROM application ORDER BY id DESC LIMIT 1 OFFSET %s",
                    (min(222222, total * 2 // 9),))
        edrpou, name = cur.fetchone()
        fragment = re.sub(r"[«»]", "", name.split("«")[1]).split()[0][:9]  # e.g. "Енерготорг" → a name word
        # The row before page ``deep_page`` of "all applications, by deadline" (page 5,000: rows 249,951–250,000).
        cur.execute("SELECT due_at, id FROM application ORDER BY due_at, id OFFSET %s LIMIT 1", (deep_page * 50 - 1,))
        deep_due, deep_id = cur.fetchone()
    deep_cursor = queue.encode_cursor(
        queue.QueueRow(deep_id, "", deep_due, "", "", None, None, None, deep_due, None, None),  # type: ignore[arg-type]
        queue.QueueFilters(scope="all"),
    )

    def by_deadline(where: str) -> str:
        return NAMES.format(rows=f"SELECT {COLUMNS} FROM application WHERE {where} ORDER BY due_at, id LIMIT 51")

    cases: list[dict[str, Any]] = [
        {
            "name": "default queue page (operator: my work)",
            "ours": (operator, "/admin/applications/"),
            "query": (op_actor, {}),
            "raw": (MY_WORK_SQL, (7, 8)),
            "stock": "/stock/{view}/",
        },
        {
            "name": "state filter (supervisor: awaiting confirmation call)",
            "ours": (chief, "/admin/applications/?scope=all&state=awaiting_confirmation_call"),
            "query": (chief_actor, {"scope": "all", "state": "awaiting_confirmation_call"}),
            "raw": (by_deadline("state = %s"), ("awaiting_confirmation_call",)),
            "stock": "/stock/{view}/?flt0_0=AWAITING_CONFIRMATION_CALL",
        },
        {
            "name": "exact EDRPOU search",
            "ours": (chief, f"/admin/applications/?scope=all&q={edrpou}"),
            "query": (chief_actor, {"scope": "all", "q": edrpou}),
            "raw": (by_deadline("identifier = %s"), (edrpou,)),
            "stock": f"/stock/{{view}}/?search={edrpou}",
        },
        {
            "name": f"name fragment search ('{fragment}')",
            "ours": (chief, f"/admin/applications/?scope=all&q={fragment}"),
            "query": (chief_actor, {"scope": "all", "q": fragment}),
            "raw": (by_deadline("consumer_name ILIKE %s OR email ILIKE %s"), (f"%{fragment}%", f"%{fragment}%")),
            "stock": f"/stock/{{view}}/?search={fragment}",
        },
        {
            "name": f"deep page (rows {deep_page * 50 + 1:,}–{deep_page * 50 + 50:,} of all, by deadline)",
            "ours": (chief, f"/admin/applications/?scope=all&after={deep_cursor}"),
            "query": (chief_actor, {"scope": "all", "after": deep_cursor}),
            "raw": (by_deadline("(due_at, id) > (%s, %s)"), (deep_due, deep_id)),
            "stock": f"/stock/{{view}}/?page={deep_page}",
        },
    ]

    stock = stock_app(url).test_client()
    results = []
    for case in cases:
        client, path = case["ours"]
        actor, params = case["query"]
        sql, sql_args = case["raw"]

        def page_request(client: Any = client, path: str = path) -> None:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)

        # The query layer gets the page's filters as the raw SQL gets its parameters: ready (reading the query
        # string is the page's work, and is in the page's figure).
        ready = queue.QueueFilters.from_args(params)

        def data(actor: Actor = actor, filters: queue.QueueFilters = ready) -> None:
            queue.page(session, actor, filters)

        def raw_sql(sql: str = sql, sql_args: tuple[Any, ...] = sql_args) -> None:
            with raw.cursor() as cur:
                cur.execute(sql, sql_args)
                cur.fetchall()

        def stock_request(view: str, path: str = case["stock"]) -> Callable[[], None]:
            def request() -> None:
                response = stock.get(path.format(view=view))
                assert response.status_code == 200, (path, response.status_code)
            return request

        # The same rows four ways, checked before they are timed.
        with raw.cursor() as cur:
            cur.execute(sql, sql_args)
            expected = [row[1] for row in cur.fetchall()][:50]
        got = [r.number for r in queue.page(session, actor, queue.QueueFilters.from_args(params)).rows]
        assert got == expected, (case["name"], got[:3], expected[:3])

        ours, query, raw_times, plain, trim = interleaved(
            [page_request, data, raw_sql, stock_request("plain"), stock_request("trim")],
            repeat,
            every=[1, 1, 1, 3, 3],
            number=[number, number, number, 1, 1],
        )
        row = (case["name"], median(ours), median(query), median(raw_times), median(plain), median(trim),
               paired(query, raw_times), paired(plain, ours), paired(trim, ours))
        results.append(row)
        print(f"  {case['name']}: page {row[1]:.1f} ms, query {row[2]:.2f} ms, raw SQL {row[3]:.2f} ms, "
              f"stock {row[4]:.1f} ms, stock with our columns {row[5]:.1f} ms", flush=True)

    def spread(r: tuple[float, float, float], digits: int) -> str:
        return f"**{r[0]:.{digits}f}×** ({r[1]:.{digits}f}–{r[2]:.{digits}f})"

    print()
    print("| page | ours: page (ms) | ours: query (ms) | raw SQL (ms) | stock (ms) | stock, our columns (ms) "
          "| query ÷ raw | stock ÷ page | stock, our columns ÷ page |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, ours_ms, query_ms, raw_ms, plain_ms, trim_ms, q_raw, s_page, t_page in results:
        print(f"| {name} | {ours_ms:.1f} | {query_ms:.2f} | {raw_ms:.2f} | {plain_ms:,.1f} | {trim_ms:,.1f} | "
              f"{spread(q_raw, 2)} | {spread(s_page, 1)} | {spread(t_page, 1)} |")
    session.close()



# -- over HTTP: the page as gunicorn serves it, and where its time goes ---------------------------------------

SECRET = "bench-secret-key-" + "x" * 32
#: The pages timed and profiled over HTTP: the operator's default page and the supervisor's state filter.
HTTP_PAGES = (
    ("op7", "/admin/applications/"),
    ("chief", "/admin/applications/?scope=all&state=awaiting_confirmation_call"),
)

#: Where a profiled request's time goes: (what, file, function) whose cumulative time is that part.
PARTS = (
    ("the whole request, from reading it off the socket to the last byte written", "gunicorn/workers/gthread.py",
     "handle"),
    ("reading and parsing the request (gunicorn)", "gunicorn/http/parser.py", "__next__"),
    ("the app (Flask, WSGI call)", "flask/app.py", "wsgi_app"),
    ("loading the operator (Flask-Login's user loader)", "backoffice/web/users.py", "_load_user"),
    ("the queue's data (queue.page)", "backoffice/admin/queue.py", "page"),
    ("rendering the page (Flask's render_template)", "flask/templating.py", "_render"),
    ("of which the templates' _ (i18n.gettext)", "backoffice/i18n.py", "gettext"),
    ("of which the menu (Flask-Admin's menu or ours)", "flask_admin/menu.py", "is_accessible"),
    ("of which formatting the rows (display.queue_lines, before)", "backoffice/admin/display.py", "queue_lines"),
    ("the session cookie saved (Flask)", "flask/sessions.py", "save_session"),
    ("writing the response (gunicorn)", "gunicorn/http/wsgi.py", "write"),
    ("closing the response (gunicorn)", "gunicorn/http/wsgi.py", "close"),
    ("the request's log line (gunicorn access log)", "gunicorn/glogging.py", "access"),
    ("waiting for PostgreSQL (psycopg's wait)", "psycopg/connection.py", "wait"),
)
#: The logins before the pages (an argon2 hash each): left out of the whole.
LOGIN = ("backoffice/web/auth.py", "login")


def served_app() -> Any:
    """The product's app as ``backoffice.wsgi`` makes it, for the gunicorn workers of ``--http``.

    With ``BENCH_PROFILE_DIR`` set, each worker thread profiles (cProfile) every request it handles, from reading
    it off the socket to the last byte written, and the worker leaves its profile there when it exits: the server
    is the production one (``deploy/gunicorn.conf.py``), so its own costs are in the profile as they are in
    production.
    """
    import atexit
    import cProfile
    import threading

    from gunicorn.workers import gthread

    from backoffice.app import create_app

    app = create_app()
    folder = os.environ.get("BENCH_PROFILE_DIR")
    if not folder:
        return app
    profiles: list[cProfile.Profile] = []
    local = threading.local()
    handle = gthread.ThreadWorker.handle

    def profiled(worker: Any, conn: Any) -> Any:
        profile = getattr(local, "profile", None)
        if profile is None:
            profile = local.profile = cProfile.Profile()
            profiles.append(profile)
        profile.enable()
        try:
            return handle(worker, conn)
        finally:
            profile.disable()

    def save() -> None:
        if profiles:
            stats = pstats.Stats(profiles[0])
            for profile in profiles[1:]:
                stats.add(profile)
            stats.dump_stats(str(Path(folder) / f"{os.getpid()}.prof"))

    gthread.ThreadWorker.handle = profiled  # type: ignore[method-assign]
    atexit.register(save)
    return app


class Browser:
    """One keep-alive HTTP connection with its cookies, as a browser holds them."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # The server closed the idle keep-alive connection ([server] keepalive_seconds): open another.
            self.connection.close()
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        text_ = response.read().decode()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            value, _, attributes = rest.partition(";")
            if "Max-Age=0" in attributes:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response.status, text_

    def log_in(self, login: str) -> Browser:
        from urllib.parse import urlencode

        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', self.request("GET", "/staff/login")[1])
        assert token is not None, "no login form"
        form = urlencode({"login": login, "password": PASSWORD, "csrf_token": token.group(1)})
        assert self.request("POST", "/staff/login", form)[0] == 302, "bench login failed"
        return self

    def page(self, path: str) -> None:
        status, _body = self.request("GET", path)
        assert status == 200, (path, status)


def serve(tree: Path, url: str, folder: Path, profile: bool = False) -> tuple[subprocess.Popen[bytes], int]:
    """gunicorn with the production settings (``deploy/gunicorn.conf.py`` of ``tree``, ``[server]`` of its
    config.toml: two workers of four threads, keep-alive) serving ``tree``'s code on a free port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    instance = folder / f"instance-{port}"
    env = {
        **os.environ,
        "BACKOFFICE_SECRET_KEY": SECRET,
        "BACKOFFICE_CODE_KEY": SECRET,
        "BACKOFFICE_DATABASE_URL": url,
        "BACKOFFICE_SITE_INSTANCE_DIR": str(instance),
        "BACKOFFICE_SERVER_BIND": f"127.0.0.1:{port}",
        # The tree's own code first; this file (for ``served_app``) only as the top-level module queue_bench.
        "PYTHONPATH": os.pathsep.join([str(tree), str(REPO / "bench")]),
    }
    if profile:
        (folder / f"profile-{port}").mkdir()
        env["BENCH_PROFILE_DIR"] = str(folder / f"profile-{port}")
    log = (folder / f"gunicorn-{port}.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(tree / "deploy" / "gunicorn.conf.py"), "queue_bench:served_app()"],
        cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=log,
    )
    await_server(proc, port, "/healthz", 600, f"gunicorn did not start: {folder / f'gunicorn-{port}.log'}")
    return proc, port


def await_server(proc: subprocess.Popen[bytes], port: int, path: str, tries: int, failure: str) -> None:
    """Wait until a server just started answers GET ``path`` with 200, trying ``tries`` times (a tenth of a second
    apart while it refuses connections); one that never does is stopped and the bench fails with ``failure``."""
    for _ in range(tries):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", path)
            if connection.getresponse().status == 200:
                connection.close()
                return
        except OSError:
            time.sleep(0.1)
    proc.terminate()
    raise RuntimeError(failure)


def cpu_seconds(master: int) -> float:
    """CPU time (user and system) used so far by a gunicorn master and its workers: on a machine whose CPUs
    are shared, what a request costs the server, unlike its wall time, does not depend on who else is running."""
    pids = [master, *map(int, Path(f"/proc/{master}/task/{master}/children").read_text().split())]
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()  # gunicorn's graceful stop: the workers exit (and leave their profiles)
    proc.wait(timeout=60)


def over_http(url: str, trees: dict[str, Path], rounds: int, per_round: int) -> None:
    """Each tree's queue pages over HTTP at one client, served the same way, in alternating rounds; then a
    profile of each tree's pages (a server of its own, profiled, so the timings above carry no profiler)."""
    folder = Path(tempfile.mkdtemp(prefix="queue-bench-http-"))
    servers = {name: serve(tree, url, folder) for name, tree in trees.items()}
    try:
        browsers = {
            name: {login: Browser(port).log_in(login) for login, _path in HTTP_PAGES}
            for name, (_proc, port) in servers.items()
        }
        for login, path in HTTP_PAGES:
            for name in trees:
                for _ in range(20):  # warm-up: both workers, their pools, caches and compiled statements
                    browsers[name][login].page(path)
            times: dict[str, list[float]] = {name: [] for name in trees}
            cpu: dict[str, list[float]] = {name: [] for name in trees}
            for turn in range(rounds):
                names = list(trees) if turn % 2 == 0 else list(trees)[::-1]
                for name in names:
                    browser = browsers[name][login]
                    samples = []
                    used = cpu_seconds(servers[name][0].pid)
                    for _ in range(per_round):
                        start = time.perf_counter()
                        browser.page(path)
                        samples.append((time.perf_counter() - start) * 1000)
                    cpu[name].append((cpu_seconds(servers[name][0].pid) - used) / per_round * 1000)
                    times[name].append(statistics.median(samples))
            print(f"  {path} as {login}, one client, {per_round} requests a round, {rounds} rounds "
                  "(median of the rounds, and their range):")
            for name in trees:
                print(f"    {name}: latency {statistics.median(times[name]):.2f} ms "
                      f"({min(times[name]):.2f}–{max(times[name]):.2f}), server CPU "
                      f"{statistics.median(cpu[name]):.2f} ms a request ({min(cpu[name]):.2f}–{max(cpu[name]):.2f})")
            if len(trees) == 2:
                first, second = trees
                for what, figures in (("latency", times), ("server CPU", cpu)):
                    ratios = [a / b for a, b in zip(figures[first], figures[second], strict=True)]
                    print(f"    {what}, {first} ÷ {second}, round by round: {statistics.median(ratios):.2f}× "
                          f"({min(ratios):.2f}–{max(ratios):.2f})")
    finally:
        for proc, _port in servers.values():
            stop(proc)
    for name, tree in trees.items():
        profile_pages(name, tree, url, folder)


def profile_pages(name: str, tree: Path, url: str, folder: Path, requests: int = 300) -> None:
    """Where the time of a queue page goes, by cumulative time of the calls in ``PARTS``, as a share of the
    whole request (cProfile counts time in calls, so the shares are of a profiled request)."""
    proc, port = serve(tree, url, folder, profile=True)
    try:
        for login, path in HTTP_PAGES:
            browser = Browser(port).log_in(login)
            for _ in range(requests):
                browser.page(path)
    finally:
        stop(proc)
    files = sorted((folder / f"profile-{port}").glob("*.prof"))
    stats = pstats.Stats(*map(str, files))
    by_name: dict[tuple[str, str], float] = {}
    for (filename, _line, function), (_cc, _nc, _tt, cumulative, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        for suffix, wanted in [(suffix, wanted) for _what, suffix, wanted in PARTS] + [LOGIN]:
            if function == wanted and filename.endswith(suffix):
                by_name[(suffix, wanted)] = by_name.get((suffix, wanted), 0.0) + cumulative
    by_name[PARTS[0][1:]] = whole = by_name.get(PARTS[0][1:], 0.0) - by_name.get(LOGIN, 0.0)
    calls = requests * len(HTTP_PAGES)
    print(f"  {name}: profile of {calls} requests ({', '.join(p for _l, p in HTTP_PAGES)}), "
          f"{whole / calls * 1000:.2f} ms a request under the profiler")
    for what, suffix, function in PARTS:
        spent = by_name.get((suffix, function), 0.0)
        if spent:
            print(f"    {spent / whole * 100:5.1f} %  {what}")
    stats.sort_stats("tottime").print_stats(25)

if __name__ == "__main__":
    main()
