"""``/company``: the customer types the code from the letter and picks a login and a password.

Opening the page changes nothing (mail scanners follow the invitation's link). Every way the code can fail
(wrong, unknown company, used, expired, revoked) gets the same page and status; staff see which in the audit
trail. Wrong tries are throttled, never locked (``limits.CODES``): a stranger who knows the EDRPOU cannot stop
the owner's right code.
"""

from __future__ import annotations

from flask import current_app, jsonify, redirect, request, url_for
from flask import session as flask_session
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_user
from flask_wtf.csrf import generate_csrf

from backoffice.applications import codes
from backoffice.customers import registration as service
from backoffice.customers import rules
from backoffice.customers.web import bp, limits
from backoffice.customers.web.common import backed_off, no_store, page, settings, show_problems
from backoffice.customers.web.forms import RegistrationForm
from backoffice.customers.web.users import CustomerUser
from backoffice.i18n import browser_language
from backoffice.monitoring.counters import count_refusal
from backoffice.passwords import hash_secret
from backoffice.validation import identifiers
from backoffice.validation.problems import Invalid
from backoffice.web import db_session, limiter, throttle

TEMPLATE = "customer/register.html"
CSRF_PLACEHOLDER = "\x00csrf\x00"


@bp.route("/company", methods=["GET", "POST"])
@limiter.limit(limits.PER_ADDRESS, key_func=limits.address, methods=["POST"], scope="customer-register")
@limits.per_network("customer-register")
def register() -> ResponseReturnValue:
    if request.method == "GET":
        return _blank_form()
    form = RegistrationForm()
    if not form.validate_on_submit():
        return _form(form)
    identifier = _format_problems(form)
    if identifier is None:
        return _form(form)
    wait = throttle.wait_seconds(limits.CODES, identifier)
    if wait:
        return backed_off(wait)
    session = db_session()
    ip = limits.address()
    try:
        checked = service.check(session, settings(), code=form.code.data, identifier=identifier, ip=ip)
    except service.Refused as refused:
        subject = throttle.Subject(service.services.SUBJECT, refused.application_id)
        throttle.failed(session, limits.CODES, identifier, subject)
        session.commit()
        count_refusal(refused.reason.value)
        return _refused(form)
    throttle.succeeded(limits.CODES, identifier)
    session.commit()  # ends the read; the spending below starts a short write transaction of its own
    problems = service.prepare(session, checked, login=form.login.data, password=form.password.data)
    if problems:
        show_problems(form, problems)
        return _form(form)
    password_hash = hash_secret(form.password.data)
    try:
        account = service.finish(
            session, settings(), checked, login=form.login.data, password_hash=password_hash, ip=ip
        )
    except service.Refused as refused:
        session.commit()
        count_refusal(refused.reason.value)
        return _refused(form)
    except Invalid as exc:
        session.rollback()
        show_problems(form, exc.problems)
        return _form(form)
    session.commit()
    login_user(CustomerUser.of(account))
    return redirect(url_for("customers.cabinet", welcome=1))


@bp.route("/company/common-passwords.json")
def common_passwords() -> ResponseReturnValue:
    """The common passwords long enough to pass the length rule, for the feedback while typing."""
    response = jsonify(rules.common_long_passwords())
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response


def _format_problems(form: RegistrationForm) -> str | None:
    """Rules that need no database (they reveal nothing); the identifier as digits when all pass."""
    problems = rules.login_problems(form.login.data) + rules.password_problems(
        form.password.data, login=form.login.data, identifier=limits.digits(form.identifier.data)
    )
    identifier = None
    try:
        identifier, _kind = identifiers.ukrainian_identifier(form.identifier.data)
    except Invalid as exc:
        problems += exc.problems
    if len(codes.normalise(form.code.data)) != codes.LENGTH:
        form.code.errors = [
            *form.code.errors,
            _("The code has 12 letters and digits, as in the letter: ABCD-EFGH-JKMN"),
        ]
    show_problems(form, problems)
    return None if problems or form.code.errors else identifier


def _blank_form() -> ResponseReturnValue:
    """The empty form, the page every invitation link opens: rendered once per language (and language offered),
    then only the CSRF token changes. A visitor who is logged in or has a message waiting gets the page rendered
    in full."""
    if current_user.is_authenticated or current_app.debug or "_flashes" in flask_session:
        return _form(RegistrationForm())
    cache: dict[str, str] = current_app.extensions.setdefault("customers.blank_form", {})
    token = generate_csrf()
    language = f"{get_locale()}/{browser_language() or ''}"  # the page offers the browser's language, if another
    html = cache.get(language)
    if html is None:
        rendered = page(TEMPLATE, form=RegistrationForm(), refused=False, common_url=url_for(".common_passwords"))
        html = cache[language] = rendered.get_data(as_text=True).replace(token, CSRF_PLACEHOLDER)
    return no_store(html.replace(CSRF_PLACEHOLDER, token))


def _form(form: RegistrationForm) -> ResponseReturnValue:
    return page(TEMPLATE, form=form, refused=False, common_url=url_for(".common_passwords"))


def _refused(form: RegistrationForm) -> ResponseReturnValue:
    form.code.data = ""
    form.password.data = form.password_again.data = ""
    return page(TEMPLATE, form=form, refused=True, common_url=url_for(".common_passwords"))
