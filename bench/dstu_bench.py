"""Benchmark: pure-Python GOST 34.311 throughput beside hashlib.sha256, DSTU 4145 verifications per second.

Run from the repository root:

    .venv/bin/python bench/dstu_bench.py [--rounds 7] [--megabytes 1] [--verifications 20]

Each round hashes the same buffer with GOST 34.311 and SHA-256 (order alternating per round), then verifies
the same freshly made signatures at m = 257 and m = 431 (order alternating too).  Figures are medians over the
rounds with the per-round range; the GOST/SHA-256 ratio is computed per round, so load drift hits both sides.
Wall-clock and process CPU time are both reported: on a shared machine the wall time includes waiting for a
core.  Verification uses decoded, validated keys (what a verifier holding the certificate's key does); the one-off
costs — the curve's fixed-base table (first use of a curve in a process) and decoding plus validating a
compressed key (the n*Q check) — are printed separately.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from signatures.dstu import (  # noqa: E402
    PublicKey,
    curve_for_degree,
    encode_signature,
    gost34311,
    public_key_from_private,
    sign_digest,
    verify,
)


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def cpu_timed(fn: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU seconds of this process: on a shared machine the CPU time shows what the code costs."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def fmt(values: list[float], unit: str = "", digits: int = 2) -> str:
    return f"{statistics.median(values):.{digits}f}{unit} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--megabytes", type=float, default=1.0)
    parser.add_argument("--verifications", type=int, default=20)
    args = parser.parse_args()

    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    data = os.urandom(int(args.megabytes * 1024 * 1024))
    setups = {}
    for m in (257, 431):
        curve = curve_for_degree(m)
        first = timed(lambda curve=curve: curve.mul_base(1))  # builds the fixed-base table
        d = 0x1234567 + m
        compressed = public_key_from_private(curve, d).to_compressed()
        decode = timed(lambda curve=curve, compressed=compressed: PublicKey.from_compressed(compressed, curve))
        key = PublicKey.from_compressed(compressed, curve)
        items = []
        for i in range(args.verifications):
            digest = gost34311(b"document %d" % i)
            items.append((digest, encode_signature(curve, *sign_digest(curve, d, digest))))
        setups[m] = (key, items)
        print(f"m = {m}: fixed-base table {first * 1000:.0f} ms once per process; key decode + validation "
              f"{decode * 1000:.1f} ms once per key")

    gost_mbs: list[float] = []
    gost_cpu_mbs: list[float] = []
    sha_mbs: list[float] = []
    ratio: list[float] = []
    per_sec: dict[int, list[float]] = {257: [], 431: []}
    ms_each: dict[int, list[float]] = {257: [], 431: []}
    cpu_ms_each: dict[int, list[float]] = {257: [], 431: []}
    size_mb = len(data) / (1024 * 1024)
    for round_index in range(args.rounds):
        hashers = [("gost", lambda: gost34311(data)), ("sha", lambda: hashlib.sha256(data).digest())]
        if round_index % 2:
            hashers.reverse()
        seconds = {name: cpu_timed(fn) for name, fn in hashers}
        gost_mbs.append(size_mb / seconds["gost"][0])
        gost_cpu_mbs.append(size_mb / max(seconds["gost"][1], 1e-9))
        sha_mbs.append(size_mb / seconds["sha"][0])
        ratio.append(seconds["gost"][0] / seconds["sha"][0])
        order = [257, 431] if round_index % 2 == 0 else [431, 257]
        for m in order:
            key, items = setups[m]

            def run(key: PublicKey = key, items: list[tuple[bytes, bytes]] = items) -> None:
                for digest, raw in items:
                    if not verify(key, digest, raw):
                        raise SystemExit("verification failed")

            elapsed, cpu = cpu_timed(run)
            per_sec[m].append(len(items) / elapsed)
            ms_each[m].append(1000 * elapsed / len(items))
            cpu_ms_each[m].append(1000 * cpu / len(items))

    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"rounds: {args.rounds}, buffer {size_mb:g} MiB, {args.verifications} verifications per curve per round")
    print(f"GOST 34.311 MB/s:       {fmt(gost_mbs)}; per CPU second {fmt(gost_cpu_mbs)}")
    print(f"hashlib.sha256 MB/s:    {fmt(sha_mbs, digits=0)}")
    print(f"GOST time / SHA-256:    {fmt(ratio, digits=0)}")
    for m in (257, 431):
        print(
            f"DSTU 4145 m={m}: verifications/s {fmt(per_sec[m], digits=1)}, ms each {fmt(ms_each[m], digits=1)}, "
            f"CPU ms each {fmt(cpu_ms_each[m], digits=1)}"
        )


if __name__ == "__main__":
    main()
