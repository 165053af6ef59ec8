"""Phones are normalised to E.164 the way Ukrainians write them; emails are checked without DNS."""

from __future__ import annotations

import pytest

from backoffice.applications.data import clean
from backoffice.validation import contact
from backoffice.validation.problems import Invalid


@pytest.mark.parametrize(
    ("written", "e164"),
    [
        ("067 123 45 67", "+380671234567"),
        ("(067) 123-45-67", "+380671234567"),
        ("+38 067 123 45 67", "+380671234567"),
        ("0 44 123 45 67", "+380441234567"),
        ("380501234567", "+380501234567"),
    ],
)
def test_ukrainian_numbers_become_e164(written: str, e164: str) -> None:
    number, warnings = contact.phone(written)
    assert number == e164 and warnings == []


def test_foreign_number_is_accepted_with_a_warning() -> None:
    number, warnings = contact.phone("+48 601 234 567")
    assert number == "+48601234567"
    assert [w.code for w in warnings] == ["not_ukrainian"] and warnings[0].warning


def test_several_numbers_duplicates_dropped_and_every_bad_one_named() -> None:
    numbers, _ = contact.phones("067 123 45 67; +380671234567, 050 765 43 21")
    assert numbers == ["+380671234567", "+380507654321"]
    with pytest.raises(Invalid) as info:
        contact.phones("067 123, hello")
    assert len(info.value.problems) == 2
    assert "067 123" in str(info.value) and "hello" in str(info.value)


def test_email() -> None:
    assert contact.email(" Office@Stepova.UA ") == "Office@stepova.ua"
    with pytest.raises(Invalid, match="not a valid email address"):
        contact.email("office@@stepova")
    with pytest.raises(Invalid, match="Email is required"):
        contact.email("")


def test_clean_collects_every_problem_at_once() -> None:
    result = clean({"consumer_name": "", "identifier": "32855962", "email": "x@", "phones": "+48 601 234 567",
                    "code_word": "ab", "contact_name": "Іван", "commercial_offer": "free_price"})
    codes = {(p.field, p.code) for p in result.problems}
    assert codes == {("consumer_name", "required"), ("identifier", "checksum"), ("email", "invalid"),
                     ("phones", "not_ukrainian"), ("code_word", "short")}
    assert [p.code for p in result.warnings] == ["not_ukrainian"]
