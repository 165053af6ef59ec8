"""The cabinet's meters section (``/account/meters``), where ``[cabinet]`` turns it on for the customer's flow.

Flow B has it by default; Flow A keeps its notice that readings go to the distribution system operator, and a
meter page of a flow without the section is a 404. Like the rest of the cabinet, a meter of another account does
not exist.
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("meters", __name__)


def init_app(app: Flask) -> bool:
    """Register the pages when either flow's cabinet has meters; says whether it did."""
    cabinet = app.config["SETTINGS"].cabinet
    if "meters" not in cabinet.any_sections:
        return False
    from backoffice.meters.web import views

    app.register_blueprint(bp)
    views.provide_section(always="meters" in cabinet.self_registration_sections)
    return True
