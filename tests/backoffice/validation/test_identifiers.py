"""Identifiers with check digits: valid numbers pass, and each way of being wrong gets its own message."""

from __future__ import annotations

import pytest
from stdnum.ru import ogrn as stdnum_ogrn
from stdnum.ua import edrpou as stdnum_edrpou
from stdnum.ua import rntrc as stdnum_rntrc

from backoffice.validation import identifiers
from backoffice.validation.identifiers import IdentifierKind
from backoffice.validation.problems import Invalid


def _code(fn, value: str) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(Invalid) as info:
        fn(value)
    return info.value.problems[0].code


@pytest.mark.parametrize("number", ["32855961", "00032945", "14360570"])
def test_valid_edrpou(number: str) -> None:
    assert identifiers.ukrainian_identifier(number) == (number, IdentifierKind.EDRPOU)


@pytest.mark.parametrize("number", ["1759013776", "2245134754"])
def test_valid_rnokpp(number: str) -> None:
    assert stdnum_rntrc.is_valid(number)
    assert identifiers.ukrainian_identifier(number) == (number, IdentifierKind.RNOKPP)


def test_edrpou_each_rule_has_its_message() -> None:
    assert _code(identifiers.edrpou, "3285596") == "length"
    assert _code(identifiers.edrpou, "3285596a") == "digits"
    assert _code(identifiers.edrpou, "32855962") == "checksum"
    assert _code(identifiers.edrpou, "") == "required"
    with pytest.raises(Invalid, match="must have 8 digits, not 7"):
        identifiers.edrpou("3285596")
    with pytest.raises(Invalid, match="wrong check digit"):
        identifiers.edrpou("32855962")


def test_rnokpp_checksum() -> None:
    assert _code(identifiers.rnokpp, "1759013777") == "checksum"


def test_ukrainian_identifier_explains_a_length_that_fits_neither() -> None:
    with pytest.raises(Invalid, match="EDRPOU has 8 digits and RNOKPP has 10; this number has 9"):
        identifiers.ukrainian_identifier("123456789")


def test_generated_edrpou_numbers_round_trip() -> None:
    for n in range(1000000, 1000000 + 500, 7):
        body = f"{n:07d}"
        number = body + stdnum_edrpou.calc_check_digit(body)
        assert identifiers.edrpou(number) == number
        wrong = body + str((int(number[-1]) + 1) % 10)
        assert _code(identifiers.edrpou, wrong) == "checksum"


# SNILS: the published example 112-233-445 95, and the boundary rules of the check number.
@pytest.mark.parametrize("value", ["112-233-445 95", "11223344595", "112 233 445 95"])
def test_valid_snils_with_or_without_separators(value: str) -> None:
    assert identifiers.snils(value) == "11223344595"


def test_snils_rules() -> None:
    assert _code(identifiers.snils, "1122334459") == "length"
    assert _code(identifiers.snils, "11223344594") == "checksum"
    assert _code(identifiers.snils, "112233445a5") == "digits"
    with pytest.raises(Invalid, match="SNILS has a wrong check digit"):
        identifiers.snils("112-233-445 96")


def _snils_with_check(body: str) -> str:
    total = sum(int(d) * w for d, w in zip(body, range(9, 0, -1), strict=True))
    check = total % 101
    return body + f"{0 if check == 100 else check:02d}"


def test_generated_snils_including_sums_of_100_and_101() -> None:
    sums = {}
    for n in range(1001999, 1001999 + 200000, 7):
        body = f"{n:09d}"
        number = _snils_with_check(body)
        assert identifiers.snils(number) == number
        total = sum(int(d) * w for d, w in zip(body, range(9, 0, -1), strict=True))
        sums.setdefault(total, number)
    # sums of exactly 100 and 101 both give the check number 00
    assert sums[100].endswith("00") and sums[101].endswith("00")
    assert identifiers.snils(sums[100]) == sums[100]
    assert _code(identifiers.snils, "00100199800") == "range"  # numbers up to 001-001-998 are not issued


def test_ogrnip_whose_remainder_is_ten_or_more() -> None:
    # 30000001000005 mod 13 = 10: the check digit is its last digit, 0
    assert identifiers.ogrnip("300000010000050") == "300000010000050"
    assert _code(identifiers.ogrnip, "300000010000051") == "checksum"
    for n in range(30000000000000, 30000000000000 + 2000, 11):
        body = str(n)
        assert identifiers.ogrnip(body + str(n % 13 % 10)) == body + str(n % 13 % 10)


def test_ogrn_and_ogrnip() -> None:
    assert identifiers.ogrn("1027700132195") == "1027700132195"
    assert identifiers.ogrnip("304500116000157") == "304500116000157"
    assert _code(identifiers.ogrn, "1027700132194") == "checksum"
    assert _code(identifiers.ogrn, "304500116000157") == "length"
    assert _code(identifiers.ogrnip, "1027700132195") == "length"
    assert _code(identifiers.ogrnip, "30450011600015x") == "digits"
    for n in range(100000000000, 100000000000 + 300, 3):
        body = str(n)
        number = body + stdnum_ogrn.calc_check_digit(body + "0")  # the function reads the full-length number
        assert identifiers.ogrn(number) == number
