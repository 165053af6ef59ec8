"""The site's front page: where each kind of visitor goes next."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask.typing import ResponseReturnValue

bp = Blueprint("home", __name__)


@bp.route("/")
def index() -> ResponseReturnValue:
    return render_template("home.html", view_functions=current_app.view_functions)
