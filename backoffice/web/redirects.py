"""Where a page may send the browser after a login: a path on this site, nothing else.

``next`` comes from the query string, so anyone can write it into a link. A check like ``startswith("/")`` lets
through ``/\\t/evil.example`` (browsers drop the tab and go to ``//evil.example``), ``/\\evil.example`` (read as
``//``) and more; a line break in it breaks the ``Location`` header. So the value is parsed with urllib and
accepted only as a plain path: no scheme, no host, one leading "/", no backslash and no control character,
also after percent-decoding. Anything else goes to the page's default; a line break or NUL is a bad request.
One helper for the staff and the customer pages.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote, urlsplit

from flask import abort, request

#: Characters that would split or end a header line.
_HEADER_BREAKING = frozenset("\r\n\x00")


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"} for ch in text)


def is_local_path(target: str) -> bool:
    """True only for a path on this site, as a browser would read it."""
    if not target:
        return False
    for text in (target, unquote(target)):
        if _has_control(text) or "\\" in text or not text.startswith("/") or text.startswith("//"):
            return False
        parts = urlsplit(text)
        if parts.scheme or parts.netloc:
            return False
    return True


def safe_next(default: str, target: str | None = None) -> str:
    """``target`` (by default the request's ``next``) when it is a path on this site, else ``default``.

    A value with a line break or NUL is refused with 400: it can only come from a crafted link.
    """
    raw = request.args.get("next", "") if target is None else target
    if _HEADER_BREAKING & set(raw) or _HEADER_BREAKING & set(unquote(raw)):
        abort(400)
    return raw if is_local_path(raw) else default
