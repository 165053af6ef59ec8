"""Flow B's pages: registering, confirming the email, the consent, and Flow B's part of the cabinet.

Nothing here exists unless the deployment switched Flow B on: :func:`init_app` is the only way in, and it
returns without registering anything when ``[flows] self_registration`` is false.

Flow B serves a country of its own (``[self_registration] language``, ``country``, ``dso_url``), whatever Flow A's
site settings say. Its pages speak its language unless the person chose another (the language links, remembered
in the session), and so do the account pages (login, cabinet, passwords) of a person who came through Flow B; a
Flow B account's phone numbers and meter-readings notice are its country's.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, g, has_request_context, request, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from backoffice.customers.models import CustomerAccount
from backoffice.customers.web import AFTER_FAILED_LOGIN, COUNTRY_OF
from backoffice.customers.web.common import Country
from backoffice.i18n import PAGE_LANGUAGE, chosen_language
from backoffice.selfreg import enabled, services
from backoffice.settings import SelfRegistrationSettings
from backoffice.web import db_session

bp = Blueprint("selfreg", __name__)
#: Session key: this browser came through Flow B's pages, so the account pages it opens next (the login, a
#: forgotten password) speak Flow B's language too.
VISITOR = "selfreg_visitor"
#: The account pages Flow A and Flow B share.
_ACCOUNT_PAGES = "/account"


def _settings() -> SelfRegistrationSettings:
    flow_b: SelfRegistrationSettings = current_app.config["SETTINGS"].self_registration
    return flow_b


def page_language() -> str:
    """The language of a Flow B page: the person's choice, else Flow B's own."""
    return chosen_language() or _settings().language


def _flow_b_language() -> str | None:
    """Flow B's language on Flow B's pages and on the account pages of a Flow B person; None elsewhere."""
    if not has_request_context():
        return None
    if request.blueprint == bp.name:
        return _settings().language
    if request.path != _ACCOUNT_PAGES and not request.path.startswith(_ACCOUNT_PAGES + "/"):
        return None
    if not current_app.config["SETTINGS"].flows.accession:
        return _settings().language  # only Flow B runs here: every account is its
    if current_user.is_authenticated and getattr(current_user, "role", None) == "customer":
        return _settings().language if _is_flow_b_account(int(current_user.account_id)) else None
    return _settings().language if session.get(VISITOR) else None


def _is_flow_b_account(account_id: int) -> bool:
    """Whether the account was registered through Flow B (asked once per request)."""
    memo: dict[int, bool] = g.setdefault("selfreg_accounts", {})
    if account_id not in memo:
        memo[account_id] = services.by_account(db_session(), account_id) is not None
    return memo[account_id]


def _country_of(account: CustomerAccount) -> Country | None:
    """Flow B's country for a Flow B account: its phone numbers and its distribution system operator."""
    if not _is_flow_b_account(account.id):
        return None
    flow_b = _settings()
    return Country(
        flow_b.country,
        flow_b.dso_url,
        _l(
            "Meter readings and the invoices of the distribution system operator are handled by the distribution "
            "system operator, not by us."
        ),
    )


@bp.before_request
def _remember_visitor() -> None:
    if not session.get(VISITOR):
        session[VISITOR] = True


def init_app(app: Flask) -> bool:
    """Register Flow B's pages on ``app`` when the deployment runs Flow B; says whether it did."""
    if not enabled(app.config["SETTINGS"]):
        return False
    from backoffice.selfreg.web import cabinet, claims, views  # noqa: F401 - routes on bp
    from backoffice.selfreg.web.login import after_failed_login

    app.register_blueprint(bp)
    app.extensions[AFTER_FAILED_LOGIN] = after_failed_login
    app.extensions[PAGE_LANGUAGE] = _flow_b_language
    app.extensions[COUNTRY_OF] = _country_of
    return True


def is_on() -> bool:
    return enabled(current_app.config["SETTINGS"])
