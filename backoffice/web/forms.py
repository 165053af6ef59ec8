"""The base of every public form: what was typed is shown again at most as long as the field allows.

A form with an error is shown again with what was typed, so a 10 MB value in a 40-character field would come
back whole: a cheap way to make the server send large pages, and to reflect whatever a link or a script put in.
The value is validated as sent (a value too long is an error, never quietly shortened into a valid one) and cut
to the field's ``Length(max=…)`` only afterwards, for the page.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field
from wtforms.validators import Length


def max_length(field: Field) -> int | None:
    """The field's own maximum, from its ``Length`` validator."""
    limits = [v.max for v in field.validators if isinstance(v, Length) and v.max is not None and v.max >= 0]
    return min(limits) if limits else None


class BoundedForm(FlaskForm):  # type: ignore[misc]
    def validate(self, extra_validators: Any = None) -> bool:
        valid: bool = super().validate(extra_validators)
        for field in self:
            limit = max_length(field)
            if limit is not None and isinstance(field.data, str) and len(field.data) > limit:
                field.data = field.data[:limit]
                field.raw_data = [field.data]
        return valid

    def submitted(self) -> bool:
        """Validate a POST and say whether it came with a good token, whatever its fields' own rules found.

        The services' checks then run on it as well, so one answer lists every problem (an empty field and a bad
        code together), in the manner of the GOV.UK Design System. A post without a good token (a page left open
        too long, a forged one) checks nothing on the sender's behalf.
        """
        self.validate_on_submit()
        return bool(self.is_submitted()) and "csrf_token" not in self.errors
