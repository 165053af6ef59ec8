"""The logged-in customer, kept apart from staff by the "customer:" prefix of the Flask-Login id.

The id also carries a stamp keyed on the password hash: changing or resetting the password changes the hash,
so every session opened with the old password stops loading and is logged out.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from flask import current_app
from flask_login import UserMixin

from backoffice.actors import Actor
from backoffice.customers.models import CustomerAccount
from backoffice.web import db_session
from workflows.roles import Role


def _stamp(account: CustomerAccount) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"customer-session/" + account.password_hash.encode(), hashlib.sha256).hexdigest()[:24]


@dataclass
class CustomerUser(UserMixin):  # type: ignore[misc]
    account_id: int
    login: str
    stamp: str
    role: Role = Role.CUSTOMER

    def get_id(self) -> str:
        return f"customer:{self.account_id}:{self.stamp}"

    @property
    def is_staff(self) -> bool:
        return False

    @property
    def actor(self) -> Actor:
        return Actor.customer(self.login)

    @classmethod
    def of(cls, account: CustomerAccount) -> CustomerUser:
        return cls(account.id, account.login, _stamp(account))


def load_customer(raw: str) -> CustomerUser | None:
    account_id, _, stamp = raw.partition(":")
    if not account_id.isdigit():
        return None
    account = db_session().get(CustomerAccount, int(account_id))
    if account is None or not account.is_active or not hmac.compare_digest(stamp, _stamp(account)):
        return None
    return CustomerUser.of(account)
