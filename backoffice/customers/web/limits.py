"""Rate limits of the customer pages (Flask-Limiter, storage from [site] rate_limit_storage_uri).

Every form that takes a secret is limited per address and per network (what one guesser's machines can send,
whatever the target) and throttled per identifier (``backoffice.web.throttle``: back-off per identifier and
address, a ceiling per identifier that alerts staff). Nothing here is counted per identifier alone in a way a
stranger could use to refuse the owner: the owner's right code or right password from the owner's address is
always checked. Every key is normalised the way the validators read the value (NFKC, separators dropped), so
fullwidth digits or a different case do not buy a fresh bucket.
"""

from __future__ import annotations

from flask import request
from flask_login import current_user

from backoffice.web import limiter, throttle

PER_ADDRESS = "10 per minute;100 per day"
#: One /24 (IPv4) or /64 (IPv6): a few households or one hosting customer behind it.
PER_NETWORK = "30 per minute;300 per day"
PER_ACCOUNT = "20 per hour"

#: Registration codes (and the status page, which asks for the same identifier).
CODES = throttle.Policy("company")
#: Customer passwords, keyed by the login as typed and normalised.
PASSWORDS = throttle.Policy("customer-login")

address = throttle.address
network = throttle.network
digits = throttle.identifier_key


def login_key() -> str:
    return "login:" + throttle.login_key(request.form.get("login", ""))


def account_key() -> str:
    return "account:" + str(getattr(current_user, "account_id", "-"))


def per_network(scope: str) -> object:
    """The per-network limit of one page, counted on every POST like the per-address one."""
    return limiter.limit(PER_NETWORK, key_func=network, methods=["POST"], scope=scope + "-network")
