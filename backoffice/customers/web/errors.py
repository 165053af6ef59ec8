"""What a customer sees when a rate limit is reached: a page in their language, not the library's text."""

from __future__ import annotations

from flask.typing import ResponseReturnValue

from backoffice.customers.web import bp
from backoffice.customers.web.common import rate_limited


@bp.errorhandler(429)
def too_many(exc: Exception) -> ResponseReturnValue:
    return rate_limited(exc)
