"""What deploy/gunicorn.conf.py needs: the settings, the metrics folder, the access log, the worker hooks.

Kept here rather than in the config file so that it is imported, typed and tested like the rest of the product;
the config file only hands gunicorn the values.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import os
import sys
from pathlib import Path
from typing import Any

from gunicorn import glogging

from backoffice import passwords
from backoffice import settings as settings_module
from backoffice.monitoring import context, logs
from backoffice.settings import Settings

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
#: No query string, no raw path (reset and confirmation links carry tokens in the path): the matched route, as
#: ``/account/reset/<token>``, and the request id that finds the request's own log line and audit rows.
ACCESS_FORMAT = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms %({x-request-id}o)s'
_loaded: Settings | None = None


def load_settings() -> Settings:
    """The settings, read once per gunicorn master; a mistake stops start-up with the message the CLI gives."""
    global _loaded
    if _loaded is None:
        try:
            _loaded = settings_module.load()
        except settings_module.SettingsError as exc:
            print(f"Settings error: {exc}", file=sys.stderr)
            raise SystemExit(3) from None
    return _loaded


def metrics_dir(settings: Settings) -> Path:
    """Where the workers' metric files go: ``PROMETHEUS_MULTIPROC_DIR`` if set, else ``<instance_dir>/prometheus``."""
    given = os.environ.get(MULTIPROC_ENV)
    return Path(given) if given else settings.site.instance_dir / "prometheus"


def use_metrics_dir(path: Path) -> None:
    """Point this server's processes at the folder before any worker imports prometheus_client (which reads the
    variable at its import)."""
    path.mkdir(parents=True, exist_ok=True)
    os.environ[MULTIPROC_ENV] = str(path)


def on_starting(settings: Settings) -> None:
    """The master's start (not a reload): logging set up, and the metrics folder emptied, since the files of an
    earlier run would add its counts to this one's."""
    logs.configure(settings)
    for stale in metrics_dir(settings).glob("*.db"):
        stale.unlink()
    logging.getLogger("backoffice.server").info(
        "serving on %s with %d workers x %d threads; the scheduler and the intake watcher are not run here "
        "(backoffice scheduler run, backoffice intake watch)",
        settings.server.bind,
        settings.server.workers,
        settings.server.threads,
    )


#: glibc's ``mallopt`` parameters (``malloc.h``).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_ARENA_MAX = -1, -3, -8
#: Above an argon2id hash's memory (64 MiB with the hasher's parameters), with room for the allocator's overhead.
KEEP_BYTES = passwords.HASH_MEMORY * 5 // 4


def reuse_hash_memory() -> bool:
    """Let this process reuse the 64 MiB each argon2id hash takes instead of asking the kernel for it every time.

    glibc gives a block above its mmap threshold (32 MiB at most, however the threshold adapts) its own mapping
    and unmaps it when freed, so every password hash of a worker (a login, a redemption, a new password) faulted in
    16,384 fresh pages that the kernel zeroed first: a fifth to a quarter of the hash's CPU (docs/benchmarks.md).
    With the mmap threshold above the hash's size the block comes from the heap and is used again by the next hash;
    with one arena for all the worker's threads, since a thread's own arena cannot grow past 64 MiB and would map
    the block again; and with the trim threshold at the same size, an idle worker keeps at most one hash's memory.
    Measured over HTTP (docs/benchmarks.md): 1.10× the redemptions at 0.92× the CPU, for up to 64 MB more in a
    worker. A trim threshold of four hashes (one per thread) gave 1.24×, but every worker kept 255 MB more.
    Called in each worker before its threads start. Returns False where the C library has no ``mallopt`` (not
    glibc): nothing changes there.
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    wanted = ((_M_ARENA_MAX, 1), (_M_MMAP_THRESHOLD, KEEP_BYTES), (_M_TRIM_THRESHOLD, KEEP_BYTES))
    return all(mallopt(parameter, value) == 1 for parameter, value in wanted)


#: Container objects a worker may allocate, net, before a young collection (Python's default is 700).
YOUNG_COLLECTION_AFTER = 10_000


def settle_loaded_app() -> int:
    """Keep the garbage collector off what the worker loaded at its start, and off a page's own objects; the number
    of objects set aside.

    Measured on the queue page (docs/benchmarks.md): the collector took 0.6 ms of a page's CPU, and 0.07 ms after
    these two changes.

    * The app, its templates and the libraries it imports are about 170,000 objects that live as long as the
      worker. A full collection walks every one of them: 90 ms during which none of the worker's threads serves,
      about once every 600 queue pages. Frozen (``gc.freeze``, once the app is loaded), they are never walked again.
    * A queue page holds up to about 1,500 objects while it is built and frees them at the end; with Python's
      threshold of 700 nearly every page ran a young collection in the middle of its work, which walked the page's
      live objects and moved them to an older generation, walked again later. With room for the objects of several
      pages at once (a worker's threads), a young collection comes about once every hundred pages.
    """
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_AFTER, older, oldest)
    frozen = gc.get_freeze_count()
    logging.getLogger("backoffice.server").info(
        "worker %d ready; %d objects loaded at its start are kept out of the garbage collector's walks",
        os.getpid(),
        frozen,
    )
    return frozen


def child_exit(worker_pid: int) -> None:
    """A worker ended: its live gauges go (counters and histograms stay in the totals)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker_pid)


class Logger(glogging.Logger):  # type: ignore[misc]
    """gunicorn's own log lines in the product's format (JSON or text), with the secrets filter, and an access
    log that shows the route a request matched instead of its raw path and query string."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        settings = load_settings()
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(logs.formatter(settings.logging))
                handler.addFilter(logs.Redact(logs.secrets_of(settings)))

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        route = environ.get(context.ROUTE_KEY) or environ.get("PATH_INFO", "-")
        atoms["r"] = f"{environ.get('REQUEST_METHOD', '-')} {route} {environ.get('SERVER_PROTOCOL', '-')}"
        atoms["U"], atoms["q"] = route, ""
        # Request headers (cookies, Authorization) and the environ are never offered to the format.
        return {k: v for k, v in atoms.items() if not k.startswith("{") or k == "{x-request-id}o"}
