"""Rotating the session key, as docs/deployment.md describes it: staff stay logged in while the old key is listed in
BACKOFFICE_SECRET_KEY_PREVIOUS, are asked to log in once it is removed, and registration codes never notice."""

from __future__ import annotations

import dataclasses

from flask import Flask
from sqlalchemy.orm import Session

from backoffice.applications import codes
from backoffice.database import Database
from backoffice.settings import Settings
from tests.backoffice.admin.conftest import Staff, log_in
from tests.conftest import app_on

OLD, NEW = "old-session-key-" + "o" * 32, "new-session-key-" + "n" * 32


def _app(settings: Settings, db: Database, key: str, *previous: str) -> Flask:
    return app_on(dataclasses.replace(settings, secret_key=key, secret_key_fallbacks=previous), db)


def _cookie(app: Flask, login: str) -> str:
    client = log_in(app.test_client(), login)
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _queue_status(app: Flask, cookie: str) -> int:
    client = app.test_client()
    client.set_cookie("session", cookie)
    return client.get("/admin/applications/").status_code


def test_sessions_signed_with_the_old_key_last_through_the_window(
    settings: Settings, db: Database, staff: Staff, session: Session
) -> None:
    before = _app(settings, db, OLD)
    cookie = _cookie(before, staff.supervisor.login)
    assert _queue_status(before, cookie) == 200

    during = _app(settings, db, NEW, OLD)  # the new key, the old one still accepted
    assert _queue_status(during, cookie) == 200

    after = _app(settings, db, NEW)  # the window is over
    assert _queue_status(after, cookie) == 302  # to the login page
    for flask_app in (before, during, after):
        flask_app.extensions["backoffice.db"].dispose()


def test_a_new_session_key_leaves_registration_codes_as_they_were(settings: Settings) -> None:
    nonce = codes.new_nonce()
    code = codes.derive(settings.code_key, nonce)
    rotated = dataclasses.replace(settings, secret_key=NEW, secret_key_fallbacks=(settings.secret_key,))
    assert codes.derive(rotated.code_key, nonce) == code
    assert codes.code_hash(rotated.code_key, code) == codes.code_hash(settings.code_key, code)
