"""The forms of the cabinet's requests. The rules are the service's (``requests.services``): the form only carries
what was typed, so one submit lists every problem at once."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import MultipleFileField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Length
from wtforms.widgets import CheckboxInput, ListWidget

from backoffice.requests.connections import MAX_ADDRESS, MAX_NAME, MAX_PERIOD
from backoffice.requests.services import MAX_SUBJECT, MAX_TEXT
from backoffice.web.forms import BoundedForm


class WriteForm(BoundedForm):
    kind = RadioField(_l("What are you writing?"), choices=[], validate_choice=False)
    subject = StringField(_l("Subject"), validators=[Length(max=MAX_SUBJECT)])
    text = TextAreaField(_l("Your text"), validators=[Length(max=MAX_TEXT)])
    files = MultipleFileField(_l("Files (PDF or pictures, up to 5 files of 10 MB)"))


class ReplyForm(BoundedForm):
    text = TextAreaField(_l("Your reply"), validators=[Length(max=MAX_TEXT)])
    files = MultipleFileField(_l("Files (PDF or pictures, up to 5 files of 10 MB)"))


FILES = _l("Files (PDF or pictures, up to 5 files of 10 MB)")


class ConnectionForm(BoundedForm):
    """Every utility's fields; each page shows those of its own (``requests.connections``)."""

    installation_name = StringField(_l("Name of the power-receiving installation"), validators=[Length(max=MAX_NAME)])
    object_name = StringField(_l("Name of the object"), validators=[Length(max=MAX_NAME)])
    address = StringField(_l("Address"), validators=[Length(max=MAX_ADDRESS)])
    max_power_kw = StringField(_l("Maximum power requested, kW"))
    connected_power_kw = StringField(_l("Power already connected, kW"))
    voltage = SelectField(_l("Voltage level"), choices=[], validate_choice=False)
    reliability = SelectField(_l("Reliability category"), choices=[], validate_choice=False)
    cadastral_number = StringField(_l("Cadastral number of the land plot"))
    water_load = StringField(_l("Water supply load, m³/day"))
    wastewater_load = StringField(_l("Wastewater load, m³/day"))
    heating_load = StringField(_l("Heating load, Gcal/h"))
    ventilation_load = StringField(_l("Ventilation load, Gcal/h"))
    hot_water_load = StringField(_l("Hot water load, Gcal/h"))
    planned_date = StringField(_l("Planned date"))
    text = TextAreaField(_l("Comment"), validators=[Length(max=MAX_TEXT)])
    files = MultipleFileField(FILES)


class DocumentsForm(BoundedForm):
    document_types = SelectMultipleField(
        _l("Which documents?"), choices=[], validate_choice=False, widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    period = StringField(_l("Period (optional)"), validators=[Length(max=MAX_PERIOD)])
    text = TextAreaField(_l("Comment"), validators=[Length(max=MAX_TEXT)])
