"""The cabinet's requests (appeals and complaints, requests for information, and every other kind in
``requests.kinds``), for the customers of both flows.

Nothing here exists unless the deployment turns a section on for one of its flows (``[cabinet]
accession_sections``, ``self_registration_sections``): :func:`init_app` is the only way in, and each page checks
the section is on for the customer's own flow. The pages live under ``/account`` beside the rest
of the cabinet, so they speak the account's language (Flow B's for a Flow B person). Flow B's cabinet lists them
through its sections (``selfreg.sections``), Flow A's through ``requests/_cabinet.html``; either way a section shows
only once the customer has written something in it, with a link to write the first one.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app

from backoffice.customers.models import CustomerAccount

bp = Blueprint("requests", __name__)


def sections_on(account: CustomerAccount | None = None) -> tuple[str, ...]:
    """The sections the customer's own flow turns on (``[cabinet]``): a page of another is a 404. Without an
    account, those of either flow. A Flow A account is always made from its accession application; a Flow B
    person's has none."""
    cabinet = current_app.config["SETTINGS"].cabinet
    if account is None:
        return cabinet.any_sections
    return cabinet.sections_of(self_registered=account.application_id is None)


def init_app(app: Flask) -> bool:
    """Register the pages on ``app`` when the deployment turns a section on; says whether it did."""
    keys = app.config["SETTINGS"].cabinet.any_sections
    if not keys:
        return False
    from backoffice.requests.web import views

    app.register_blueprint(bp)
    views.provide_sections(keys, app.config["SETTINGS"].cabinet)
    return True
