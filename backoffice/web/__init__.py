"""Web plumbing shared by every page: database session per request, CSRF, logins, rate limits, admin."""

from __future__ import annotations

from flask import Flask, current_app, g
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect
from sqlalchemy.orm import Session

from backoffice.database import Database

csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[], storage_uri="memory://")


def database() -> Database:
    db: Database = current_app.extensions["backoffice.db"]
    return db


def db_session() -> Session:
    """The request's session; the view commits what it changed, teardown closes it."""
    if "db_session" not in g:
        g.db_session = database().sessions()
    session: Session = g.db_session
    return session


def init_web(app: Flask) -> None:
    from backoffice.admin import init_admin
    from backoffice.web import auth, security

    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    limiter.init_app(app)
    security.init_app(app)
    app.register_blueprint(auth.bp)
    init_admin(app)
