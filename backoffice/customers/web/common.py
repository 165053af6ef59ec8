"""Helpers the customer views share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import Response, current_app, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import Session
from wtforms import Form

from backoffice.customers.models import CustomerAccount
from backoffice.customers.web import COUNTRY_OF
from backoffice.settings import Settings
from backoffice.validation.problems import Invalid, Problem
from backoffice.web import db_session, errors

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


def settings() -> Settings:
    value: Settings = current_app.config["SETTINGS"]
    return value


@dataclass(frozen=True)
class Country:
    """The country an account's flow serves: how its customers write phone numbers, and who takes their meter
    readings. Flow A serves Ukraine; Flow B serves the country of its own settings."""

    #: ISO 3166 code; phone numbers are read as this country's when written nationally.
    code: str
    #: The distribution system operator's site; empty: the cabinet names none.
    dso_url: str
    #: What the cabinet says about meter readings and the operator's invoices (the country's rule).
    dso_notice: Any


def country(account: CustomerAccount) -> Country:
    """The account's country: Flow B's for its accounts (``COUNTRY_OF``), Flow A's Ukraine otherwise."""
    hook = current_app.extensions.get(COUNTRY_OF)
    found: Country | None = hook(account) if hook else None
    return found or Country(
        "UA",
        settings().site.dso_url,
        _l(
            "Meter readings and the invoices of the distribution system operator are handled by the distribution "
            "system operator, not by us (Commercial Metering Code, clause 8.6)."
        ),
    )


def customer_required(view: F) -> F:
    """Only a logged-in customer; others go to the customer login page (staff are not customers)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated or getattr(current_user, "role", None) != "customer":
            return redirect(url_for("customers.login", next=request.path))
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def show_problems(form: Form, problems: list[Problem], *, spare_fields_in_error: bool = False) -> None:
    """Put service problems beside the fields they are about (or on the form when no field matches).

    The same rule can be checked twice on one submit (by the page before the database is asked, by the service
    after), so a message a field already shows is not added again. With ``spare_fields_in_error``, a field that
    already has an error (an empty required field) gets no other: one message per field says what to do first.
    """
    in_error = {field.name for field in form if field.errors} if spare_fields_in_error else set()
    for problem in problems:
        field = getattr(form, problem.field, None)
        text = problem.text()
        if field is None:
            if text not in form.form_errors:
                form.form_errors.append(text)
        elif problem.field not in in_error and text not in field.errors:
            field.errors = [*field.errors, text]


def saved(form: Form, change: Callable[[Session], T], *, keep: Callable[[Problem], bool] = lambda _p: True) -> T | None:
    """Run a form's change in the request's transaction: committed, and its result returned; or rolled back with
    every problem on the form (those ``keep`` lets through) and None, so the page is shown again with them."""
    db = db_session()
    try:
        result = change(db)
    except Invalid as exc:
        db.rollback()
        show_problems(form, [p for p in exc.problems if keep(p)])
        return None
    db.commit()
    return result


def page(template: str, status: int = 200, **context: Any) -> Response:
    return no_store(render_template(template, **context), status)


def no_store(html: str, status: int = 200) -> Response:
    """Pages with forms for secrets are never cached by the browser or a proxy."""
    response = Response(html, status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def backed_off(seconds: int) -> Response:
    """The answer while this address waits before its next try on an identifier (``backoffice.web.throttle``)."""
    return errors.too_many(seconds)

