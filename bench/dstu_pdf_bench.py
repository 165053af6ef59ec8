"""Benchmark: a one-page PDF signed with DSTU 4145 through the whole verifier, beside the same PDF signed with ECDSA.

Run from the repository root:

    .venv/bin/python bench/dstu_pdf_bench.py [--rounds 7] [--files 10]

Both files are the same one-page PDF with the same signature field and byte range: pyHanko signs it with ECDSA
P-256 (the signature tests' PKI), and the DSTU twin carries a DSTU 4145 CAdES over exactly the same bytes (the
signature tests' DSTU PKI, m = 257, GOST 34.311 digests). Each side has its own ``signatures.Verifier`` (one
isolated worker, as the intake uses it) with its own trust root, CRLs and a fixed validation time, so both come
out TOTAL_PASSED. Each round verifies ``--files`` times with each verifier, the order alternating per round;
the figures are medians of the per-file wall time with the per-round range, and the DSTU/ECDSA ratio is taken
per round, so a change in the machine's load hits both sides. The test PKIs are built by the signature tests'
own helpers (``tests/signatures``): the benchmark verifies what the tests verify.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import signatures  # noqa: E402
from tests.signatures.conftest import Docs, Dstu, build_pki  # noqa: E402
from tests.signatures.dstu_pki import build_dstu_pki  # noqa: E402


def per_file(verifier: signatures.Verifier, data: bytes, files: int) -> float:
    start = time.perf_counter()
    for _ in range(files):
        report = verifier.verify(data, filename="zayava.pdf")
        if report.indication.value != "TOTAL_PASSED":
            raise SystemExit(f"not a pass: {report.indication.value} {report.sub_indication} {report.details}")
    return (time.perf_counter() - start) / files


def fmt(values: list[float], scale: float = 1000.0, unit: str = " ms") -> str:
    return f"{statistics.median(values) * scale:.1f}{unit} ({min(values) * scale:.1f}–{max(values) * scale:.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--files", type=int, default=10)
    args = parser.parse_args()

    pki = build_pki()
    docs = Docs(pki)
    dstu = Dstu(build_dstu_pki(), docs)
    ecdsa_pdf = docs.signed_pdf_reserved()
    dstu_pdf = dstu.pdf()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"PDF sizes: ECDSA {len(ecdsa_pdf)} bytes, DSTU {len(dstu_pdf)} bytes")

    ecdsa_times: list[float] = []
    dstu_times: list[float] = []
    ratios: list[float] = []
    with signatures.Verifier(pki.policy()) as ecdsa, signatures.Verifier(dstu.policy()) as national:
        per_file(ecdsa, ecdsa_pdf, 1)  # warm both workers: imports, the curve's table
        per_file(national, dstu_pdf, 1)
        for round_ in range(args.rounds):
            if round_ % 2:
                d = per_file(national, dstu_pdf, args.files)
                e = per_file(ecdsa, ecdsa_pdf, args.files)
            else:
                e = per_file(ecdsa, ecdsa_pdf, args.files)
                d = per_file(national, dstu_pdf, args.files)
            ecdsa_times.append(e)
            dstu_times.append(d)
            ratios.append(d / e)
    print(f"ECDSA P-256 PDF, per file: {fmt(ecdsa_times)}")
    print(f"DSTU 4145 PDF, per file:   {fmt(dstu_times)}")
    print(f"DSTU / ECDSA:              {fmt(ratios, 1.0, '×')}  (target ≤ 5×)")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
