"""Benchmark: the queue's data layer with the engine's cursor (description built when read) and with psycopg's own.

Run from the repository root, on a database filled by ``bench/queue_bench.py --keep`` (or ``http_bench.py
--keep``):

    .venv/bin/python bench/description_bench.py --database NAME [--rounds 400] [--number 5]

One process, one connection, one session: ``queue.page`` for a supervisor's exact EDRPOU search and for the
state filter, as ``queue_bench.py`` times them. Each round runs ``--number`` pages with the connection's
``cursor_factory`` set to ``backoffice.pg_cursor.Cursor`` (the product's) and as many with ``psycopg.Cursor``,
in alternating order, so both share whatever the machine is doing. The report gives each side's median time a
page and the median of the rounds' ratios with its quartiles.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database", required=True, help="a database filled by queue_bench.py --keep")
    parser.add_argument("--rounds", type=int, default=400)
    parser.add_argument("--number", type=int, default=5, help="pages in a row a round and side")
    args = parser.parse_args()

    import psycopg
    from http_bench import PG, SECRET, machine
    from sqlalchemy.engine import make_url

    from backoffice import settings as settings_module
    from backoffice.actors import Actor
    from backoffice.admin import queue
    from backoffice.app import create_app
    from backoffice.pg_cursor import Cursor
    from workflows.roles import Role

    url = make_url(PG).set(database=args.database).render_as_string(hide_password=False)
    settings = settings_module.load(
        environ={**os.environ, "BACKOFFICE_SECRET_KEY": SECRET, "BACKOFFICE_CODE_KEY": SECRET},
        overrides={"database": {"url": url}, "site": {"instance_dir": tempfile.mkdtemp(prefix="description-")}},
    )
    session = create_app(settings).extensions["backoffice.db"].sessions()
    connection = session.connection().connection.dbapi_connection
    with connection.cursor() as cur:  # the EDRPOU queue_bench.py searches for
        cur.execute("SELECT count(*) FROM application")
        total = cur.fetchone()[0]
        cur.execute("SELECT identifier FROM application ORDER BY id DESC LIMIT 1 OFFSET %s", (total * 2 // 9,))
        edrpou = cur.fetchone()[0]
    chief = Actor(Role.SUPERVISOR, "chief", 61, None)
    pages = {
        "exact EDRPOU search": queue.QueueFilters.from_args({"scope": "all", "q": edrpou}),
        "state filter": queue.QueueFilters.from_args({"scope": "all", "state": "awaiting_confirmation_call"}),
    }
    sides = {"when read": Cursor, "psycopg's": psycopg.Cursor}
    print(machine(), "; load average", Path("/proc/loadavg").read_text().split()[:3])
    for name, filters in pages.items():
        for _ in range(30):  # compiled, cached and warm before anything is timed
            queue.page(session, chief, filters)
        times: dict[str, list[float]] = {side: [] for side in sides}
        ratios = []
        for turn in range(args.rounds):
            order = list(sides) if turn % 2 == 0 else list(reversed(sides))
            for side in order:
                connection.cursor_factory = sides[side]
                start = time.perf_counter()
                for _ in range(args.number):
                    queue.page(session, chief, filters)
                times[side].append((time.perf_counter() - start) / args.number)
            ratios.append(times["when read"][-1] / times["psycopg's"][-1])
        low, mid, high = statistics.quantiles(ratios, n=4)
        lazy, stock = (statistics.median(times[side]) * 1e6 for side in sides)
        print(
            f"{name}: description when read {lazy:.0f} µs a page, psycopg's {stock:.0f} µs; "
            f"ratio {mid:.3f} (quartiles {low:.3f}–{high:.3f}) over {args.rounds} rounds"
        )
    print("load average", Path("/proc/loadavg").read_text().split()[:3])


if __name__ == "__main__":
    main()
