"""``/status``: anyone with the application number and the EDRPOU/RNOKPP sees where it stands.

The same answer for an unknown number and a number with another company's code, and the same rate limits as
the registration page (the per-company limit is shared with it).
"""

from __future__ import annotations

from flask.typing import ResponseReturnValue

from backoffice.customers import status as service
from backoffice.customers.web import bp, limits
from backoffice.customers.web.common import page
from backoffice.customers.web.forms import StatusForm
from backoffice.web import db_session, limiter


@bp.route("/status", methods=["GET", "POST"])
@limiter.limit(limits.PER_ADDRESS, key_func=limits.address, methods=["POST"], scope="customer-status")
@limits.company
def status() -> ResponseReturnValue:
    form = StatusForm()
    found: service.PlainStatus | None = None
    not_found = False
    if form.validate_on_submit():
        found = service.lookup(db_session(), form.number.data, limits.digits(form.identifier.data))
        not_found = found is None
    return page("customer/status.html", form=form, found=found, not_found=not_found)
