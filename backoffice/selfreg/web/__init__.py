"""Flow B's pages: registering, confirming the email, the consent, and Flow B's part of the cabinet.

Nothing here exists unless the deployment switched Flow B on: :func:`init_app` is the only way in, and it
returns without registering anything when ``[flows] self_registration`` is false.

Flow B's pages speak Russian unless the person chose another language (the language links, remembered in the
session): the flow serves Russian-speaking markets, whatever the site's default language for Flow A.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Flask, current_app, has_request_context, request, session
from flask_babel import get_babel

from backoffice.customers.web import AFTER_FAILED_LOGIN
from backoffice.selfreg import enabled
from backoffice.settings import LANGUAGES

bp = Blueprint("selfreg", __name__)
LANGUAGE = "ru"


def chosen_language() -> str | None:
    """The language the person picked with the language links, if any."""
    chosen = request.args.get("lang") or session.get("lang")
    return str(chosen) if chosen in LANGUAGES else None


def page_language() -> str:
    return chosen_language() or LANGUAGE


def _flow_b_locale(fallback: Callable[[], str | None]) -> Callable[[], str | None]:
    def select() -> str | None:
        if has_request_context() and request.blueprint == bp.name:
            return page_language()
        return fallback()

    return select


def init_app(app: Flask) -> bool:
    """Register Flow B's pages on ``app`` when the deployment runs Flow B; says whether it did."""
    if not enabled(app.config["SETTINGS"]):
        return False
    from backoffice.selfreg.web import cabinet, claims, views  # noqa: F401 - routes on bp
    from backoffice.selfreg.web.login import after_failed_login

    app.register_blueprint(bp)
    app.extensions[AFTER_FAILED_LOGIN] = after_failed_login
    babel = get_babel(app)
    babel.locale_selector = _flow_b_locale(babel.locale_selector or (lambda: None))
    return True


def is_on() -> bool:
    return enabled(current_app.config["SETTINGS"])
