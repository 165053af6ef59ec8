"""``/status``: anyone with the application number and the EDRPOU/RNOKPP sees where it stands.

The same answer for an unknown number and a number with another company's code, and the same limits as the
registration page: per address and network, and the registration code's throttle per identifier (a miss here
counts as a wrong try on that company).
"""

from __future__ import annotations

from flask.typing import ResponseReturnValue

from backoffice.customers import status as service
from backoffice.customers.web import bp, limits
from backoffice.customers.web.common import backed_off, page
from backoffice.customers.web.forms import StatusForm
from backoffice.web import db_session, limiter, throttle


@bp.route("/status", methods=["GET", "POST"])
@limiter.limit(limits.PER_ADDRESS, key_func=limits.address, methods=["POST"], scope="customer-status")
@limits.per_network("customer-status")
def status() -> ResponseReturnValue:
    form = StatusForm()
    found: service.PlainStatus | None = None
    not_found = False
    if form.validate_on_submit():
        identifier = limits.digits(form.identifier.data)
        wait = throttle.wait_seconds(limits.CODES, identifier)
        if wait:
            return backed_off(wait)
        session = db_session()
        found = service.lookup(session, form.number.data, identifier)
        not_found = found is None
        if not_found:
            throttle.failed(session, limits.CODES, identifier, throttle.Subject("registration", None))
            session.commit()
    return page("customer/status.html", form=form, found=found, not_found=not_found)
