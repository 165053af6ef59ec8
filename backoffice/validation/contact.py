"""Email addresses and phone numbers, checked with email-validator and phonenumbers."""

from __future__ import annotations

import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from backoffice.validation.problems import Invalid, Problem
from workflows.i18n import N_

_PHONE_SPLIT = re.compile(r"[,;\n]+")


def email(value: str, field: str = "email") -> str:
    """A syntactically valid address, normalised (no DNS look-up: intake and tests run offline)."""
    value = (value or "").strip()
    if not value:
        raise Invalid([Problem(field, "required", N_("Email is required"))])
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        params = {"value": value, "detail": str(exc)}
        raise Invalid(
            [Problem(field, "invalid", N_("%(value)s is not a valid email address"), params)]
        ) from None


def phone(value: str, field: str = "phones", region: str = "UA") -> tuple[str, list[Problem]]:
    """One phone number in E.164; numbers of ``region`` (a country code; Ukraine's for Flow A) may be written
    nationally (067…, 0 44… in Ukraine).

    A valid number of another country than Ukraine is accepted with a warning in Flow A: the operator will call
    it, but should know.
    """
    raw = (value or "").strip()
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise Invalid(
            [Problem(field, "invalid", N_("%(value)s is not a phone number"), {"value": raw})]
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise Invalid(
            [Problem(field, "invalid", N_("%(value)s is not a valid phone number"), {"value": raw})]
        )
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    warnings = []
    if region == "UA" and phonenumbers.region_code_for_number(number) != "UA":
        msg = N_("%(value)s is not a Ukrainian number")
        warnings.append(Problem(field, "not_ukrainian", msg, {"value": e164}, warning=True))
    return e164, warnings


def phones(value: str | list[str], field: str = "phones") -> tuple[list[str], list[Problem]]:
    """One or more numbers, separated by commas, semicolons or new lines; duplicates dropped, order kept."""
    items = value if isinstance(value, list) else _PHONE_SPLIT.split(value or "")
    items = [i.strip() for i in items if i and i.strip()]
    if not items:
        raise Invalid([Problem(field, "required", N_("At least one phone number is required"))])
    out: list[str] = []
    warnings: list[Problem] = []
    errors: list[Problem] = []
    for item in items:
        try:
            e164, warn = phone(item, field)
        except Invalid as exc:
            errors.extend(exc.problems)
            continue
        if e164 not in out:
            out.append(e164)
            warnings.extend(warn)
    if errors:
        raise Invalid(errors)
    return out, warnings


def phone_example(region: str) -> str:
    """A mobile number of ``region`` as its people write it (``050 123 4567`` in Ukraine), for a field's hint."""
    number = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL) if number else ""
