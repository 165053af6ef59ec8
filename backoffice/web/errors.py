"""What a person sees when a page cannot be shown: the site's own page in the page's language, never Werkzeug's.

Staff (``/admin``, ``/staff``) get the back office's look, everyone else the customer pages'. An unexpected error
is logged by Flask (with its traceback) before it reaches :func:`_http_error` as a 500, whose page says only
that something went wrong on our side. A rate limit's page says how long to wait.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, current_app, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from backoffice.web import throttle

log = logging.getLogger(__name__)

#: Paths drawn in the back office's look.
STAFF_PATHS = ("/admin", "/staff")

#: The title and the explanation of each status a person may meet; any other error reads like 400.
EXPLANATIONS: dict[int, tuple[Any, Any]] = {
    400: (
        _l("The page could not use what was sent"),
        _l("Go back, reload the page and try again."),
    ),
    403: (
        _l("This page is not open to you"),
        _l("Your login does not give access to this page. If you need it, ask whoever manages your access."),
    ),
    404: (
        _l("Page not found"),
        _l("There is no page at this address. Check the address, or start again from the home page."),
    ),
    405: (
        _l("The page could not use what was sent"),
        _l("Go back, reload the page and try again."),
    ),
    409: (
        _l("This changed in the meantime"),
        _l("Reload the page to see it as it is now, then try again."),
    ),
    410: (
        _l("This page is gone"),
        _l("What was at this address has expired or has been removed."),
    ),
    413: (
        _l("What you sent is too large"),
        _l("Send a smaller file or fewer files at once."),
    ),
    429: (
        _l("Too many attempts"),
        _l("There were too many attempts from here. Wait a while and try again."),
    ),
    500: (
        _l("Something went wrong on our side"),
        _l("The page could not be shown. The error has been recorded; try again in a few minutes."),
    ),
}


def init_app(app: Flask) -> None:
    """Every HTTP error with a page of ours. An unexpected exception arrives as a 500 after Flask logged it; while
    testing (``PROPAGATE_EXCEPTIONS``) it is raised to the test instead."""
    app.register_error_handler(HTTPException, _http_error)
    app.jinja_env.filters["wait_duration"] = throttle.wait_words


def error_page(status: int, *, wait: int | None = None, headers: dict[str, str] | None = None) -> Response:
    """The page for ``status``; ``wait`` says how many seconds to wait before the next try (429)."""
    title, text = EXPLANATIONS.get(status, EXPLANATIONS[400])
    context = {"status": status, "title": title, "text": text, "wait": wait}
    try:
        html = _render(context)
    except Exception:  # the page itself failed (say, the database is down): a page that needs nothing
        log.exception("the error page for %d could not be drawn; a plain one is shown", status)
        html = render_template("errors/plain.html", **context)
    response = Response(html, status=status, headers=headers)
    response.headers["Cache-Control"] = "no-store"
    if wait:
        response.headers["Retry-After"] = str(wait)
    return response


def too_many(wait: int | None = None) -> Response:
    """The 429 page; without ``wait``, the time until the rate limit that was hit lets the next request in."""
    if wait is None:
        wait = throttle.limit_wait_seconds() or None
    return error_page(429, wait=wait)


def is_staff_page() -> bool:
    path = request.path
    return any(path == p or path.startswith(p + "/") for p in STAFF_PATHS)


def _render(context: dict[str, Any]) -> str:
    admin = current_app.extensions.get("admin")
    if is_staff_page() and admin:
        # Through Flask-Admin's index view: its base template wants the view, the theme and its helpers.
        html: str = admin[0].index_view.render("errors/staff.html", **context)
        return html
    return render_template("errors/page.html", **context)


def _http_error(exc: HTTPException) -> Response | HTTPException:
    if exc.code is None or exc.code < 400:  # redirects raised by routing are answers, not errors
        return exc
    if exc.response is not None:  # a view built its own answer (``abort(response)``)
        return exc.response
    if exc.code == 429:
        return too_many()
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    return error_page(exc.code, headers=headers)
