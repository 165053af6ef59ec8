"""Languages of the UI and letters: Ukrainian by default, Russian and English selectable.

Message catalogues live in ``backoffice/translations/<lang>/LC_MESSAGES/messages.po``; the compiled ``.mo``
files are built from them when the app starts (and by ``backoffice i18n compile``), so a fresh checkout
never runs with stale or missing translations.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations
from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import Babel, force_locale, get_locale, get_translations, gettext
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup

from backoffice.settings import LANGUAGES
from workflows.i18n import N_

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


#: ``app.extensions`` key: a function that names the language of the page being drawn when it is not the site's
#: default (Flow B's pages speak their own country's language), or None.
PAGE_LANGUAGE = "backoffice.i18n.page_language"
#: Offered in the browser's language (see :func:`offer_in`); the English text is for a browser that asks for English.
READ_IN_THIS_LANGUAGE = N_("Read this page in English?")


def chosen_language() -> str | None:
    """The language the user picked on a page (``?lang=``, remembered in the session), if any."""
    chosen = request.args.get("lang") or session.get("lang")
    return str(chosen) if chosen in LANGUAGES else None


def select_language() -> str:
    """The user's choice, then the page's own language, then the site's default.

    The browser's Accept-Language never decides: a Ukrainian supplier's service is in Ukrainian unless the user
    picks another language on the page. :func:`browser_language` offers the browser's language as a link.
    """
    default = str(current_app.config["SETTINGS"].site.default_language)
    if not has_request_context():
        return default
    hook = current_app.extensions.get(PAGE_LANGUAGE)
    return chosen_language() or (hook() if hook else None) or default


def browser_language() -> str | None:
    """The browser's language among ours when the page is in another and the user has chosen none: a suggestion
    the page offers as a link, never applied by itself."""
    if not has_request_context() or chosen_language():
        return None
    best = request.accept_languages.best_match(LANGUAGES)
    return best if best and best != str(get_locale()) else None


def offer_in(language: str) -> str:
    """The offer to read the page in ``language``, written in that language: it must be readable by the person
    it is made to, not in the page's language."""
    with force_locale(language):
        return gettext(READ_IN_THIS_LANGUAGE)


def init_app(app: Flask) -> Babel:
    compile_catalogues()
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS)
    app.config["BABEL_DEFAULT_LOCALE"] = app.config["SETTINGS"].site.default_language
    app.config["BABEL_DEFAULT_TIMEZONE"] = "Europe/Kyiv"
    babel = Babel(app, locale_selector=select_language)
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: _page_translations().ugettext(s),
        ngettext=lambda s, p, n: _page_translations().ungettext(s, p, n),
        pgettext=lambda c, s: _page_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _page_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.jinja_env.globals.update(
        get_locale=get_locale,
        language_names=LANGUAGE_NAMES,
        browser_language=browser_language,
        offer_in=offer_in,
    )
    app.context_processor(_page_gettext)
    return babel


def _page_gettext() -> dict[str, Any]:
    """``_`` of a page's templates bound to the page's catalogue, found once when the page is rendered.

    Jinja's own ``_`` (the i18n extension's alias of the new-style ``gettext``) passes every string through
    three template calls and a catalogue look-up; the work queue's page asks for forty strings, and that was a
    tenth of its time. This one does what the new-style ``gettext`` does (the translation is markup where the
    template escapes, and formatted with its named values, "%%" being "%" even in a string without any) in one
    call. Templates rendered outside a
    Flask render (letters have an environment of their own) keep Jinja's.
    """
    lookup: Callable[[str], str] = _page_translations().ugettext

    @pass_eval_context
    def gettext(eval_ctx: EvalContext, string: str, **variables: Any) -> str:
        text = lookup(string)
        if eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704 - our own catalogue, trusted as Jinja's gettext trusts it
        # Formatted even without values, as Jinja's is, so that "%%" reads "%" in every string; a string with no
        # "%" at all has nothing to format (most of a page's strings, and formatting Markup is not cheap).
        return text % variables if variables or "%" in text else text

    return {"_": gettext}


def _page_translations() -> NullTranslations:
    """The catalogue of the locale the request is in, found once per request and locale.

    Flask-Babel looks the catalogue up again for every string (four context look-ups and a locale-name
    formatting each); a page of the work queue asks for about a hundred strings.
    """
    locale = getattr(getattr(g, "_flask_babel", None), "babel_locale", None)
    memo = g.get("_page_translations")
    if memo is not None and locale is not None and memo[0] is locale:
        return memo[1]  # type: ignore[no-any-return]
    translations = get_translations()
    g._page_translations = (getattr(g._flask_babel, "babel_locale", None), translations)
    return translations
