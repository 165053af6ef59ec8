"""The cabinet's appeals and complaints and requests for information, for the customers of both flows.

Nothing here exists unless the deployment turns the sections on (``[cabinet] appeals``,
``information_requests``): :func:`init_app` is the only way in. The pages live under ``/account`` beside the rest
of the cabinet, so they speak the account's language (Flow B's for a Flow B person). Flow B's cabinet lists them
through its sections (``selfreg.sections``), Flow A's through ``requests/_cabinet.html``; either way a section shows
only once the customer has written something in it, with a link to write the first one.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app

bp = Blueprint("requests", __name__)


def sections_on() -> tuple[str, ...]:
    """The sections this deployment turns on (``[cabinet]``): a page of another is a 404."""
    return tuple(current_app.config["SETTINGS"].cabinet.request_sections)


def init_app(app: Flask) -> bool:
    """Register the pages on ``app`` when the deployment turns a section on; says whether it did."""
    keys = app.config["SETTINGS"].cabinet.request_sections
    if not keys:
        return False
    from backoffice.requests.web import views

    app.register_blueprint(bp)
    views.provide_sections(keys)
    return True
