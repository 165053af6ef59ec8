"""The forms of the cabinet's requests. The rules are the service's (``requests.services``): the form only carries
what was typed, so one submit lists every problem at once."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import MultipleFileField, RadioField, StringField, TextAreaField
from wtforms.validators import Length

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
