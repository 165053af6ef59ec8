"""A validation problem: which field, what is wrong, and a message a person can act on.

Messages are English msgids marked for translation; they are translated where they are shown, so the same
problem reads in Ukrainian to an operator and in Russian to a Flow B customer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from backoffice import translation
from backoffice.errors import BackofficeError


@dataclass(frozen=True)
class Problem:
    field: str
    code: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)
    #: A warning lets the work go on (shown to the operator); an error stops the input.
    warning: bool = False

    @classmethod
    def from_stored(cls, data: Mapping[str, Any]) -> Problem:
        """A problem kept as JSON (an email's form, ``intake.processing``). Older rows hold every parameter as a
        string, while messages format numbers with ``%(length)d``: digits come back as numbers."""
        params = {k: int(v) if isinstance(v, str) and v.isdecimal() else v for k, v in data.get("params", {}).items()}
        return cls(
            str(data.get("field", "")),
            str(data.get("code", "")),
            str(data.get("message", "")),
            params,
            bool(data.get("warning", False)),
        )

    def text(self, gettext: Any = None) -> str:
        """The message in the current language when a Flask app is active, else as written."""
        if gettext is None:
            gettext = translation.gettext
        params = {k: gettext(v) if k == "name" else v for k, v in self.params.items()}
        template = gettext(self.message)
        return template % params if params else template


class Invalid(BackofficeError, ValueError):
    """One or more problems with input; nothing was saved."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems))

    def __str__(self) -> str:
        return "; ".join(p.text() for p in self.problems)

    @property
    def user_message(self) -> str:
        own = self._user_message
        return str(own) if own is not None else str(self)

