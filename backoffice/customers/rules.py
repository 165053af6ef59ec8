"""What a customer's login and password must be, checked the same way on every page that sets them.

The common-passwords list ships with the product (``common-passwords.txt.gz`` beside this file, see
``COMMON-PASSWORDS.md``); it is read once per process.
"""

from __future__ import annotations

import gzip
import re
from functools import cache
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backoffice.applications.models import Application
from backoffice.customers.models import CustomerAccount
from backoffice.passwords import code_word_is_slow, code_word_matches
from backoffice.staff.services import LOGIN, MIN_PASSWORD
from backoffice.validation.problems import Problem
from workflows.i18n import N_

COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent / "common-passwords.txt.gz"
#: Longer than any real password; keeps one request from making argon2 hash megabytes.
MAX_PASSWORD = 256


@cache
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as fh:
        return frozenset(line.strip().lower() for line in fh if line.strip())


def common_long_passwords() -> list[str]:
    """The common passwords a customer could type without failing the length rule (for the live feedback)."""
    return sorted(p for p in common_passwords() if len(p) >= MIN_PASSWORD)


def normalise_login(login: str) -> str:
    return (login or "").strip().lower()


def login_problems(login: str) -> list[Problem]:
    """The format rule alone: needs no database, so it can be shown before anything else is checked.

    Only Latin letters: a login must read the same typed on any keyboard layout, and mixed scripts would allow
    look-alike logins (Latin "a" against Cyrillic "а"). No "@" either, so no login is anybody's email address.
    """
    if not LOGIN.match(normalise_login(login)):
        msg = N_("Login: 3–64 Latin letters, digits, dots, dashes or underscores")
        return [Problem("login", "format", msg)]
    return []


def login_taken(session: Session, login: str) -> bool:
    """Taken as a login, or the email address of an account (a login never holds "@", this is belt and braces)."""
    login = normalise_login(login)
    hit = session.scalars(
        select(CustomerAccount.id).where(
            (CustomerAccount.login == login) | (func.lower(CustomerAccount.email) == login)
        )
    ).first()
    return hit is not None


def password_problems(password: str, *, login: str = "", identifier: str = "") -> list[Problem]:
    """The rules that need nothing secret: length, the common list, not the login or the EDRPOU/RNOKPP."""
    problems = []
    if len(password) < MIN_PASSWORD:
        msg = N_("Password must have at least %(min)d characters")
        problems.append(Problem("password", "short", msg, {"min": MIN_PASSWORD}))
    elif len(password) > MAX_PASSWORD:
        msg = N_("Password must have at most %(max)d characters")
        problems.append(Problem("password", "long", msg, {"max": MAX_PASSWORD}))
    folded = _fold(password)
    if folded in common_passwords():
        msg = N_("This password is in the list of the most common passwords: choose another")
        problems.append(Problem("password", "common", msg))
    if login and folded == _fold(login):
        problems.append(Problem("password", "login", N_("Password must not be the same as the login")))
    if identifier and re.sub(r"[\s\-]", "", folded) == identifier:
        msg = N_("Password must not be the EDRPOU or RNOKPP")
        problems.append(Problem("password", "identifier", msg))
    return problems


def code_word_problems(code_key: str, password: str, app: Application) -> list[Problem]:
    """Staff hear the code word on the phone, so it must not open the account. A code word kept as argon2id (from
    before the keyed hash) costs a slow check, asked only when it is as long as a password may be."""
    if code_word_is_slow(app.code_word_hash) and not app.code_word_long:
        return []
    if code_word_matches(code_key, app.code_word_hash, password):
        return [Problem("password", "code_word", N_("Password must not be the code word from the application"))]
    return []


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())
