"""Web plumbing shared by every page: database session per request, CSRF, logins, rate limits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, g, has_request_context, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect
from sqlalchemy.orm import Session

from backoffice.database import Database
from backoffice.web import limiting

V = TypeVar("V", bound=Callable[..., Any])

csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])  # storage: [site] rate_limit_storage_uri
limiting.free_reads(limiter)  # a page read that no limit of its view counts skips the limiter


def database() -> Database:
    db: Database = current_app.extensions["backoffice.db"]
    return db


def db_session() -> Session:
    """The request's session; the view commits what it changed, teardown closes it.

    A view marked ``reads_only`` gets a session without a transaction (``Database.read_sessions``).
    """
    if "db_session" not in g:
        view = current_app.view_functions.get(request.endpoint or "") if has_request_context() else None
        g.db_session = database().read_sessions() if getattr(view, "reads_only", False) else database().sessions()
    session: Session = g.db_session
    return session


def reads_only(view: V) -> V:
    """Mark a view that only reads: its requests skip the transaction's two round trips, and any attempt to
    write from it fails instead of being saved statement by statement (``database.WriteInReadOnlySession``)."""
    view.reads_only = True  # type: ignore[attr-defined]
    return view


def init_web(app: Flask) -> None:
    """The plumbing every page relies on (CSRF, logins, rate limits, security headers) and the staff login; the
    app factory registers the pages themselves."""
    from backoffice.web import auth, home, security

    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["SETTINGS"].site.rate_limit_storage_uri)
    limiter.init_app(app)
    security.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(home.bp)
