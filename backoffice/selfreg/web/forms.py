"""Flow B's forms. What a field must hold is checked by the services (``services.clean``), in one place."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField, TelField, TextAreaField
from wtforms.validators import EqualTo, Length

from backoffice.web.forms import BoundedForm


class RegistrationForm(BoundedForm):
    # Chosen on the first step (one link per kind of person), carried here so the labels fit the person.
    kind = HiddenField()
    identifier = StringField(_l("Login"), validators=[Length(max=40)])
    name = StringField(_l("Organization / full name"), validators=[Length(max=400)])
    email = EmailField(_l("Email"), validators=[Length(max=254)])
    password = PasswordField(_l("Password"), validators=[Length(max=1024)])
    password_again = PasswordField(
        _l("Password again"), validators=[EqualTo("password", message=_l("The two passwords differ"))]
    )
    consent = BooleanField(_l("I consent to the processing and storage of my personal data"))


class ClaimForm(BoundedForm):
    """Asking who owns an identifier that someone else registered: who asks, and what they can show."""

    name = StringField(_l("Your full name"), validators=[Length(max=400)])
    email = EmailField(_l("Email"), validators=[Length(max=254)])
    phone = TelField(_l("Phone"), validators=[Length(max=40)])
    contract_number = StringField(_l("Contract number"), validators=[Length(max=100)])
    account_number = StringField(_l("Personal account number"), validators=[Length(max=100)])
    signed_request = BooleanField(
        _l(
            "I will send a request signed with a qualified electronic signature, "
            "or on paper with the signature and seal"
        )
    )
    note = TextAreaField(_l("Anything else that shows the identifier is yours"), validators=[Length(max=4000)])
    consent = BooleanField(
        _l("I consent to the processing of the data in this request to check who owns the identifier")
    )


class ResendForm(BoundedForm):
    identifier = StringField(_l("SNILS, OGRNIP or OGRN"), validators=[Length(max=40)])


class ButtonForm(BoundedForm):
    """Only the CSRF token: a link opened by a mail scanner changes nothing, a button press does."""


class WithdrawForm(BoundedForm):
    acknowledge = BooleanField(
        _l("I understand that my account will be closed and I will not be able to log in with it any more")
    )
