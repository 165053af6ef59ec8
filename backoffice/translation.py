"""Translating what the rules and services say, without loading Flask into a process that serves no page.

A message is an English msgid, translated when it is read: by Flask-Babel, in the language of the page, when a
Flask app is at work in this process; left as written otherwise (an intake lane, a test without an app), which is
what Flask-Babel itself returns outside an app. The services, errors and rules use these functions rather than
Flask-Babel's, because importing Flask-Babel imports Flask, Werkzeug and Jinja (7 MB in an intake lane,
docs/benchmarks.md): a process that never imported Flask cannot be inside one of its app contexts, so there is
nothing to look up.

The pages and the admin keep using Flask-Babel directly (``backoffice.i18n``); the two agree on every message.
"""

from __future__ import annotations

import sys
from datetime import datetime
from types import ModuleType
from typing import Any

from babel.support import LazyProxy


def _flask_babel() -> ModuleType | None:
    """Flask-Babel when this process is inside a Flask app context, else None (without importing Flask)."""
    flask = sys.modules.get("flask")
    if flask is None or not flask.has_app_context():
        return None
    import flask_babel

    return flask_babel


def gettext(message: str, **variables: Any) -> str:
    """``message`` in the language of the page being drawn, formatted with ``variables`` as Flask-Babel does."""
    babel = _flask_babel()
    if babel is not None:
        return str(babel.gettext(message, **variables))
    return message % variables if variables else message


def lazy_gettext(message: str, **variables: Any) -> Any:
    """:func:`gettext`, put off until the text is read: for a message defined once (an error class's) and read
    on many pages, each in its own language."""
    return LazyProxy(gettext, message, enable_cache=False, **variables)


def format_datetime(value: datetime, format: str = "medium") -> str:
    """``value`` as the page's language writes a date and time; ISO 8601 outside an app."""
    babel = _flask_babel()
    if babel is not None:
        return str(babel.format_datetime(value, format))
    return value.isoformat()
