"""Staff log in and out."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from backoffice.passwords import verify_secret
from backoffice.staff.models import Operator
from backoffice.types import utcnow
from backoffice.web import db_session, limiter
from backoffice.web.users import StaffUser

bp = Blueprint("auth", __name__, url_prefix="/staff")


class LoginForm(FlaskForm):  # type: ignore[misc]
    login = StringField(_l("Login"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def login() -> ResponseReturnValue:
    form = LoginForm()
    if form.validate_on_submit():
        session = db_session()
        operator = session.scalars(
            select(Operator).where(Operator.login == form.login.data.strip().lower())
        ).first()
        # The same answer whether the login exists or the password is wrong.
        if (
            operator is not None
            and operator.is_active
            and verify_secret(operator.password_hash, form.password.data)
        ):
            operator.last_login_at = utcnow()
            session.commit()
            login_user(StaffUser.of(operator))
            target = request.args.get("next", "")
            if not target.startswith("/") or target.startswith("//"):
                target = url_for("admin.index")
            return redirect(target)
        flash(_("Wrong login or password."), "error")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> ResponseReturnValue:
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.app_context_processor
def _user() -> dict[str, object]:
    return {"current_user": current_user}
