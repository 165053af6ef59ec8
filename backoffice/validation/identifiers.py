"""National identifiers, checked with python-stdnum (and SNILS by its published rule), saying which rule failed."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from enum import StrEnum

from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError
from stdnum.ru import ogrn as _ogrn
from stdnum.ua import edrpou as _edrpou
from stdnum.ua import rntrc as _rntrc

from backoffice.validation.problems import Invalid, Problem
from workflows.i18n import N_


class IdentifierKind(StrEnum):
    """Which of Ukraine's numbers identifies a Flow A customer (contracts and applications store it)."""

    EDRPOU = "edrpou"  # legal entity, 8 digits
    RNOKPP = "rnokpp"  # natural person, 10 digits


_SEPARATORS = re.compile(r"[\s\-]")

_NAMES = {
    "edrpou": N_("EDRPOU code"),
    "rnokpp": N_("RNOKPP (taxpayer number)"),
    "snils": N_("SNILS"),
    "ogrn": N_("OGRN"),
    "ogrnip": N_("OGRNIP"),
}
_LENGTHS = {"edrpou": 8, "rnokpp": 10, "snils": 11, "ogrn": 13, "ogrnip": 15}


def compact(value: str) -> str:
    """A number as typed, the way every check here reads it: NFKC (fullwidth and other Unicode digits become
    ASCII, as python-stdnum folds them) without spaces and dashes. Rate-limit keys use it too, so a number
    typed in fullwidth digits counts against the same identifier as the ASCII one."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", value or ""))


def _check(kind: str, field: str, value: str, validate: Callable[[str], str]) -> str:
    number = compact(value)
    params = {"name": _NAMES[kind], "length": _LENGTHS[kind], "given": len(number)}
    if not number:
        raise Invalid([Problem(field, "required", N_("%(name)s is required"), params)])
    if not number.isdigit():
        raise Invalid([Problem(field, "digits", N_("%(name)s must contain digits only"), params)])
    try:
        return validate(number)
    except InvalidLength:
        msg = N_("%(name)s must have %(length)d digits, not %(given)d")
        raise Invalid([Problem(field, "length", msg, params)]) from None
    except InvalidFormat:
        raise Invalid([Problem(field, "digits", N_("%(name)s must contain digits only"), params)]) from None
    except InvalidComponent:
        msg = N_("%(name)s is outside the range of numbers that are issued")
        raise Invalid([Problem(field, "range", msg, params)]) from None
    except InvalidChecksum:
        msg = N_("%(name)s has a wrong check digit: the number contains a typo")
        raise Invalid([Problem(field, "checksum", msg, params)]) from None
    except ValidationError:
        raise Invalid([Problem(field, "invalid", N_("%(name)s is not valid"), params)]) from None


def edrpou(value: str, field: str = "identifier") -> str:
    return _check("edrpou", field, value, _edrpou.validate)


def rnokpp(value: str, field: str = "identifier") -> str:
    return _check("rnokpp", field, value, _rntrc.validate)


def ukrainian_identifier(value: str, field: str = "identifier") -> tuple[str, IdentifierKind]:
    """EDRPOU for a company or RNOKPP for a natural person, told apart by length."""
    number = compact(value)
    if len(number) == 10:
        return rnokpp(number, field), IdentifierKind.RNOKPP
    if len(number) == 8 or not number.isdigit() or not number:
        return edrpou(number, field), IdentifierKind.EDRPOU
    params = {"given": len(number)}
    msg = N_("EDRPOU has 8 digits and RNOKPP has 10; this number has %(given)d")
    raise Invalid([Problem(field, "length", msg, params)])


def _snils_validate(number: str) -> str:
    """SNILS: 9 digits and a 2-digit check number (Pension Fund of Russia rule).

    The check number is the sum of each of the first nine digits times its position counted from the right
    (9…1); a sum under 100 is the check number itself, 100 and 101 give 00, anything larger is taken modulo
    101 and then the same rule applies. The rule is defined for numbers above 001-001-998.
    """
    if len(number) != 11:
        raise InvalidLength()
    if not number.isdigit():
        raise InvalidFormat()
    body, check = number[:9], int(number[9:])
    if int(body) <= 1001998:
        raise InvalidComponent()
    total = sum(int(d) * w for d, w in zip(body, range(9, 0, -1), strict=True))
    expected = total % 101
    if expected == 100:
        expected = 0
    if expected != check:
        raise InvalidChecksum()
    return number


def snils(value: str, field: str = "login") -> str:
    """SNILS with or without dashes and spaces; stored as its 11 digits."""
    return _check("snils", field, value, _snils_validate)


def _ogrn_of_length(length: int) -> Callable[[str], str]:
    def validate(number: str) -> str:
        if len(number) != length:
            raise InvalidLength()
        if length == 15:
            return _ogrnip_validate(number)
        return str(_ogrn.validate(number))

    return validate


def _ogrnip_validate(number: str) -> str:
    """OGRNIP: the check digit is the last digit of (the first 14 digits mod 13).

    python-stdnum compares it with the whole remainder, so it refuses every valid OGRNIP whose remainder is 10,
    11 or 12 (about a quarter of them); the rule is applied here as the Federal Tax Service publishes it.
    """
    if not number.isdigit():
        raise InvalidFormat()
    if number[0] not in "34":  # an OGRNIP starts with 3 (or 4 for some registrations)
        raise InvalidComponent()
    if int(number[:-1]) % 13 % 10 != int(number[-1]):
        raise InvalidChecksum()
    return number


def ogrn(value: str, field: str = "login") -> str:
    return _check("ogrn", field, value, _ogrn_of_length(13))


def ogrnip(value: str, field: str = "login") -> str:
    return _check("ogrnip", field, value, _ogrn_of_length(15))
