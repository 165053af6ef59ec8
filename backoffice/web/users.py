"""Who is logged in. Staff and customers share Flask-Login; their ids carry a prefix so they never mix."""

from __future__ import annotations

from dataclasses import dataclass

from flask_login import UserMixin

from backoffice.actors import Actor
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


@login_manager.user_loader
def _load_user(user_id: str) -> UserMixin | None:
    kind, _, raw_id = user_id.partition(":")
    if kind == "customer":
        from backoffice.customers.web.users import load_customer

        return load_customer(raw_id)
    if kind == "staff" and raw_id.isdigit():
        operator = db_session().get(Operator, int(raw_id))
        if operator is not None and operator.is_active:
            return StaffUser.of(operator)
    return None
