"""What a customer sees when a rate limit is reached: a page in their language, not the library's text."""

from __future__ import annotations

from flask.typing import ResponseReturnValue

from backoffice.customers.web import bp
from backoffice.customers.web.common import page


@bp.errorhandler(429)
def too_many(_exc: Exception) -> ResponseReturnValue:
    return page("customer/too_many.html", status=429)
