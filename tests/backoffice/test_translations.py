"""Every user-facing string reaches the people in their language: each string the code and templates mark for
translation has a Ukrainian and a Russian translation, and the pages really switch language."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

REPO = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None, "N_": None}


def _extracted() -> set[str]:
    with (REPO / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(REPO), method_map, options_map, keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return {m for m in found if m}


@pytest.fixture(scope="module")
def extracted() -> set[str]:
    return _extracted()


@pytest.mark.parametrize("language", ["uk", "ru"])
def test_every_string_has_a_translation(language: str, extracted: set[str]) -> None:
    with (REPO / "backoffice" / "translations" / language / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh)
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(extracted - translated)
    assert not missing, f"{len(missing)} strings without a {language} translation (run scripts/i18n): {missing[:10]}"


def test_the_staff_login_page_in_each_language(client: FlaskClient) -> None:
    assert "Вхід для працівників" in client.get("/staff/login", headers={"Accept-Language": "uk"}).get_data(True)
    assert "Вход для сотрудников" in client.get("/staff/login?lang=ru").get_data(True)
    assert "Staff login" in client.get("/staff/login?lang=en").get_data(True)
    # With no choice and a browser in a language we do not speak, the site's default: Ukrainian.
    assert "Вхід для працівників" in FlaskClient(client.application).get(
        "/staff/login", headers={"Accept-Language": "de"}
    ).get_data(True)


#: a translated string, one with a named value, an untranslated one whose own markup frames a value, and one
#: with a percent sign and no value (written "%%", as gettext's python-format strings and Jinja's _ want it)
_STRINGS = (
    '{{ _("Log out") }}|{{ _("%(n)d h", n=5) }}|{{ _("<b>%(who)s</b>", who=who) }}'
    '|{% autoescape false %}{{ _("<b>%(who)s</b>", who=who) }}{% endautoescape %}'
    '|{{ _("100%% <sure>") }}|{% autoescape false %}{{ _("100%%") }}{% endautoescape %}'
)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("uk", "Вийти|5 год|<b>&lt;i&gt;</b>|<b><i></b>|100% <sure>|100%"),
        ("ru", "Выйти|5 ч|<b>&lt;i&gt;</b>|<b><i></b>|100% <sure>|100%"),
        ("en", "Log out|5 h|<b>&lt;i&gt;</b>|<b><i></b>|100% <sure>|100%"),
    ],
)
def test_page_strings_come_in_the_language_of_the_request_with_their_values_escaped(
    app, language: str, expected: str
) -> None:
    """A page's ``_`` is bound to the request's catalogue once per render; it must say what Jinja's own says,
    escaping the values put into a string wherever the template escapes, and only there."""
    from flask import render_template_string

    with app.test_request_context(f"/?lang={language}"):
        ours = render_template_string(_STRINGS, who="<i>")  # a Flask render: the page's ``_``
        jinjas = app.jinja_env.from_string(_STRINGS).render(who="<i>")  # no context processors: Jinja's ``_``
    assert ours == jinjas == expected
