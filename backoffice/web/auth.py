"""Staff log in (password, then a TOTP code when enrolled or required) and out; idle sessions end.

Failures are limited per IP address and per network with Flask-Limiter (counting only failures), and throttled
per (login, address) with a ceiling per login that alerts the supervisors (``backoffice.web.throttle``). Nothing
is counted per login alone: a stranger who types an operator's login cannot keep that operator out, even for a
window. An administrator still blocks an account on purpose ("Block the account"). An unknown login costs one
argon2 verification like a known one, so timing does not tell which logins exist.
"""

from __future__ import annotations

import time
from typing import Any

import pyotp
import qrcode
import qrcode.image.svg
from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask.wrappers import Response
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.exceptions import TooManyRequests
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from backoffice.actors import Actor
from backoffice.monitoring.counters import count_throttled
from backoffice.passwords import verify_or_dummy
from backoffice.settings import StaffSettings
from backoffice.staff import services as staff_services
from backoffice.staff.models import Operator
from backoffice.types import utcnow
from backoffice.web import db_session, limiter, throttle
from backoffice.web.forms import BoundedForm
from backoffice.web.redirects import safe_next
from backoffice.web.users import StaffUser

bp = Blueprint("auth", __name__, url_prefix="/staff")

#: Seconds between a correct password and the code that must follow it.
PENDING_SECONDS = 300
ISSUER = "Back office"


def _qr(uri: str) -> Markup:
    """The enrolment address as an inline SVG QR code: the phone's camera reads it instead of the operator typing
    a 32-letter key. Drawn here (no image request, nothing leaves the server); only our own text goes in."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    return Markup(image.to_string(encoding="unicode"))  # noqa: S704 - SVG made by qrcode from our own URI


def _enrolment(secret: str, login: str) -> dict[str, Any]:
    """What the enrolment page shows once: the key, the otpauth address and its QR code."""
    uri = pyotp.TOTP(secret).provisioning_uri(name=login, issuer_name=ISSUER)
    return {"secret": secret, "uri": uri, "qr": _qr(uri)}


class LoginForm(BoundedForm):
    login = StringField(_l("Login"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])


class CodeForm(BoundedForm):
    code = StringField(_l("Code from the authenticator app"), validators=[DataRequired(), Length(max=16)])


def _staff_settings() -> StaffSettings:
    return current_app.config["SETTINGS"].staff  # type: ignore[no-any-return]


def _per_address() -> str:
    s = _staff_settings()
    return f"{s.failed_logins_per_address} per {s.failed_login_window_minutes} minutes"


def _per_network() -> str:
    s = _staff_settings()
    return f"{s.failed_logins_per_address * NETWORK_FACTOR} per {s.failed_login_window_minutes} minutes"


def _policy() -> throttle.Policy:
    """``failed_logins_per_account`` wrong tries for a login from one address go unslowed; then each waits twice
    as long, up to one window."""
    s = _staff_settings()
    return throttle.Policy(
        "staff-login", free_tries=s.failed_logins_per_account, max_wait_seconds=s.failed_login_window_minutes * 60
    )


def _failed(response: Response) -> bool:
    """A successful step redirects; everything else (a form shown again with an error) counts as a failure."""
    return response.status_code != 302


#: A /24 or /64 gets this many times one address's failures: a few offices behind one provider's range.
NETWORK_FACTOR = 3

_address_limit = limiter.shared_limit(
    _per_address, scope="staff-login-address", key_func=get_remote_address, methods=["POST"], deduct_when=_failed
)
_network_limit = limiter.shared_limit(
    _per_network, scope="staff-login-network", key_func=throttle.network, methods=["POST"], deduct_when=_failed
)


@bp.errorhandler(TooManyRequests)
def _too_many(_exc: TooManyRequests) -> ResponseReturnValue:
    seconds = throttle.limit_wait_seconds() or _staff_settings().failed_login_window_minutes * 60
    count_throttled("staff-login")
    flash(_("Too many failed attempts. Try again in %(wait)s.", wait=throttle.wait_words(seconds)), "error")
    return render_template("auth/login.html", form=LoginForm()), 429, {"Retry-After": str(seconds)}


def _backed_off(seconds: int) -> ResponseReturnValue:
    wait = throttle.wait_words(seconds)
    message = _("Too many wrong tries for this login from here. Try again in %(wait)s.", wait=wait)
    flash(message, "error")
    return render_template("auth/login.html", form=LoginForm()), 429, {"Retry-After": str(seconds)}


def _wrong(operator: Operator | None, login: str) -> None:
    """Count a wrong password or code for this login from this address (the alert, if any, is committed)."""
    subject = throttle.Subject("operator", operator.id if operator is not None else None)
    throttle.failed(db_session(), _policy(), throttle.login_key(login), subject)
    db_session().commit()


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
@_address_limit
@_network_limit
def login() -> ResponseReturnValue:
    form = LoginForm()
    if form.validate_on_submit():
        key = throttle.login_key(form.login.data)
        wait = throttle.wait_seconds(_policy(), key)
        if wait:
            return _backed_off(wait)
        operator = db_session().scalars(select(Operator).where(Operator.login == key)).first()
        usable = operator if operator is not None and operator.is_active else None
        # The same answer, and the same argon2 work, whether the login exists or the password is wrong.
        if verify_or_dummy(usable.password_hash if usable is not None else None, form.password.data):
            assert usable is not None
            throttle.succeeded(_policy(), key)
            if usable.totp_secret or usable.totp_required:
                session["staff_pending"] = {"id": usable.id, "login": usable.login, "at": time.time()}
                return redirect(url_for(".second_factor", next=safe_next("")))
            return _complete_login(usable)
        _wrong(operator, key)
        flash(_("Wrong login or password."), "error")
    return render_template("auth/login.html", form=form)


def _pending_operator() -> Operator | None:
    pending = session.get("staff_pending")
    if not pending or time.time() - float(pending.get("at", 0)) > PENDING_SECONDS:
        return None
    operator = db_session().get(Operator, int(pending["id"]))
    return operator if operator is not None and operator.is_active else None


@bp.route("/login/code", methods=["GET", "POST"])
@_address_limit
@_network_limit
def second_factor() -> ResponseReturnValue:
    """The second step: a code from the app, or, when required and not yet enrolled, enrolment."""
    operator = _pending_operator()
    if operator is None:
        session.pop("staff_pending", None)
        flash(_("Log in again, please."), "info")
        return redirect(url_for(".login"))
    form = CodeForm()
    enrolling = operator.totp_secret is None
    secret = operator.totp_secret or session.setdefault("staff_totp_new", pyotp.random_base32())
    if form.validate_on_submit():
        wait = throttle.wait_seconds(_policy(), operator.login)
        if wait:
            return _backed_off(wait)
        step = staff_services.totp_step(secret, form.code.data)
        if step is not None and enrolling:
            staff_services.enrol_totp(db_session(), Actor.of(operator), operator, secret, step)
            session.pop("staff_totp_new", None)
            return _complete_login(operator)
        if step is not None and staff_services.use_totp_step(db_session(), operator, step):
            return _complete_login(operator)
        _wrong(operator, operator.login)
        if step is not None:  # a right code, but this one or a newer one has logged in already
            flash(
                _("This code can no longer be used: a code is good for one login. Wait for the next one in the app."),
                "error",
            )
        else:
            flash(_("The code is not right. Check the time on your phone and try again."), "error")
    return render_template(
        "auth/second_factor.html",
        form=form,
        enrolling=enrolling,
        **(_enrolment(secret, operator.login) if enrolling else {}),
    )


@bp.route("/second-factor", methods=["GET", "POST"])
@login_required
def second_factor_setup() -> ResponseReturnValue:
    """A logged-in member of staff turns on the second factor for themselves."""
    if not getattr(current_user, "is_staff", False):
        return redirect(url_for(".login"))
    operator = db_session().get(Operator, current_user.operator_id)
    if operator is None:
        return redirect(url_for(".login"))
    form = CodeForm()
    if operator.totp_secret:
        return render_template("auth/second_factor.html", form=None, enrolled=True, enrolling=False)
    secret = session.setdefault("staff_totp_new", pyotp.random_base32())
    if form.validate_on_submit():
        step = staff_services.totp_step(secret, form.code.data)
        if step is not None:
            staff_services.enrol_totp(db_session(), Actor.of(operator), operator, secret, step)
            db_session().commit()
            session.pop("staff_totp_new", None)
            flash(_("The second factor is on: every login will ask for a code."), "success")
            return redirect(url_for("admin.index"))
        flash(_("The code is not right. Check the time on your phone and try again."), "error")
    return render_template(
        "auth/second_factor.html",
        form=form,
        enrolling=True,
        setup=True,
        **_enrolment(secret, operator.login),
    )


def _complete_login(operator: Operator) -> ResponseReturnValue:
    operator.last_login_at = utcnow()
    db_session().commit()
    for key in ("staff_pending", "staff_totp_new"):
        session.pop(key, None)
    login_user(StaffUser.of(operator))
    session["staff_seen"] = time.time()
    return redirect(safe_next(url_for("admin.index")))


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> ResponseReturnValue:
    is_staff = getattr(current_user, "is_staff", False)
    operator = db_session().get(Operator, current_user.operator_id) if is_staff else None
    if operator is not None:
        staff_services.log_out(db_session(), operator)
        db_session().commit()
    logout_user()
    session.pop("staff_seen", None)
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.before_app_request
def _expire_idle_session() -> Any:
    """A staff session that saw no request for the configured minutes ends; the next page asks to log in."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    if not getattr(current_user, "is_staff", False):
        return None
    now = time.time()
    seen = session.get("staff_seen")
    if seen is None or now - float(seen) > _staff_settings().session_idle_minutes * 60:
        logout_user()
        session.pop("staff_seen", None)
        flash(_("Your session ended after a period of inactivity. Log in again, please."), "info")
        target = request.full_path if request.method == "GET" else ""
        return redirect(url_for("auth.login", next=target) if target else url_for("auth.login"))
    if now - float(seen) > 30:  # refresh the cookie at most twice a minute
        session["staff_seen"] = now
    return None


@bp.app_context_processor
def _user() -> dict[str, object]:
    return {"current_user": current_user}
