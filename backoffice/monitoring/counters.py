"""The few events the web pages count for /metrics, behind plain functions so pages need not know Prometheus.

``metrics`` is imported when something is counted, not with the page's module: prometheus_client decides at its
own import whether it runs in multi-process mode, which gunicorn's config sets up first.
"""

from __future__ import annotations


def count_refusal(reason: str, *, locked: bool) -> None:
    """A registration code submission was refused (``reason`` as in the audit trail); ``locked``: the lock holds."""
    from backoffice.monitoring import metrics

    metrics.CODES_REFUSED.labels(reason).inc()
    if locked:
        metrics.CODE_LOCKOUTS.inc()


def count_staff_lockout() -> None:
    from backoffice.monitoring import metrics

    metrics.STAFF_LOCKOUTS.inc()
