"""The few events the web pages count for /metrics, behind plain functions so pages need not know Prometheus.

``metrics`` is imported when something is counted, not with the page's module: prometheus_client decides at its
own import whether it runs in multi-process mode, which gunicorn's config sets up first.
"""

from __future__ import annotations


def count_refusal(reason: str) -> None:
    """A registration code submission was refused (``reason`` as in the audit trail)."""
    from backoffice.monitoring import metrics

    metrics.CODES_REFUSED.labels(reason).inc()


def count_throttled(what: str) -> None:
    """A guess was held back by its throttle (``what``: the throttle's scope, e.g. codes or staff logins)."""
    from backoffice.monitoring import metrics

    metrics.THROTTLED.labels(what).inc()
