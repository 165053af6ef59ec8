"""Benchmark: 1,000 mixed messages through ``backoffice intake poll`` from a Maildir, on SQLite and PostgreSQL.

Run from the repository root:

    .venv/bin/python bench/intake_bench.py [--count 1000] [--big-mb 25] [--backend sqlite|postgresql|both]
        [--rounds 5] [--profile FILE] [--baseline DIR]

The messages are built like the test corpus (Outlook, Thunderbird and Gmail encodings, scans, photos, zips,
filled forms, signed PDFs, auto-replies, letters without attachments) plus one message with a large scan.
Each run is a fresh database and a fresh ``backoffice intake poll`` process; the figures are its wall time
(start-up included) and its peak resident memory (``ru_maxrss`` of that process, from ``wait4`` in a small
launcher: see :data:`_LAUNCHER`). The
signature verifier's forked children are not part of the poll process's peak.

``--rounds`` runs each backend that many times (a fresh database and a fresh copy of the Maildir each round) and
prints the median and the range, with ``/proc/loadavg`` before and after: the machine is shared, and one round
says little. ``--profile FILE`` runs the poll under cProfile and writes its statistics to FILE (one round only:
the profiler slows the process down, so those rounds are not timed). ``--baseline DIR`` also runs, in each
round and just before the current code, the code of another checkout (``git archive <commit> | tar -x -C DIR``),
put first on the poll's ``PYTHONPATH``: before and after measured alternately, under the same load.
"""

from __future__ import annotations

import argparse
import array
import logging
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from backoffice import migrate  # noqa: E402
from tests.backoffice.intake import corpus  # noqa: E402

PG = os.environ.get("BACKOFFICE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def build_maildir(root: Path, count: int, big_mb: int) -> dict[str, int]:
    rng = random.Random(42)
    for sub in ("tmp", "new", "cur"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    signed = corpus.signed_pdf() if corpus.CORPUS.exists() else None
    kinds: dict[str, int] = {}

    def drop(kind: str, data: bytes) -> None:
        kinds[kind] = kinds.get(kind, 0) + 1
        (root / "new" / f"{time.time_ns()}.{uuid.uuid4().hex[:8]}.bench").write_bytes(data)

    drop("big", corpus.outlook("Скан великий.pdf", corpus.tiny_pdf() + b"%" + os.urandom(big_mb * 1024 * 1024)))
    for i in range(count - 1):
        roll = rng.random()
        scan = corpus.tiny_pdf(str(i)) + b"%" + os.urandom(rng.randint(50_000, 400_000))
        if roll < 0.35:
            drop("outlook scan", corpus.outlook(f"Заява {i}.pdf", scan))
        elif roll < 0.55:
            drop("thunderbird scan", corpus.thunderbird(f"Заява про приєднання {i}.pdf", scan))
        elif roll < 0.70:
            drop(
                "gmail photo",
                corpus.gmail(
                    f"Фото {i}.jpg",
                    corpus.jpeg(rng.randint(100_000, 900_000)),
                    content_type="image/jpeg",
                    message_id=None,
                ),
            )
        elif roll < 0.78:
            archive = corpus.zip_of({f"Заява {i}.pdf": scan, "Довіреність.pdf": corpus.tiny_pdf("d")})
            drop(
                "zip",
                corpus.with_attachments(
                    [("application/zip", archive, 'Content-Disposition: attachment; filename="docs.zip"')]
                ),
            )
        elif roll < 0.84:
            drop(
                "filled form",
                corpus.gmail(
                    "form.pdf",
                    corpus.filled_form(
                        {
                            "consumer_name": f"ТОВ «Бенч {i}»",
                            "identifier": "32855961",
                            "email": f"c{i}@example.ua",
                            "phones": "067 123 45 67",
                            "code_word": "Кобзар",
                            "contact_name": "Іваненко Іван",
                        }
                    ),
                ),
            )
        elif roll < 0.88 and signed is not None:
            drop("signed pdf", corpus.gmail(f"Заява КЕП {i}.pdf", signed + f"\n%{i}\n".encode()))
        elif roll < 0.94:
            drop("auto-reply", corpus.auto_reply())
        else:
            drop(
                "no attachment",
                corpus.message(
                    corpus.headers(subject=f"Питання {i}"), 'text/plain; charset="utf-8"', "Як подати заяву?"
                ),
            )
    return kinds


#: Runs the poll as its own child and writes that child's peak memory to the file named first. Why not wait4 on the
#: poll straight from this process: Linux keeps a process's peak across exec, so a child forked from this process
#: (which holds the whole corpus, 230 MB with the 25 MB message) reports at least this process's peak whatever it
#: uses itself. Every figure before 6 Dec 2026 was this process's size; the small launcher makes a clean parent.
_LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


class _Peaks(threading.Thread):
    """The peak resident memory (``VmHWM``) of the poll process itself and of each of its lanes (the processes it
    spawns: ``multiprocessing.spawn`` in their command line), read from /proc every 0.1 s while the poll runs, the
    largest sum of their resident memory (``VmRSS``) at one reading, and the most physical memory they held at one
    reading with each page counted once.

    ``wait4`` gives only the largest of the poll and the children it reaped; with lanes the intake's memory is
    the poll's and the lanes' together. The peaks added up are an upper bound (the processes need not peak at
    the same moment). The sum at one reading still counts twice every page the processes share: the code of
    Python and of the libraries they both load (libpq, OpenSSL, the compiled parts of SQLAlchemy, …), mapped from
    the same files. The physical pages are the frames ``/proc/PID/pagemap`` gives for each process, as a set; only
    root may read frame numbers, so elsewhere that figure is left out. Reading them costs about 7 ms of CPU a
    process, which the poll, using both cores, would lose: they are read only at a reading whose sum is within
    2 MB of the largest so far, where their most lies, and at most every 0.5 s. The signature verifier's
    short-lived forks share the poll's pages and are left out.
    """

    def __init__(self, launcher: int) -> None:
        super().__init__(daemon=True)
        self.launcher = launcher
        self.poll_kb = 0
        self.lanes_kb: dict[int, int] = {}
        self.at_once_kb = 0
        self.in_memory_kb: int | None = 0  # None: the frame numbers cannot be read here
        self.done = threading.Event()

    def run(self) -> None:
        frames_next = 0.0
        while not self.done.is_set():
            now_kb = 0
            measured: list[int] = []
            for pid, depth in _descendants(self.launcher):
                try:
                    spawned = b"multiprocessing.spawn" in Path(f"/proc/{pid}/cmdline").read_bytes()
                    if depth > 1 and not spawned:
                        continue
                    status = Path(f"/proc/{pid}/status").read_text()
                except OSError:  # gone meanwhile
                    continue
                kb = _status_kb(status, "VmHWM:")
                now_kb += _status_kb(status, "VmRSS:")
                measured.append(pid)
                if depth == 1:
                    self.poll_kb = max(self.poll_kb, kb)
                else:
                    self.lanes_kb[pid] = max(self.lanes_kb.get(pid, 0), kb)
            if (
                self.in_memory_kb is not None
                and measured
                and now_kb >= self.at_once_kb - 2048
                and time.monotonic() >= frames_next
            ):
                frames = _frames(measured)
                self.in_memory_kb = None if frames is None else max(self.in_memory_kb, len(frames) * PAGE_KB)
                frames_next = time.monotonic() + 0.5
            self.at_once_kb = max(self.at_once_kb, now_kb)
            self.done.wait(0.1)


PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
#: A page table entry of /proc/PID/pagemap: bit 63 "present", bits 0–54 the frame number.
_PRESENT, _FRAME = 1 << 63, (1 << 55) - 1


def _frames(pids: list[int]) -> set[int] | None:
    """The physical page frames the processes ``pids`` hold in memory, each once; None where the frame numbers
    cannot be read (the kernel shows them to root only, as zeros to anyone else). A process gone meanwhile
    counts for nothing, and all of them gone is an empty set, not an unreadable one."""
    frames: set[int] = set()
    for pid in pids:
        try:
            with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/pagemap", "rb", buffering=0) as pagemap:
                for line in maps:
                    start, end = (int(x, 16) for x in line.split(None, 1)[0].split("-"))
                    if start >= 1 << 47:  # [vsyscall]: no table entries to read
                        continue
                    pagemap.seek(start // (PAGE_KB * 1024) * 8)
                    entries = array.array("Q", pagemap.read((end - start) // (PAGE_KB * 1024) * 8))
                    frames.update(e & _FRAME for e in entries if e & _PRESENT)
        except OSError:
            continue
    return None if frames == {0} else frames


def _status_kb(status: str, field: str) -> int:
    """A size in kB from the text of /proc/PID/status."""
    return next((int(line.split()[1]) for line in status.splitlines() if line.startswith(field)), 0)


def _descendants(root: int, depth: int = 0) -> Iterator[tuple[int, int]]:
    """(pid, depth below ``root``) of every living descendant of ``root``."""
    try:
        tasks = list(Path(f"/proc/{root}/task").iterdir())
    except OSError:
        return
    for task in tasks:
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            yield child, depth + 1
            yield from _descendants(child, depth + 1)


def _entry_script(tree: Path, work: Path) -> str:
    """The ``backoffice`` console script of another checkout, as pip writes it from that tree's ``setup.cfg``: the
    entry point moves between commits, and the installed script names this tree's (a spawned lane imports the
    script again, so what it imports is part of the measure)."""
    entry = re.search(r"^\s*backoffice\s*=\s*([\w.]+):(\w+)", (tree / "setup.cfg").read_text(), re.M)
    assert entry is not None, f"no backoffice console script in {tree / 'setup.cfg'}"
    script = work / f"backoffice-{tree.name}"
    script.write_text(
        f"import sys\nfrom {entry[1]} import {entry[2]}\n"
        f"if __name__ == '__main__':\n    sys.exit({entry[2]}())\n"
    )
    return str(script)


class Measured(NamedTuple):
    elapsed: float
    peak_mb: float  # the largest process's (wait4)
    together_mb: float  # the poll's and its lanes' peaks added up
    at_once_mb: float  # the most they held at one reading
    in_memory_mb: float | None  # the same, each physical page once (None: not readable here)
    lanes: str  # each lane's peak, MB
    summary: str


def measured(
    backend: str, url: str, maildir: Path, work: Path, profile: Path | None = None, pythonpath: Path | None = None
) -> Measured:
    """The poll's wall time, its peak memory (``wait4``: the largest of it and its children), the peaks of the poll
    and its lanes added up (:class:`_Peaks`) and its summary line."""
    engine = create_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKOFFICE_")}
    env.update(
        BACKOFFICE_DATABASE_URL=url,
        BACKOFFICE_SITE_INSTANCE_DIR=str(work / f"instance-{backend}"),
        BACKOFFICE_INTAKE_MAILDIR=str(maildir),
        BACKOFFICE_SECRET_KEY="bench-" + "x" * 40,
        BACKOFFICE_CODE_KEY="bench-code-key-" + "y" * 32,  # required outside SQLite
    )
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    out_file = work / f"{backend}.out"
    rss_file = work / f"{backend}.rss"
    with out_file.open("wb") as out:
        started = time.perf_counter()
        script = [str(REPO / ".venv/bin/backoffice")]
        if pythonpath is not None:
            script = [str(REPO / ".venv/bin/python"), _entry_script(pythonpath, work)]
        poll = [*script, "intake", "poll", "--json"]
        if profile:
            poll = [str(REPO / ".venv/bin/python"), "-m", "cProfile", "-o", str(profile), *poll]
        proc = subprocess.Popen(
            [str(REPO / ".venv/bin/python"), "-c", _LAUNCHER, str(rss_file), *poll],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
        peaks = _Peaks(proc.pid)
        peaks.start()
        proc.wait()
        elapsed = time.perf_counter() - started
        peaks.done.set()
        peaks.join()
    text_out = out_file.read_text().strip()
    if proc.returncode != 0:
        raise SystemExit(text_out)
    together = (peaks.poll_kb + sum(peaks.lanes_kb.values())) / 1024
    lanes = ", ".join(f"{kb / 1024:.1f}" for kb in peaks.lanes_kb.values()) or "none"
    in_memory = None if peaks.in_memory_kb is None else peaks.in_memory_kb / 1024
    return Measured(
        elapsed,
        int(rss_file.read_text()) / 1024,
        together,
        peaks.at_once_kb / 1024,
        in_memory,
        lanes,
        text_out.splitlines()[-1],
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--big-mb", type=int, default=25)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--profile", type=Path, default=None)
    parser.add_argument("--baseline", type=Path, default=None, help="a checkout of the code to compare with")
    args = parser.parse_args()
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # the corpus's filled forms: Cyrillic in a Latin font
    print("machine:", os.cpu_count(), "CPUs,", _memory(), "; load average before:", _loadavg())
    work = Path(tempfile.mkdtemp(prefix="intake-bench-"))
    try:
        source = work / "corpus"
        kinds = build_maildir(source, args.count, args.big_mb)
        print("messages:", ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
        backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
        variants: list[Path | None] = [args.baseline, None] if args.baseline else [None]
        results: dict[str, list[Measured]] = {}
        for round_no in range(1, (1 if args.profile else args.rounds) + 1):
            for backend in backends:
                for variant in variants:
                    label = f"{backend}{' baseline' if variant else ''}"
                    results.setdefault(label, []).append(_round(backend, source, work, args, round_no, variant))
        for backend, figures in results.items():
            rates = [args.count / m.elapsed for m in figures]
            peaks = [m.peak_mb for m in figures]
            together = [m.together_mb for m in figures]
            at_once = [m.at_once_mb for m in figures]
            in_memory = [m.in_memory_mb for m in figures if m.in_memory_mb is not None]
            print(
                f"{backend:<10} {len(figures)} rounds: {statistics.median(rates):6.1f} msg/s "
                f"({min(rates):.1f}–{max(rates):.1f}), peak RSS {statistics.median(peaks):6.1f} MB "
                f"({min(peaks):.1f}–{max(peaks):.1f}), poll and lanes together {statistics.median(together):6.1f} MB "
                f"({min(together):.1f}–{max(together):.1f}), at one moment at most "
                f"{statistics.median(at_once):6.1f} MB ({min(at_once):.1f}–{max(at_once):.1f}), "
                + (
                    f"in memory, each page once, {statistics.median(in_memory):6.1f} MB "
                    f"({min(in_memory):.1f}–{max(in_memory):.1f})"
                    if in_memory
                    else "in memory, each page once: not readable (root only)"
                )
            )
        print("load average after:", _loadavg())
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) // 1024} MB RAM"
    except OSError:
        pass
    return "? RAM"


def _round(
    backend: str, source: Path, work: Path, args: argparse.Namespace, round_no: int, baseline: Path | None = None
) -> Measured:
    """One fresh database and a fresh copy of the Maildir, polled once (by the code in ``baseline`` if given)."""
    maildir = work / f"maildir-{backend}"
    shutil.rmtree(maildir, ignore_errors=True)
    shutil.rmtree(work / f"instance-{backend}", ignore_errors=True)
    shutil.copytree(source, maildir)
    if backend == "sqlite":
        (work / "bench.sqlite3").unlink(missing_ok=True)
        url = f"sqlite:///{work / 'bench.sqlite3'}"
    else:
        name = f"intake_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(PG).set(database=name).render_as_string(hide_password=False)
    try:
        result = measured(backend, url, maildir, work, args.profile, baseline)
    finally:
        if backend == "postgresql":
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    print(
        f"round {round_no} {backend:<10}{' baseline' if baseline else ''} {args.count} messages in "
        f"{result.elapsed:6.1f} s = {args.count / result.elapsed:6.1f} msg/s, peak RSS {result.peak_mb:6.1f} MB, "
        f"poll and lanes together {result.together_mb:6.1f} MB (lanes: {result.lanes}; at one moment at most "
        f"{result.at_once_mb:.1f} MB; in memory, each page once, "
        f"{'not readable' if result.in_memory_mb is None else f'{result.in_memory_mb:.1f} MB'})   {result.summary}   "
        f"load {_loadavg()}",
        flush=True,
    )
    return result


if __name__ == "__main__":
    main()
