"""The three logins of Flow B: valid numbers pass, and each way of being wrong gets its own message, on the field
of the registration form (public example numbers from the identifiers' documentation, and generated ones)."""

from __future__ import annotations

import pytest
from stdnum.ru import ogrn as stdnum_ogrn

from backoffice.selfreg import services
from backoffice.selfreg.models import PersonKind
from backoffice.validation import identifiers
from backoffice.validation.problems import Invalid
from tests.backoffice.selfreg.conftest import PASSWORD, snils_check, valid_ogrn, valid_ogrnip, valid_snils


def _problem(kind: PersonKind, typed: str) -> tuple[str, str, str]:
    """(field, code, message) of the identifier's problem when the form is sent with ``typed``."""
    data = services.Submission(kind.value, typed, "Имя Фамилия", "a@example.com", PASSWORD, True)
    with pytest.raises(Invalid) as info:
        services.clean(data)
    (problem,) = [p for p in info.value.problems if p.field == "identifier"]
    return problem.field, problem.code, problem.text()


# -- SNILS -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("112-233-445 95", "11223344595"),  # the example of the Pension Fund's rule
        ("11223344595", "11223344595"),
        ("112 233 445 95", "11223344595"),
        (" 112-233-44595 ", "11223344595"),
    ],
)
def test_snils_with_or_without_dashes_and_spaces_is_stored_as_11_digits(typed: str, stored: str) -> None:
    cleaned = services.clean(
        services.Submission("individual", typed, "Иванов Иван Иванович", "a@example.com", PASSWORD, True)
    )
    assert cleaned.identifier == stored


@pytest.mark.parametrize(
    ("body", "weighted_sum", "check"),
    [
        ("001019989", 100, "00"),  # a sum of 100 gives 00
        ("001029985", 101, "00"),  # so does 101
        ("001028998", 102, "01"),  # above 101: modulo 101 first
        ("003998986", 201, "00"),  # ... and a remainder of 100 gives 00 again
    ],
)
def test_snils_check_number_special_cases(body: str, weighted_sum: int, check: str) -> None:
    assert sum(int(d) * w for d, w in zip(body, range(9, 0, -1), strict=True)) == weighted_sum
    assert snils_check(body) == check
    assert identifiers.snils(body + check) == body + check


def test_generated_snils_numbers_pass_and_a_changed_check_number_fails() -> None:
    for n in range(0, 3000, 3):
        number = valid_snils(n)
        assert identifiers.snils(number) == number
        wrong = number[:9] + f"{(int(number[9:]) + 1) % 100:02d}"
        with pytest.raises(Invalid) as info:
            identifiers.snils(wrong)
        assert info.value.problems[0].code == "checksum"


@pytest.mark.parametrize(
    ("typed", "code", "message"),
    [
        ("1122334459", "length", "SNILS must have 11 digits, not 10"),
        ("112233445950", "length", "SNILS must have 11 digits, not 12"),
        ("112-233-4A5 95", "digits", "SNILS must contain digits only"),
        ("112-233-445 96", "checksum", "SNILS has a wrong check digit: the number contains a typo"),
        ("001-001-998 00", "range", "SNILS is outside the range of numbers that are issued"),
        ("", "required", "SNILS is required"),
    ],
)
def test_each_wrong_snils_gets_its_own_message(typed: str, code: str, message: str) -> None:
    assert _problem(PersonKind.INDIVIDUAL, typed) == ("identifier", code, message)


# -- OGRN --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("number", ["1022200525819", "1027700132195", "1037739010891"])
def test_valid_ogrn(number: str) -> None:
    assert stdnum_ogrn.is_valid(number)
    cleaned = services.clean(services.Submission("legal_entity", number, "ООО «Тест»", "a@example.com", PASSWORD, True))
    assert cleaned.identifier == number


def test_generated_ogrn_numbers_pass_and_a_changed_check_digit_fails() -> None:
    for n in range(0, 2000, 7):
        number = valid_ogrn(n)
        assert identifiers.ogrn(number) == number
        with pytest.raises(Invalid) as info:
            identifiers.ogrn(number[:-1] + str((int(number[-1]) + 1) % 10))
        assert info.value.problems[0].code == "checksum"


@pytest.mark.parametrize(
    ("typed", "code", "message"),
    [
        ("102220052581", "length", "OGRN must have 13 digits, not 12"),
        ("385768585948949", "length", "OGRN must have 13 digits, not 15"),  # an OGRNIP is not an OGRN
        ("10222005258l9", "digits", "OGRN must contain digits only"),
        ("1022500001328", "checksum", "OGRN has a wrong check digit: the number contains a typo"),
        ("0022200525819", "range", "OGRN is outside the range of numbers that are issued"),
    ],
)
def test_each_wrong_ogrn_gets_its_own_message(typed: str, code: str, message: str) -> None:
    assert _problem(PersonKind.LEGAL_ENTITY, typed) == ("identifier", code, message)


# -- OGRNIP ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("number", ["385768585948949", "304500116000157"])
def test_valid_ogrnip(number: str) -> None:
    assert services.clean(
        services.Submission("sole_proprietor", number, "Петров Пётр", "a@example.com", PASSWORD, True)
    ).identifier == number


def test_generated_ogrnip_numbers_pass_and_a_changed_check_digit_fails() -> None:
    for n in range(0, 2000, 7):
        number = valid_ogrnip(n)
        assert identifiers.ogrnip(number) == number
        with pytest.raises(Invalid) as info:
            identifiers.ogrnip(number[:-1] + str((int(number[-1]) + 1) % 10))
        assert info.value.problems[0].code == "checksum"


@pytest.mark.parametrize(
    ("typed", "code", "message"),
    [
        ("1022200525819", "length", "OGRNIP must have 15 digits, not 13"),  # an OGRN is not an OGRNIP
        ("38576858594894", "length", "OGRNIP must have 15 digits, not 14"),
        ("3857685859489-4O", "digits", "OGRNIP must contain digits only"),
        ("385768585948948", "checksum", "OGRNIP has a wrong check digit: the number contains a typo"),
        ("185768585948949", "range", "OGRNIP is outside the range of numbers that are issued"),
    ],
)
def test_each_wrong_ogrnip_gets_its_own_message(typed: str, code: str, message: str) -> None:
    assert _problem(PersonKind.SOLE_PROPRIETOR, typed) == ("identifier", code, message)


def test_the_messages_are_translated_where_they_are_shown(flow_app: object) -> None:
    """Problems carry English msgids and are translated at display time: Flow B pages are Russian by default."""
    from flask import Flask

    assert isinstance(flow_app, Flask)
    with flow_app.test_request_context("/signup?lang=ru"):
        assert _problem(PersonKind.INDIVIDUAL, "1")[2] == "СНИЛС должен состоять из 11 цифр, а не из 1"
    with flow_app.test_request_context("/signup?lang=uk"):
        assert _problem(PersonKind.INDIVIDUAL, "112-233-445 96")[2].startswith("СНІЛС")
