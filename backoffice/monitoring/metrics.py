"""Prometheus metrics: what each web process counts, and what the database says at the moment of the scrape.

Under gunicorn every worker is its own process, so what a worker counts (request latencies, refused codes) goes
through prometheus_client's multi-process mode: ``PROMETHEUS_MULTIPROC_DIR`` is set by deploy/gunicorn.conf.py
before this module is imported, each worker writes its own files there and a scrape adds them up. What the
database knows (applications, letters, messages, heartbeats) is never counted per process: the
:class:`backoffice.monitoring.web.gauges.DatabaseCollector` reads it, read-only, when /metrics is asked for,
so every worker answers the same.
"""

from __future__ import annotations

import os

from prometheus_client import Counter, Histogram

#: Seconds: from a health check's few milliseconds to an export that takes half a minute.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

REQUEST_SECONDS = Histogram(
    "backoffice_http_request_duration_seconds",
    "Time to answer a request, by Flask endpoint and method.",
    ["endpoint", "method"],
    buckets=LATENCY_BUCKETS,
)
RESPONSES = Counter(
    "backoffice_http_responses",
    "Responses by Flask endpoint and status code.",
    ["endpoint", "status"],
)
CODES_REFUSED = Counter(
    "backoffice_code_redemptions_refused",
    "Registration code submissions refused, by the reason staff see in the audit trail.",
    ["reason"],
)
THROTTLED = Counter(
    "backoffice_guesses_throttled",
    "Tries held back by a throttle (a back-off or an address's limit) before any secret was checked, by what was "
    "being guessed: registration codes, customer logins, staff logins.",
    ["what"],
)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None
