"""The customer pages: registration with the code, login, passwords, the cabinet and the public status page."""

from __future__ import annotations

from flask import Blueprint
from flask.blueprints import BlueprintSetupState

from backoffice.customers.web.users import load_customer
from backoffice.web.users import USER_LOADERS

bp = Blueprint("customers", __name__)
#: ``app.extensions`` key: what to try after a customer's login failed, before saying so (Flow B sets it to
#: explain an unconfirmed or blocked registration); a response, or None to say the login failed.
AFTER_FAILED_LOGIN = "backoffice.customers.after_failed_login"
#: ``app.extensions`` key: the :class:`~backoffice.customers.web.common.Country` of an account when it is not
#: Flow A's Ukraine (Flow B sets it for its own accounts), or None.
COUNTRY_OF = "backoffice.customers.country_of"


@bp.record_once
def _load_customers(state: BlueprintSetupState) -> None:
    state.app.extensions.setdefault(USER_LOADERS, {})["customer"] = load_customer


from backoffice.customers.web import account, registration, status  # noqa: E402, F401 - routes on bp
