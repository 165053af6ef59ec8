"""Who can act on a workflow. Roles are the only thing the workflows know about people."""

from enum import StrEnum


class Role(StrEnum):
    OPERATOR = "operator"  # works the queue of their own service center
    SUPERVISOR = "supervisor"  # everything an operator does, in every center, plus reassigning
    ADMIN = "admin"  # staff accounts, centers, settings; does not work the queue
    SYSTEM = "system"  # intake, the signature verifier, the scheduler
    CUSTOMER = "customer"  # the applicant, on the customer pages


STAFF = frozenset({Role.OPERATOR, Role.SUPERVISOR})
STAFF_AND_SYSTEM = STAFF | {Role.SYSTEM}
