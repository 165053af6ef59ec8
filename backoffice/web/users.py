"""Who is logged in. Staff and customers share Flask-Login; their ids carry a prefix so they never mix."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flask_login import UserMixin
from sqlalchemy import bindparam, select

from backoffice.actors import Actor
from backoffice.database import DirectStatement
from backoffice.staff.models import Operator
from backoffice.web import db_session, login_manager
from workflows.roles import Role


@dataclass
class StaffUser(UserMixin):  # type: ignore[misc]
    operator_id: int
    login: str
    full_name: str
    role: Role
    center_id: int | None

    def get_id(self) -> str:
        return f"staff:{self.operator_id}"

    @property
    def actor(self) -> Actor:
        return Actor(self.role, self.login, self.operator_id, self.center_id)

    @property
    def is_staff(self) -> bool:
        return True

    @classmethod
    def of(cls, operator: Operator) -> StaffUser:
        return cls(operator.id, operator.login, operator.full_name, operator.role, operator.center_id)


#: Every staff request loads its user: five columns in one statement, compiled once and run on the cursor.
_ACTIVE_STAFF = select(Operator.id, Operator.login, Operator.full_name, Operator.role, Operator.center_id).where(
    Operator.id == bindparam("id"), Operator.is_active.is_(True)
)


@lru_cache(maxsize=8)
def _active_staff(dialect: Any) -> DirectStatement:
    return DirectStatement(_ACTIVE_STAFF, dialect)


@login_manager.user_loader
def _load_user(user_id: str) -> UserMixin | None:
    kind, _, raw_id = user_id.partition(":")
    if kind == "customer":
        from backoffice.customers.web.users import load_customer

        return load_customer(raw_id)
    if kind == "staff" and raw_id.isdigit():
        # Read afresh on every request: a deactivated account or a changed role counts at once.
        connection = db_session().connection()
        rows = _active_staff(connection.dialect).rows(connection, {"id": int(raw_id)})
        if rows:
            return StaffUser(*rows[0])
    return None
