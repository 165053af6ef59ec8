"""``/company``: the customer types the code from the letter and picks a login and a password.

Opening the page changes nothing (mail scanners follow the invitation's link). Every way the code can fail
(wrong, unknown company, another company's code, application closed) gets the same page and status; staff see
which in the audit trail. Only the one who typed a code together with its own company's identifier is told that
the code was used (and that they already have a login), expired or replaced: they hold the letter already.
Wrong tries are throttled, never locked (``limits.CODES``): a stranger who knows the EDRPOU cannot stop the
owner's right code.
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
from backoffice.validation.problems import Invalid, Problem
from backoffice.web import db_session, limiter, throttle
from workflows.i18n import N_

TEMPLATE = "customer/register.html"
CSRF_PLACEHOLDER = "\x00csrf\x00"
CODE_FORMAT = N_("The code has 12 letters and digits, as in the letter: ABCD-EFGH-JKMN")
#: What the code field says for each refusal the customer may be told (the rest of the answer is on the page).
REFUSALS = {
    "generic": N_("We could not accept this code"),
    service.Refusal.USED.value: N_("This code has already been used: you already have a login"),
    service.Refusal.EXPIRED.value: N_("This code has expired"),
    service.Refusal.REVOKED.value: N_("This code was replaced by a newer one"),
}


@bp.route("/company", methods=["GET", "POST"])
@limiter.limit(limits.PER_ADDRESS, key_func=limits.address, methods=["POST"], scope="customer-register")
@limits.per_network("customer-register")
def register() -> ResponseReturnValue:
    """Every problem of one submit is found before the page answers: the empty fields, the format rules, the code
    (once the code and the identifier are well formed) and, after a good code, the login and password rules that
    need the database. The customer fixes them all at once instead of meeting them one submit at a time."""
    if request.method == "GET":
        return _blank_form()
    form = RegistrationForm()
    if not form.submitted():
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
        return _refused(form, refused.reason)
    throttle.succeeded(limits.CODES, identifier)
    session.commit()  # ends the read; the spending below starts a short write transaction of its own
    password = form.password.data or ""
    show_problems(form, service.prepare(session, settings(), checked, login=form.login.data or "", password=password))
    if form.errors:
        return _form(form)
    password_hash = hash_secret(password)
    try:
        account = service.finish(
            session, settings(), checked, login=form.login.data, password_hash=password_hash, ip=ip
        )
    except service.Refused as refused:
        session.commit()
        count_refusal(refused.reason.value)
        return _refused(form, refused.reason)
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
    """Rules that need no database (they reveal nothing), added to what the fields' own rules found; the
    identifier as digits when it and the code are well formed, so the code can be checked on this same submit.

    A field that is already in error (empty) gets no second message.
    """
    login, password = form.login.data or "", form.password.data or ""
    problems = rules.login_problems(login) + rules.password_problems(
        password, login=login, identifier=limits.digits(form.identifier.data or "")
    )
    identifier = None
    try:
        identifier, _kind = identifiers.ukrainian_identifier(form.identifier.data or "")
    except Invalid as exc:
        problems += exc.problems
    if len(codes.normalise(form.code.data or "")) != codes.LENGTH:
        problems.append(Problem("code", "format", CODE_FORMAT))
    show_problems(form, problems, spare_fields_in_error=True)
    return None if form.identifier.errors or form.code.errors else identifier


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
        rendered = page(TEMPLATE, form=RegistrationForm(), refusal="", common_url=url_for(".common_passwords"))
        html = cache[language] = rendered.get_data(as_text=True).replace(token, CSRF_PLACEHOLDER)
    return no_store(html.replace(CSRF_PLACEHOLDER, token))


def _form(form: RegistrationForm, refusal: str = "") -> ResponseReturnValue:
    return page(TEMPLATE, form=form, refusal=refusal, common_url=url_for(".common_passwords"))


def _refused(form: RegistrationForm, reason: service.Refusal) -> ResponseReturnValue:
    """The code's error, told as it is only where :data:`service.TOLD` allows (the code and the identifier typed
    belong together); every other refusal reads the same. What was typed stays, except the passwords."""
    refusal = reason.value if reason in service.TOLD else "generic"
    form.code.errors = [*form.code.errors, _(REFUSALS[refusal])]
    return _form(form, refusal)
