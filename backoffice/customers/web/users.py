"""The logged-in customer, kept apart from staff by the "customer:" prefix of the Flask-Login id.

The id also carries the account's session stamp (``backoffice.sessions``): logging out, a new password and
deactivation draw a new one, so every session opened before stops loading and is logged out.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_login import UserMixin

from backoffice.actors import Actor
from backoffice.customers.models import CustomerAccount
from backoffice.sessions import stamp_matches
from backoffice.web import db_session
from workflows.roles import Role


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
        return cls(account.id, account.login, account.session_stamp)


def load_customer(raw: str) -> CustomerUser | None:
    account_id, _, stamp = raw.partition(":")
    if not account_id.isdigit():
        return None
    account = db_session().get(CustomerAccount, int(account_id))
    if account is None or not account.is_active or not stamp_matches(account, stamp):
        return None
    return CustomerUser.of(account)
