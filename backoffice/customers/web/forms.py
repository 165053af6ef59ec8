"""The customer pages' forms. Field rules that need no database live here; the rest in the services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, StringField, TelField
from wtforms.validators import DataRequired, EqualTo, Length

from backoffice.web.forms import BoundedForm


class RegistrationForm(BoundedForm):
    code = StringField(_l("Registration code"), validators=[DataRequired(), Length(max=40)])
    identifier = StringField(_l("EDRPOU or RNOKPP"), validators=[DataRequired(), Length(max=20)])
    login = StringField(_l("Login"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    password_again = PasswordField(
        _l("Password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ"))],
    )


class LoginForm(BoundedForm):
    login = StringField(_l("Login"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])


class ForgotForm(BoundedForm):
    login = StringField(_l("Login"), validators=[DataRequired(), Length(max=64)])


class NewPasswordForm(BoundedForm):
    password = PasswordField(_l("New password"), validators=[DataRequired()])
    password_again = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ"))],
    )


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
