"""Session stamps: the sessions of one user end together, at once, on every web process.

A Flask session is a signed cookie: the server keeps nothing, so a copied cookie works until the server stops
believing it. Each staff and customer row holds a random ``session_stamp``; the Flask-Login id carries it
(``staff:<id>:<stamp>``, ``customer:<id>:<stamp>``) and the user loader compares it with the row on every
request. Logging out, changing or resetting the password and deactivating the account draw a new stamp, so every
cookie issued before (this browser's, a copy of it, another device's) stops loading.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Protocol


class HasSessions(Protocol):
    session_stamp: str


def new_stamp() -> str:
    """128 random bits: a stamp cannot be guessed from the row's id or from an older stamp."""
    return secrets.token_urlsafe(16)


def end_sessions(row: HasSessions) -> None:
    """Every session of this user ends (the caller commits)."""
    row.session_stamp = new_stamp()


def stamp_matches(row: HasSessions, given: str) -> bool:
    return bool(row.session_stamp) and hmac.compare_digest(row.session_stamp.encode(), given.encode())
