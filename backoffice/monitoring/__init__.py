"""Operating the product: health and readiness, Prometheus metrics, structured logs, process heartbeats.

Layering: ``models``, ``context`` and ``heartbeat`` are used by services (the audit trail, the scheduler); ``web``
is the only part that imports Flask.
"""
