"""The meters' forms. The rules are the service's (``meters.services``): one submit lists every problem at once."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Length

from backoffice.meters.services import MAX_PLACE, MAX_SERIAL
from backoffice.requests.services import MAX_TEXT
from backoffice.web.forms import BoundedForm


class AddForm(BoundedForm):
    type = RadioField(_l("Type"), choices=[], validate_choice=False)
    serial = StringField(_l("Serial number"), validators=[Length(max=MAX_SERIAL)])
    place = StringField(_l("Where the meter is"), validators=[Length(max=MAX_PLACE)])
    zones = SelectField(_l("Tariff zones"), choices=[("1", "1"), ("2", "2"), ("3", "3")], validate_choice=False)
    digits = StringField(_l("Digit capacity (digits before the decimal point)"), validators=[Length(max=2)])
    verified_on = StringField(_l("Date of the last verification"), validators=[Length(max=10)])


class ReadingForm(BoundedForm):
    zone_1 = StringField(_l("Zone 1 (T1)"), validators=[Length(max=20)])
    zone_2 = StringField(_l("Zone 2 (T2)"), validators=[Length(max=20)])
    zone_3 = StringField(_l("Zone 3 (T3)"), validators=[Length(max=20)])
    note = RadioField(_l("If the reading is below the last one"), choices=[], validate_choice=False, default="")
    confirmed = BooleanField(_l("Yes, the readings are right"))
    step = HiddenField()


class AskForm(BoundedForm):
    kind = HiddenField()
    text = TextAreaField(_l("Anything to add (optional)"), validators=[Length(max=MAX_TEXT)])
