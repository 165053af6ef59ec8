"""Languages of the UI and letters: Ukrainian by default, Russian and English selectable.

Message catalogues live in ``backoffice/translations/<lang>/LC_MESSAGES/messages.po``; the compiled ``.mo``
files are built from them when the app starts (and by ``backoffice i18n compile``), so a fresh checkout
never runs with stale or missing translations.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, current_app, has_request_context, request, session
from flask_babel import Babel, get_locale

from backoffice.settings import LANGUAGES

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
LANGUAGE_NAMES = {"uk": "Українська", "ru": "Русский", "en": "English"}


def compile_catalogues(directory: Path = TRANSLATIONS) -> list[Path]:
    """Compile every .po whose .mo is missing or older; returns the files written."""
    written = []
    for po in sorted(directory.glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=po.parent.parent.name)
        # A name of its own per process: several processes (web workers, test workers) may compile at once,
        # and each then moves a complete file into place.
        with tempfile.NamedTemporaryFile(dir=mo.parent, prefix=".messages-", suffix=".mo", delete=False) as fh:
            write_mo(fh, catalog)
        Path(fh.name).chmod(0o644)
        Path(fh.name).replace(mo)
        written.append(mo)
    return written


def select_language() -> str:
    """The user's explicit choice, then the browser's preference among ours, then the site default."""
    default = current_app.config["SETTINGS"].site.default_language
    if not has_request_context():
        return str(default)
    chosen = request.args.get("lang") or session.get("lang")
    if chosen in LANGUAGES:
        return str(chosen)
    return request.accept_languages.best_match(LANGUAGES, default=default) or default


def init_app(app: Flask) -> Babel:
    compile_catalogues()
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS)
    app.config["BABEL_DEFAULT_LOCALE"] = app.config["SETTINGS"].site.default_language
    app.config["BABEL_DEFAULT_TIMEZONE"] = "Europe/Kyiv"
    babel = Babel(app, locale_selector=select_language)
    app.jinja_env.globals.update(get_locale=get_locale, language_names=LANGUAGE_NAMES)
    return babel
