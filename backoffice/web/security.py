"""Security headers for every response: scripts only from us or with this response's nonce (when its page handed
one out), no framing, and no copy in any cache of what a logged-in person or a download shows."""

from __future__ import annotations

import secrets

from flask import Flask, Response, g, request
from flask_login import current_user


def csp_nonce() -> str:
    """A fresh nonce per response; Flask-Admin's few inline scripts carry it, nothing else runs inline."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    nonce: str = g.csp_nonce
    return nonce


def _private(response: Response) -> bool:
    """A page of a logged-in person (staff or customer) or a file download: customer data a shared computer's
    browser cache or a proxy must not keep. Static files are the same for everybody and stay cacheable."""
    endpoint = request.endpoint or ""
    if endpoint == "static" or endpoint.endswith(".static"):
        return False
    if "attachment" in response.headers.get("Content-Disposition", ""):
        return True
    return bool(current_user and current_user.is_authenticated)


def init_app(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.after_request
    def _headers(response: Response) -> Response:
        # A nonce only when the page handed one out (Flask-Admin's pages): a page that did not, the customer's
        # pages among them, allows no script but our files, and costs no random bytes to say so.
        nonce = g.get("csp_nonce")
        scripts = f"'self' 'nonce-{nonce}'" if nonce else "'self'"
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            f"script-src {scripts}; object-src 'none'; frame-src 'self'; "
            "frame-ancestors 'self'; base-uri 'self'; form-action 'self'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        if _private(response):
            response.headers["Cache-Control"] = "no-store"
            response.headers["Pragma"] = "no-cache"  # HTTP/1.0 proxies
        return response
