"""Benchmark: code redemptions served by the production server against bare argon2id hashes in warm processes.

Run from the repository root (PostgreSQL on 127.0.0.1:5432, or BACKOFFICE_TEST_PG_URL):

    .venv/bin/python bench/redemption_bench.py [--rounds 5] [--codes 60] [--clients 8] [--seconds 5]

What is compared with what (issue #20, "code redemptions (2 workers) ≥ 0.95× bare argon2id hashes in warm
processes, timed per hash"):

* **A, the product**: ``backoffice.wsgi:app`` as ``backoffice serve`` serves it (gunicorn,
  ``deploy/gunicorn.conf.py``, the ``[server]`` defaults: two gthread workers of four threads), **rate limits on**.
  ``--codes`` fresh registration codes (usual, short code words: one argon2id hash a redemption) are redeemed
  with full ``POST /company`` submissions (code, EDRPOU, login, password, CSRF token), ``--clients`` at a time:
  redemptions per second, wall clock, first submit to last answer. Each customer's submit comes from an address
  of its own in a /24 of its own (``X-Forwarded-For``, with ``trusted_proxies = 1`` as behind nginx), so the
  limits are checked on every submit, as in production, and none refuses.
* **B, bare argon2id**: two processes, started and warmed up (one hash each) before the rounds and kept for the
  whole run, their allocator set as a served worker's (``server.reuse_hash_memory``, gunicorn's ``post_fork``),
  hash with the product's hasher (``backoffice.passwords.hash_secret``, the same parameters) for ``--seconds``;
  each hash is timed on its own (``time.perf_counter`` around the call), and a process's rate is its hashes
  divided by the time spent inside them. B is the sum of the two processes' rates: no process start,
  no pool hand-over, no loop overhead is counted.
* **Alternation**: each round runs A and B one right after the other, the order swapped every other round; the
  ratio A/B is taken within each round, and the report gives the median and range of the rounds.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(BENCH))

PASSWORD = "Blue-Rivers-Sing-2026"


def _warm(_: int) -> None:
    """A bare process set up as a served worker is (``post_fork``: the allocator keeps a hash's memory), then one
    hash, so that neither side pays for mapping the 64 MiB afresh where the other does not."""
    from backoffice.monitoring.server import reuse_hash_memory
    from backoffice.passwords import hash_secret

    reuse_hash_memory()
    hash_secret(PASSWORD)


def _hash_for(seconds: float) -> tuple[int, float]:
    """Hashes made in ``seconds`` and the time spent inside them."""
    from backoffice.passwords import hash_secret

    stop, n, inside = time.monotonic() + seconds, 0, 0.0
    while time.monotonic() < stop:
        started = time.perf_counter()
        hash_secret(PASSWORD)
        inside += time.perf_counter() - started
        n += 1
    return n, inside


def bare_hashes(pool: multiprocessing.pool.Pool, seconds: float) -> float:
    return sum(n / inside for n, inside in pool.map(_hash_for, [seconds, seconds], chunksize=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--codes", type=int, default=60, help="redemptions per round")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0, help="bare hashing per round")
    args = parser.parse_args()

    from http_bench import gunicorn, load, machine, spread
    from registration_bench import database, prepare, redemptions

    from backoffice.passwords import _hasher

    os.environ["BACKOFFICE_SERVER_TRUSTED_PROXIES"] = "1"
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"machine: {machine()}")
    print(f"argon2id: t={_hasher.time_cost} m={_hasher.memory_cost} KiB p={_hasher.parallelism}")
    products: list[float] = []
    bares: list[float] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        url, drop = database(tmp)
        try:
            usual, _long = prepare(url, tmp, args.codes * (args.rounds + 1))
            with multiprocessing.get_context("spawn").Pool(2) as pool, \
                    gunicorn("backoffice.wsgi:app", url, tmp, "product") as (port, _pid):
                pool.map(_warm, [0, 1], chunksize=1)
                redemptions(port, usual[: args.codes], args.clients, "warm", 0)  # warms every worker and thread
                print(f"load average before: {load()}", flush=True)
                for turn in range(args.rounds):
                    batch = usual[(turn + 1) * args.codes: (turn + 2) * args.codes]
                    first = (turn + 1) * args.codes
                    steps = ["product", "bare"] if turn % 2 == 0 else ["bare", "product"]
                    for step in steps:
                        if step == "product":
                            products.append(redemptions(port, batch, args.clients, f"r{turn}", first))
                        else:
                            bares.append(bare_hashes(pool, args.seconds))
                    print(f"  round {turn + 1}: product {products[-1]:.2f}/s, bare {bares[-1]:.2f}/s, "
                          f"ratio {products[-1] / bares[-1]:.3f}, load {load()}", flush=True)
        finally:
            if drop:
                drop()
    print(f"load average after: {load()}")
    ratios = [a / b for a, b in zip(products, bares, strict=True)]
    print(f"{args.rounds} rounds, {args.codes} redemptions and {args.seconds:g} s of bare hashing each; "
          "median (lowest–highest)")
    print(f"redemptions (2 workers × 4 threads):  {spread(products, 2)} /s")
    print(f"bare argon2id, 2 warm processes:      {spread(bares, 2)} /s")
    print(f"redemptions / bare:                   {spread(ratios, 3)}×   (target ≥ 0.95)")


if __name__ == "__main__":
    main()
