"""Turning an outbox row into words: Jinja2 templates, one folder per letter, the language chosen by gettext.

``templates/letters/<kind>/`` holds ``subject.txt``, ``body.txt`` and ``body.html``. Every sentence is an English
msgid inside ``{% trans %}`` or ``_()``; the Ukrainian and Russian catalogues translate them, so one template
serves the three languages and a missing translation shows English rather than nothing. This module needs no
Flask: the scheduler renders letters outside any request.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.support import NullTranslations, Translations
from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound, select_autoescape

from backoffice.errors import BackofficeError
from backoffice.settings import LANGUAGES, Settings

TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates"
PARTS = ("subject.txt", "body.txt", "body.html")
#: Where the compiled catalogues are; None: the product's (``backoffice/translations``).
CATALOGUES: Path | None = None
_compile_lock = threading.Lock()


class TemplateMissing(BackofficeError, LookupError):
    """No template folder for this kind of letter: a programming error, shown on the outbox row."""


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def kinds() -> list[str]:
    """Every letter the product can write (the folders under templates/letters/)."""
    return sorted(p.name for p in (TEMPLATES / "letters").iterdir() if p.is_dir() and not p.name.startswith("_"))


def language_of(language: str, settings: Settings) -> str:
    return language if language in LANGUAGES else settings.site.default_language


def render(kind: str, language: str, context: Mapping[str, Any], settings: Settings) -> Rendered:
    """The three parts of a letter in ``language``; a missing variable is an error, never an empty gap."""
    lang = language_of(language, settings)
    env = _environment(lang, settings.scheduler.timezone, CATALOGUES)
    values = {**_site(settings), **context, "language": lang}
    try:
        subject, text, html = (env.get_template(f"letters/{kind}/{part}").render(values) for part in PARTS)
    except TemplateNotFound as exc:
        raise TemplateMissing(f"no template {exc.name} for letters of kind {kind!r}") from None
    # A subject is one line, whatever the template's whitespace.
    return Rendered(" ".join(subject.split()), text.strip() + "\n", html)


def _site(settings: Settings) -> dict[str, Any]:
    site = settings.site
    return {
        "supplier_name": site.supplier_name,
        "support_email": site.support_email,
        "support_phone": site.support_phone,
        "site_url": site.base_url.rstrip("/"),
        "dso_url": site.dso_url,
    }


@cache
def _environment(language: str, timezone: str, catalogues: Path | None) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False, default=False),
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(_translations(language, catalogues), newstyle=True)  # type: ignore[attr-defined]
    zone = ZoneInfo(timezone)
    env.filters["date"] = lambda value: format_date(_as_datetime(value, zone), "long", locale=language)
    env.filters["datetime"] = lambda value: format_datetime(
        _as_datetime(value, zone), "d MMMM y, HH:mm", tzinfo=zone, locale=language
    )
    return env


def _translations(language: str, catalogues: Path | None) -> NullTranslations:
    from backoffice.i18n import TRANSLATIONS, compile_catalogues

    directory = catalogues or TRANSLATIONS
    with _compile_lock:
        compile_catalogues(directory)
    translations = Translations.load(str(directory), [language], domain="messages")
    return translations


def _as_datetime(value: Any, zone: ZoneInfo) -> datetime | date:
    """Dates travel in the outbox context as ISO strings (it is JSON); shown in the site's time zone."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(zone)
    return value  # type: ignore[no-any-return]
