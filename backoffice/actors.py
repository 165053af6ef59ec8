"""Who is acting: every service takes an :class:`Actor` and never reads the web session itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from workflows.roles import Role

if TYPE_CHECKING:  # an operator is only read here: the actor stands below the staff who act
    from backoffice.staff.models import Operator


@dataclass(frozen=True)
class Actor:
    role: Role
    label: str
    operator_id: int | None = None
    center_id: int | None = None

    @classmethod
    def of(cls, operator: Operator) -> Actor:
        return cls(operator.role, operator.login, operator.id, operator.center_id)

    @classmethod
    def system(cls, label: str) -> Actor:
        """The intake, the verifier or the scheduler."""
        return cls(Role.SYSTEM, label)

    @classmethod
    def customer(cls, label: str) -> Actor:
        return cls(Role.CUSTOMER, label)

    @property
    def is_staff(self) -> bool:
        return self.role in {Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN}
