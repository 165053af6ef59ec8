"""Every letter the product writes has its templates, renders in the three languages with its documented
context, and refuses to go out with a gap where a value is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from backoffice.letters import render
from backoffice.settings import LANGUAGES, Settings

EXPIRES = "2026-12-06T10:00:00+00:00"
LINK = "http://127.0.0.1:5000/company"
#: The context each kind is written with (docs/letters.md lists the same keys).
CONTEXTS: dict[str, dict[str, object]] = {
    "acknowledgement": {"number": "2026-000042"},
    "registration_code": {
        "number": "2026-000042",
        "expires_at": EXPIRES,
        "registration_code_id": 7,
        "code": "ABCD-EFGH-JKMN",
    },
    "invitation": {"number": "2026-000042", "expires_at": EXPIRES, "link": LINK},
    "rejection": {"number": "2026-000042", "reason": "Печатка <нечитабельна> & підпис відсутній"},
    "signature_rejected": {"number": "2026-000042", "reason": "Сертифікат відкликано"},
    "please_call_us": {"number": "2026-000042", "phone": "+380 800 000 000"},
    "registration_complete": {"number": "2026-000042", "login": "agro.stepova"},
    "code_reminder": {"number": "2026-000042", "expires_at": EXPIRES, "link": LINK, "registration_code_id": 7},
    "code_expiring": {"number": "2026-000042", "expires_at": EXPIRES, "link": LINK, "registration_code_id": 7},
    "supervisor_digest": {
        "date": "2026-11-23",
        "total": 5,
        "centers": [
            {"name": "ЦОС Кропивницький", "overdue": 4, "oldest_due_at": EXPIRES},
            {"name": "", "overdue": 1, "oldest_due_at": EXPIRES},
        ],
        "link": "http://127.0.0.1:5000/admin/applications/",
    },
    "password_reset": {
        "login": "agro.stepova",
        "link": "http://127.0.0.1:5000/account/reset/t0k3n",
        "expires_at": EXPIRES,
    },
    "email_change": {
        "login": "agro.stepova",
        "link": "http://127.0.0.1:5000/account/email/t0k3n",
        "new_email": "new@example.com",
        "expires_at": EXPIRES,
    },
    "self_registration_confirm": {"link": "http://127.0.0.1:5000/register/confirm/t0k3n", "expires_at": EXPIRES},
    "self_registration_reminder": {"link": "http://127.0.0.1:5000/register/confirm/t0k3n", "expires_at": EXPIRES},
    "ownership_granted": {"identifier": "1027700132195", "link": "http://127.0.0.1:5000/signup/invited/t0k3n"},
    "ownership_refused": {"identifier": "1027700132195", "reason": "Номер договора не совпадает"},
    "ownership_lost": {"identifier": "1027700132195", "reason": "Договор № 12-345 на имя заявителя"},
    "ownership_kept": {"identifier": "1027700132195"},
    "request_answered": {
        "number": "Z-000042",
        "subject": "Рахунок за травень",
        "text": "Перерахунок зроблено, новий рахунок у кабінеті.",
        "link": "http://127.0.0.1:5000/account/requests/42",
    },
    "request_deadline": {
        "number": "CE-000042",
        "kind": "Connection to the electric network",
        "subject": "Склад на вул. Промисловій, 5",
        "due_at": "2026-12-10T09:00:00+00:00",
        "assignee": "Оксана Наглядова",
        "link": "http://127.0.0.1:5000/admin/requests/42",
    },
    "request_closed": {
        "number": "Z-000042",
        "subject": "Рахунок за травень",
        "text": "",
        "link": "http://127.0.0.1:5000/account/requests/42",
    },
}


def test_every_kind_the_product_writes_has_a_template_folder() -> None:
    assert set(render.kinds()) == set(CONTEXTS)
    for kind in CONTEXTS:
        for part in render.PARTS:
            assert (render.TEMPLATES / "letters" / kind / part).is_file(), (kind, part)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", sorted(CONTEXTS))
def test_each_letter_renders_in_each_language(kind: str, language: str, settings: Settings) -> None:
    letter = render.render(kind, language, CONTEXTS[kind], settings)
    assert letter.subject and "\n" not in letter.subject
    assert "{" not in letter.text + letter.html and "%(" not in letter.text + letter.html
    assert f'<html lang="{language}">' in letter.html
    assert settings.site.supplier_name in letter.text
    for key in ("number", "link", "code", "reason", "login"):
        if key in CONTEXTS[kind] and (kind, key) != ("registration_code", "number"):
            assert str(CONTEXTS[kind][key]).split("<")[0] in letter.text, key
    if kind == "registration_code":  # the code and its expiry, nothing that ties it to the application
        assert "2026-000042" not in letter.text + letter.html + letter.subject


def test_the_operators_reason_cannot_inject_html(settings: Settings) -> None:
    letter = render.render("rejection", "uk", CONTEXTS["rejection"], settings)
    assert "&lt;нечитабельна&gt; &amp; підпис" in letter.html
    assert "<нечитабельна> & підпис" in letter.text


def test_a_missing_value_is_an_error_not_a_gap(settings: Settings) -> None:
    with pytest.raises(Exception, match="link"):
        render.render("invitation", "uk", {"number": "2026-000042", "expires_at": EXPIRES}, settings)


def test_an_unknown_kind_is_reported(settings: Settings) -> None:
    with pytest.raises(render.TemplateMissing, match="no_such_letter"):
        render.render("no_such_letter", "uk", {}, settings)


def test_dates_are_shown_in_the_letters_language_and_the_site_time_zone(settings: Settings) -> None:
    uk = render.render("invitation", "uk", CONTEXTS["invitation"], settings)
    en = render.render("invitation", "en", CONTEXTS["invitation"], settings)
    assert "6 грудня 2026, 12:00" in uk.text  # 10:00 UTC is 12:00 in Kyiv in winter
    assert "6 December 2026, 12:00" in en.text


def test_docs_describe_every_letter() -> None:
    doc = (Path(__file__).resolve().parents[3] / "docs" / "letters.md").read_text()
    for kind, context in CONTEXTS.items():
        assert f"`{kind}`" in doc, kind
        for key in context:
            if key != "code":  # derived at send time, documented as such
                assert f"`{key}`" in doc, (kind, key)
