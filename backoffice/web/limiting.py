"""Rate limits cost nothing on a page read that none of them counts.

Flask-Limiter looks at the request method only at the very end: on every request its before-request hook and
each limited view's decorator first resolve, filter and bind every limit that could apply (about a fifth of the
time of the customer's registration form, whose limits all count submits). Every form of the product limits its
POSTs only; a few views limit reads too (the invitation link of self-registration). So a read (GET, HEAD,
OPTIONS) is let through at once when no limit of its view counts reads: the library's own ``request_filter``,
decided once per view, since a view's limits and their methods are fixed when its module is imported.

Nothing else changes: a submit is checked as before, and a view whose limits count reads is checked on every read.
"""

from __future__ import annotations

from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_qualified_name

READS = frozenset({"GET", "HEAD", "OPTIONS"})


def free_reads(limiter: Limiter) -> None:
    """Install the filter on ``limiter``, once: each app then keeps, for each of its views, whether a limit of it
    counts reads (``app.extensions``, since an app's views are its own)."""

    def counts_reads(endpoint: str) -> bool:
        view = current_app.view_functions.get(endpoint)
        if view is None:
            return False
        # Flask-Limiter keys a view's limits by the qualified name of the function it decorated; the decorators
        # above it keep that name (functools.wraps).
        limits = limiter.limit_manager.decorated_limits(get_qualified_name(view))
        return any(limit.methods is None or "get" in limit.methods for limit in limits)

    @limiter.request_filter
    def read_counted_by_no_limit() -> bool:
        if request.method not in READS or request.endpoint is None:
            return False
        counted: dict[str, bool] = current_app.extensions.setdefault("backoffice.reads_counted", {})
        endpoint = request.endpoint
        if endpoint not in counted:
            counted[endpoint] = counts_reads(endpoint)
        return not counted[endpoint]
