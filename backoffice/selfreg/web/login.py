"""Flow B's word at the customer login, asked only after the login and password did not open an account.

The customer pages' login view calls :func:`after_failed_login` before it answers "wrong login or password".
With Flow B switched off it returns None at once. With it on:

* an identifier typed with dashes or spaces (SNILS is often written 112-233-445 95) is tried again as digits;
* a right password for a registration that still waits for its email gets the page that says the email must
  be confirmed first and offers to send the letter again;
* a right password for a blocked account gets a page that says so and how to reach the supplier.

Both pages appear only after the password matched, so they tell a stranger nothing the duplicate-registration
page would not (that the identifier is registered), and never the account's email.
"""

from __future__ import annotations

from flask import current_app, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_user
from sqlalchemy.orm import Session

from backoffice.customers import accounts
from backoffice.customers.web.common import page
from backoffice.customers.web.forms import LoginForm
from backoffice.customers.web.users import CustomerUser
from backoffice.passwords import verify_secret
from backoffice.selfreg import enabled, services
from backoffice.selfreg.web.forms import ResendForm
from backoffice.web.redirects import safe_next
from workflows.self_registration import SelfRegistrationState


def after_failed_login(session: Session, form: LoginForm) -> ResponseReturnValue | None:
    if not enabled(current_app.config["SETTINGS"]):
        return None
    typed = (form.login.data or "").strip()
    password = form.password.data or ""
    digits = "".join(ch for ch in typed if ch.isdigit())
    if not digits or len(digits) not in (11, 13, 15) or any(ch.isalpha() for ch in typed):
        return None
    if digits != typed:
        account = accounts.authenticate(session, digits, password)
        if account is not None:
            session.commit()
            login_user(CustomerUser.of(account))
            return redirect(safe_next(url_for("customers.cabinet")))
    reg = services.by_identifier(session, digits)
    if reg is None or reg.account is None or reg.state == SelfRegistrationState.ACTIVE:
        return None
    if not verify_secret(reg.account.password_hash, password):
        return None
    form.password.data = ""
    if reg.state == SelfRegistrationState.PENDING_CONFIRMATION:
        resend = ResendForm(formdata=None, identifier=digits)
        return page("selfreg/unconfirmed_login.html", status=403, form=form, resend_form=resend)
    return page("selfreg/blocked_login.html", status=403, form=form)
