"""The customer pages' forms. Field rules that need no database live here; the rest in the services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from wtforms import EmailField, PasswordField, StringField, TelField
from wtforms.validators import DataRequired, EqualTo, Length

from backoffice.web.forms import BoundedForm


def _new_password(label: LazyString, again: LazyString) -> tuple[PasswordField, PasswordField]:
    """A password being chosen, and the same typed again, which must equal it (the fields ``password`` and
    ``password_again`` of every form where a customer chooses one)."""
    return (
        PasswordField(label, validators=[DataRequired()]),
        PasswordField(again, validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ"))]),
    )


class RegistrationForm(BoundedForm):
    code = StringField(_l("Registration code"), validators=[DataRequired(), Length(max=40)])
    identifier = StringField(_l("EDRPOU or RNOKPP"), validators=[DataRequired(), Length(max=20)])
    login = StringField(_l("Login"), validators=[DataRequired(), Length(max=64)])
    password, password_again = _new_password(_l("Password"), _l("Password again"))


class LoginForm(BoundedForm):
    login = StringField(_l("Login"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])


class ForgotForm(BoundedForm):
    login = StringField(_l("Login"), validators=[DataRequired(), Length(max=64)])


class NewPasswordForm(BoundedForm):
    password, password_again = _new_password(_l("New password"), _l("New password again"))


class ChangePasswordForm(NewPasswordForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=1024)])


class PhoneForm(BoundedForm):
    phone = TelField(_l("Phone"), validators=[DataRequired(), Length(max=32)])


class EmailForm(BoundedForm):
    email = EmailField(_l("New email"), validators=[DataRequired(), Length(max=254)])


class ConfirmForm(BoundedForm):
    """Only the CSRF token: a link opened by a mail scanner must change nothing, a button press does."""


class StatusForm(BoundedForm):
    number = StringField(_l("Application number"), validators=[DataRequired(), Length(max=20)])
    identifier = StringField(_l("EDRPOU or RNOKPP"), validators=[DataRequired(), Length(max=20)])
