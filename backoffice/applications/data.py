"""The registration data of an application: what the seed calls mandatory, checked field by field.

The same cleaning serves every way data comes in (a service-center form, the fields of a fillable PDF, an
operator typing from a scan, the CLI), so a rule is written once and reads the same everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from backoffice.contracts.models import CommercialOffer
from backoffice.validation import contact, identifiers
from backoffice.validation.problems import Invalid, Problem
from workflows.i18n import N_

FIELDS = (
    "consumer_name",
    "identifier",
    "email",
    "phones",
    "code_word",
    "contact_name",
    "commercial_offer",
)
REQUIRED_MESSAGES = {
    "consumer_name": N_("Consumer name is required"),
    "contact_name": N_("Contact person's full name is required"),
    "code_word": N_("Code word is required"),
    "commercial_offer": N_("Commercial offer is required"),
}
CODE_WORD_MIN = 3


@dataclass
class Cleaned:
    """Values ready to store (the code word still in clear: the service hashes it) and the problems found."""

    values: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if not p.warning]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.warning]


def clean(raw: Mapping[str, Any], *, only: tuple[str, ...] | None = None) -> Cleaned:
    """Check the given fields (all of them by default) and collect every problem, not just the first."""
    out = Cleaned()
    for name in only or FIELDS:
        value = raw.get(name)
        try:
            _clean_field(out, name, value)
        except Invalid as exc:
            out.problems.extend(exc.problems)
    return out


def require(raw: Mapping[str, Any], *, only: tuple[str, ...] | None = None) -> Cleaned:
    """Like :func:`clean`, but any error raises :class:`Invalid` with all of them."""
    result = clean(raw, only=only)
    if result.errors:
        raise Invalid(result.errors)
    return result


def _clean_field(out: Cleaned, name: str, value: Any) -> None:
    text = value.strip() if isinstance(value, str) else value
    if name == "identifier":
        number, kind = identifiers.ukrainian_identifier(text or "")
        out.values["identifier"], out.values["identifier_kind"] = number, kind
    elif name == "email":
        out.values["email"] = contact.email(text or "")
    elif name == "phones":
        numbers, warnings = contact.phones(text or "")
        out.values["phones"] = numbers
        out.problems.extend(warnings)
    elif name == "commercial_offer":
        if not text:
            raise Invalid([Problem(name, "required", REQUIRED_MESSAGES[name])])
        try:
            out.values[name] = CommercialOffer(text)
        except ValueError:
            raise Invalid([Problem(name, "invalid", N_("Unknown commercial offer"))]) from None
    elif name == "code_word":
        if not text:
            raise Invalid([Problem(name, "required", REQUIRED_MESSAGES[name])])
        if len(text) < CODE_WORD_MIN:
            msg = N_("Code word must have at least %(min)d characters")
            raise Invalid([Problem(name, "short", msg, {"min": CODE_WORD_MIN})])
        out.values[name] = text
    elif name in ("consumer_name", "contact_name"):
        if not text:
            raise Invalid([Problem(name, "required", REQUIRED_MESSAGES[name])])
        out.values[name] = " ".join(str(text).split())
    else:
        raise KeyError(name)
