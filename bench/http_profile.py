"""Where a page's time goes under load: py-spy samples the product's gunicorn workers while wrk loads one page.

Run from the repository root, on a database filled by ``bench/http_bench.py --keep`` (py-spy comes with the test
lock, ``bash scripts/setup-env --test``; it needs the right to trace, which root has):

    .venv/bin/python bench/http_profile.py --database NAME [--seconds 15] [--clients 8] [--top 30]

The product is served exactly as ``http_bench.py`` serves it (``deploy/gunicorn.conf.py``, rate limits on); the
operator's queue page is loaded with the bench's session cookie and ``GET /company`` without one. py-spy samples
every worker thread (idle threads left out) and the report gives, per page, the share of the busy samples spent
in each function, counted once per sample however deep the recursion (inclusive), and in the function itself
(self). Sampling does not slow the workers the way a tracing profiler does, so the shares are those of the load.
"""

from __future__ import annotations

import argparse
import collections
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

import http_bench  # noqa: E402  (after the path)

#: py-spy names a frame ``function (file:line)``; the line is dropped so that a function counts as one.
LINE = re.compile(r":\d+\)$")
PAGES = (("queue", "/admin/applications/", True), ("company", "/company", False))


def shares(raw: Path, top: int) -> str:
    """The report of one page from py-spy's collapsed stacks (``frame;frame;... count`` a line)."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [LINE.sub(")", f) for f in stack.split(";")]  # a function, not each of its lines
        n = int(count)
        total += n
        for frame in set(frames):
            inclusive[frame] += n
        own[frames[-1]] += n
    lines = [f"{total} samples"]
    lines.append("inclusive:")
    lines += [f"  {100 * n / total:5.1f} %  {frame}" for frame, n in inclusive.most_common(top)]
    lines.append("self:")
    lines += [f"  {100 * n / total:5.1f} %  {frame}" for frame, n in own.most_common(top)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database", required=True, help="a database filled by http_bench.py --keep")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--gil", action="store_true",
                        help="sample only the thread holding the GIL: the CPU a page's Python code costs, without the "
                             "time threads spend waiting for the GIL after a system call, which py-spy otherwise "
                             "charges to the call")
    parser.add_argument("--page", choices=[name for name, _, _ in PAGES], help="profile this page only")
    args = parser.parse_args()
    from queue_bench import PASSWORD
    from sqlalchemy.engine import make_url

    url = make_url(http_bench.PG).set(database=args.database).render_as_string(hide_password=False)
    folder = Path(tempfile.mkdtemp(prefix="http-profile-"))
    spy = str(Path(sys.executable).with_name("py-spy"))
    with http_bench.gunicorn("backoffice.wsgi:app", url, folder, "product") as (port, pid):
        cookie = http_bench.log_in(port, PASSWORD)
        for name, path, logged_in in PAGES:
            if args.page and name != args.page:
                continue
            http_bench.wrk((port, pid), path, args.clients, 2, cookie if logged_in else None)  # warm-up
            raw = folder / f"{name}.txt"
            sampler = subprocess.Popen(
                [spy, "record", "--pid", str(pid), "--subprocesses", "--format", "raw", "--rate", str(args.rate),
                 "--duration", str(args.seconds), "--output", str(raw), "--nonblocking",
                 *(["--gil"] if args.gil else [])],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            run = http_bench.wrk((port, pid), path, args.clients, args.seconds, cookie if logged_in else None)
            sampler.wait(timeout=args.seconds + 60)
            print(f"== {name} {path}, {args.clients} clients: {run.per_second:.0f} requests/s, "
                  f"{run.cpu_ms:.2f} ms CPU a request")
            print(shares(raw, args.top), flush=True)


if __name__ == "__main__":
    main()
