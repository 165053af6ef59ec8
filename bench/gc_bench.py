"""Benchmark: the garbage collector's share of a page, with Python's defaults and as a served worker sets it.

Run from the repository root, on a database filled by ``bench/http_bench.py --keep`` (or ``queue_bench.py
--keep``):

    .venv/bin/python bench/gc_bench.py --database NAME [--pages 1500] [--rounds 4] [--path /admin/applications/]
    .venv/bin/python bench/gc_bench.py --database NAME --tree DIR     # the code of another checkout

One process serves the page through Flask's test client to operator ``op7`` (logged in once) and times, with
``gc.callbacks``, every collection the pages cause: how long each generation's collections took in all and how
often they ran. That is the collector's own time, read directly, so it does not need the quiet machine a page's
total time would. The two settings take turns in the same process, round after round:

* **default**: Python's thresholds (700, 10, 10), nothing frozen, as a worker had them before;
* **worker**: what ``backoffice.monitoring.server.settle_loaded_app`` does in each gunicorn worker once the app is
  loaded: every object alive then frozen (``gc.freeze``), and a young collection after 10,000 objects.

``gc.unfreeze`` puts the frozen objects back before each "default" round. The report gives, per setting, the
median over the rounds of the collector's milliseconds a page and of the page's wall time (for scale only).
"""

from __future__ import annotations

import argparse
import collections
import gc
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
sys.path.insert(0, str(BENCH))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database", required=True, help="a database filled by http_bench.py --keep")
    parser.add_argument("--pages", type=int, default=1500, help="pages a round and setting")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--path", default="/admin/applications/")
    parser.add_argument("--tree", type=Path, default=REPO, help="the checkout whose code is measured")
    args = parser.parse_args()

    from http_bench import PG, SECRET, load, machine  # puts this checkout first on the path

    sys.path.insert(0, str(args.tree))  # ahead of it, before anything imports the product
    from queue_bench import PASSWORD
    from sqlalchemy.engine import make_url

    from backoffice import settings as settings_module
    from backoffice.app import create_app

    url = make_url(PG).set(database=args.database).render_as_string(hide_password=False)
    settings = settings_module.load(
        environ={**os.environ, "BACKOFFICE_SECRET_KEY": SECRET, "BACKOFFICE_CODE_KEY": SECRET},
        overrides={"database": {"url": url}, "site": {"instance_dir": tempfile.mkdtemp(prefix="gc-bench-")}},
    )
    app = create_app(settings)
    print(f"code: {Path(sys.modules['backoffice'].__file__ or '').parent.parent}")
    client = app.test_client()
    form = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/staff/login").text)
    assert form is not None
    answer = client.post("/staff/login", data={"login": "op7", "password": PASSWORD, "csrf_token": form.group(1)})
    assert answer.status_code == 302, "bench login failed"
    for _ in range(100):  # warm: compiled statements, templates, the staff directory
        assert client.get(args.path).status_code == 200

    spent: collections.Counter[int] = collections.Counter()
    runs: collections.Counter[int] = collections.Counter()
    started = [0.0]

    def timed(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            spent[info["generation"]] += time.perf_counter() - started[0]
            runs[info["generation"]] += 1

    def default() -> None:
        gc.unfreeze()
        gc.set_threshold(700, 10, 10)

    def worker() -> None:
        gc.collect()
        gc.freeze()
        gc.set_threshold(10_000, 10, 10)

    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"machine: {machine()}; load average before: {load()}")
    results: dict[str, list[tuple[float, float, dict[int, float]]]] = {"default": [], "worker": []}
    gc.callbacks.append(timed)
    for turn in range(args.rounds):
        order = ("default", "worker") if turn % 2 == 0 else ("worker", "default")
        for name in order:
            (default if name == "default" else worker)()
            spent.clear()
            runs.clear()
            begun = time.perf_counter()
            for _ in range(args.pages):
                client.get(args.path)
            wall = time.perf_counter() - begun
            per_gen = {g: runs[g] / args.pages for g in range(3)}
            results[name].append((sum(spent.values()) / args.pages * 1e3, wall / args.pages * 1e3, per_gen))
    gc.callbacks.remove(timed)
    print(f"load average after: {load()}")
    print(f"{args.rounds} rounds of {args.pages} pages of {args.path} per setting; median (lowest–highest)")
    print("| setting | collector ms a page | page ms (wall) | collections a page: young, middle, full |")
    print("|---|---|---|---|")
    for name, rows in results.items():
        gcs, walls = [r[0] for r in rows], [r[1] for r in rows]
        counts = ", ".join(f"{statistics.median(r[2][g] for r in rows):.3f}" for g in range(3))
        print(f"| {name} | {statistics.median(gcs):.3f} ({min(gcs):.3f}–{max(gcs):.3f}) "
              f"| {statistics.median(walls):.2f} ({min(walls):.2f}–{max(walls):.2f}) | {counts} |")


if __name__ == "__main__":
    main()
