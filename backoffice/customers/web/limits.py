"""Rate limits of the customer pages (Flask-Limiter, storage from [site] rate_limit_storage_uri).

Two keys for every form that takes a secret: the client's address, and what the request is about (the
EDRPOU/RNOKPP, the login, the account), so neither many addresses against one company nor one address
against many companies gets far. The registration page and the status page share the per-company limit.
"""

from __future__ import annotations

import re

from flask import request
from flask_limiter.util import get_remote_address
from flask_login import current_user
from limits import parse

from backoffice.web import limiter

PER_ADDRESS = "10 per minute;100 per day"
PER_COMPANY = "20 per hour;50 per day"
PER_LOGIN = "10 per hour"
PER_ACCOUNT = "20 per hour"
#: Wrong tries on an identifier that has no live code: counted here, so the lock reads the same for anyone.
WRONG_TRIES = parse("5 per 14 days")

company = limiter.shared_limit(
    PER_COMPANY,
    scope="customer-company",
    key_func=lambda: "company:" + digits(request.form.get("identifier", "")),
    methods=["POST"],
)


def digits(text: str) -> str:
    return re.sub(r"\D", "", text or "")[:16]


def address() -> str:
    return get_remote_address() or "-"


def login_key() -> str:
    return "login:" + (request.form.get("login", "") or "").strip().lower()[:64]


def account_key() -> str:
    return "account:" + str(getattr(current_user, "account_id", "-"))


def wrong_try(identifier: str) -> bool:
    """Count a wrong try on an identifier without a live code; True when that reaches the lock."""
    limiter.limiter.hit(WRONG_TRIES, "customer-wrong-tries", identifier)
    return is_locked(identifier)


def is_locked(identifier: str) -> bool:
    return not limiter.limiter.test(WRONG_TRIES, "customer-wrong-tries", identifier)
