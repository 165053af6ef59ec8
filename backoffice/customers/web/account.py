"""Log in and out, forgotten and changed passwords, and the cabinet with the contact details."""

from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from backoffice.applications.labels import OFFER_LABELS
from backoffice.customers import accounts, tokens
from backoffice.customers.models import CustomerAccount, CustomerToken
from backoffice.customers.web import AFTER_FAILED_LOGIN, bp, limits
from backoffice.customers.web.common import (
    backed_off,
    country,
    customer_required,
    page,
    saved,
    settings,
    show_problems,
)
from backoffice.customers.web.forms import (
    ChangePasswordForm,
    ConfirmForm,
    EmailForm,
    ForgotForm,
    LoginForm,
    NewPasswordForm,
    PhoneForm,
)
from backoffice.customers.web.users import CustomerUser
from backoffice.types import utcnow
from backoffice.validation.contact import phone_example
from backoffice.validation.problems import Invalid
from backoffice.web import db_session, limiter, throttle
from backoffice.web.redirects import safe_next


@bp.route("/account/login", methods=["GET", "POST"])
@limiter.limit(limits.PER_ADDRESS, key_func=limits.address, methods=["POST"], scope="customer-login")
@limits.per_network("customer-login")
def login() -> ResponseReturnValue:
    """Wrong passwords are throttled per (login, address) with a ceiling per login (``limits.PASSWORDS``), never
    counted per login alone: ten wrong tries by a stranger do not keep the customer with the right password out."""
    form = LoginForm()
    if form.validate_on_submit():
        key = throttle.login_key(form.login.data)
        wait = throttle.wait_seconds(limits.PASSWORDS, key)
        if wait:
            return backed_off(wait)
        session = db_session()
        account = accounts.authenticate(session, form.login.data, form.password.data)
        if account is not None:
            session.commit()
            throttle.succeeded(limits.PASSWORDS, key)
            login_user(CustomerUser.of(account))
            return redirect(safe_next(url_for(".cabinet")))
        after_failed_login = current_app.extensions.get(AFTER_FAILED_LOGIN)  # Flow B's, where it is on
        held = after_failed_login(session, form) if after_failed_login else None
        if held is not None:
            throttle.succeeded(limits.PASSWORDS, key)  # the password was right; the page says what to do next
            return held
        known = accounts.by_login(session, form.login.data)
        throttle.failed(session, limits.PASSWORDS, key, throttle.Subject(accounts.SUBJECT, known.id if known else None))
        session.commit()
        # One answer whether the login exists or the password is wrong.
        form.form_errors.append(_("Wrong login or password."))
    return page("customer/login.html", form=form)


@bp.route("/account/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    if getattr(current_user, "role", None) == "customer":
        accounts.log_out(db_session(), _account())
        db_session().commit()
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for(".login"))


@bp.route("/account/forgot", methods=["GET", "POST"])
@limiter.limit("5 per minute;20 per day", key_func=limits.address, methods=["POST"], scope="customer-forgot")
@limiter.limit("3 per hour", key_func=limits.login_key, methods=["POST"], scope="customer-forgot-name")
def forgot() -> ResponseReturnValue:
    form = ForgotForm()
    if form.validate_on_submit():
        session = db_session()
        accounts.request_password_reset(session, settings(), form.login.data)
        session.commit()
        # The same page whether the login exists or not.
        return page("customer/forgot_sent.html")
    return page("customer/forgot.html", form=form)


@bp.route("/account/reset/<token>", methods=["GET", "POST"])
@limiter.limit(limits.PER_ADDRESS, key_func=limits.address, methods=["POST"], scope="customer-reset")
def reset(token: str) -> ResponseReturnValue:
    session = db_session()
    if tokens.peek(session, token, tokens.PASSWORD_RESET) is None:
        return page("customer/link_invalid.html", status=404)
    form = NewPasswordForm()
    if form.submitted():
        check_only = bool(form.errors)  # the page's own problems (the passwords differ): spend nothing
        try:
            account = accounts.reset_password(
                session, settings(), token, form.password.data or "", check_only=check_only
            )
        except Invalid as exc:
            session.rollback()
            show_problems(form, exc.problems, spare_fields_in_error=True)
        else:
            if account is None:
                session.rollback()
                return page("customer/link_invalid.html", status=404)
            if not check_only:
                session.commit()
                logout_user()
                flash(_("Your new password is set. Log in with it."), "success")
                return redirect(url_for(".login"))
    login = _reset_login(token)
    return page("customer/reset.html", form=form, login=login, common_url=url_for(".common_passwords"))


def _reset_login(token: str) -> str:
    row = tokens.peek(db_session(), token, tokens.PASSWORD_RESET)
    account = db_session().get(CustomerAccount, row.account_id) if row is not None else None
    return account.login if account is not None else ""


@bp.route("/account")
@customer_required
def cabinet() -> ResponseReturnValue:
    account = _account()
    return _cabinet(account, PhoneForm(phone=account.phone), EmailForm())


@bp.route("/account/phone", methods=["POST"])
@customer_required
@limiter.limit(limits.PER_ACCOUNT, key_func=limits.account_key, scope="customer-contacts")
def change_phone() -> ResponseReturnValue:
    account = _account()
    form = PhoneForm()
    if form.validate_on_submit():
        changed = saved(form, lambda db: accounts.change_phone(db, account, form.phone.data, country(account).code))
        if changed is not None:
            flash(_("The phone number is changed.") if changed else _("The phone number is the same."), "success")
            return redirect(url_for(".cabinet"))
    return _cabinet(account, form, EmailForm())


@bp.route("/account/email", methods=["POST"])
@customer_required
@limiter.limit(limits.PER_ACCOUNT, key_func=limits.account_key, scope="customer-contacts")
def change_email() -> ResponseReturnValue:
    account = _account()
    form = EmailForm()
    if form.validate_on_submit():
        sent = saved(form, lambda db: accounts.request_email_change(db, settings(), account, form.email.data))
        if sent is not None:
            if sent:
                flash(
                    _("We have sent a link to %(email)s. The address changes when you open it.", email=form.email.data),
                    "success",
                )
            else:
                flash(_("This is already your email."), "info")
            return redirect(url_for(".cabinet"))
    return _cabinet(account, PhoneForm(phone=account.phone), form)


@bp.route("/account/email/<token>", methods=["GET", "POST"])
@limiter.limit(limits.PER_ADDRESS, key_func=limits.address, methods=["POST"], scope="customer-email-confirm")
def confirm_email(token: str) -> ResponseReturnValue:
    session = db_session()
    row = tokens.peek(session, token, tokens.EMAIL_CHANGE)
    if row is None:
        return page("customer/link_invalid.html", status=404)
    form = ConfirmForm()
    if form.validate_on_submit():
        account = accounts.confirm_email_change(session, token)
        if account is None:
            session.rollback()
            return page("customer/link_invalid.html", status=404)
        session.commit()
        flash(_("Your email is now %(email)s.", email=account.email), "success")
        return redirect(url_for(".cabinet") if current_user.is_authenticated else url_for(".login"))
    return page("customer/confirm_email.html", form=form, new_email=row.new_email)


@bp.route("/account/password", methods=["GET", "POST"])
@customer_required
@limiter.limit(limits.PER_ACCOUNT, key_func=limits.account_key, methods=["POST"], scope="customer-password")
def change_password() -> ResponseReturnValue:
    account = _account()
    form = ChangePasswordForm()
    if form.submitted():
        current, new = form.current_password.data or "", form.password.data or ""
        try:
            accounts.change_password(db_session(), settings(), account, current, new, check_only=bool(form.errors))
        except Invalid as exc:
            db_session().rollback()
            show_problems(form, exc.problems, spare_fields_in_error=True)
        if not form.errors:
            db_session().commit()
            # The session id carries a stamp of the password: renew it so this browser stays logged in.
            login_user(CustomerUser.of(account))
            flash(_("Your password is changed."), "success")
            return redirect(url_for(".cabinet"))
    return page(
        "customer/password.html",
        form=form,
        login=account.login,
        identifier=account.application.identifier if account.application else "",
        common_url=url_for(".common_passwords"),
    )


def _account() -> CustomerAccount:
    account = db_session().get(CustomerAccount, current_user.account_id)
    assert account is not None  # the user loader found it moments ago
    return account


def _cabinet(account: CustomerAccount, phone_form: PhoneForm, email_form: EmailForm) -> ResponseReturnValue:
    app = account.application
    contract = app.contract if app is not None else None
    offer = (app.commercial_offer if app is not None else None) or (contract.commercial_offer if contract else None)
    pending = (
        db_session()
        .scalars(
            select(CustomerToken).where(
                CustomerToken.account_id == account.id,
                CustomerToken.purpose == tokens.EMAIL_CHANGE,
                CustomerToken.used_at.is_(None),
                CustomerToken.expires_at > utcnow(),
            )
        )
        .first()
    )
    where = country(account)
    return page(
        "customer/cabinet.html",
        account=account,
        country=where,
        phone_example=phone_example(where.code),
        application=app,
        contract=contract,
        offer=_(OFFER_LABELS[offer]) if offer else "",
        pending_email=pending.new_email if pending else "",
        phone_form=phone_form,
        email_form=email_form,
        welcome=request.args.get("welcome") == "1",
    )
