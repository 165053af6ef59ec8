"""Workflows declared as data: states, transition tables and the rules they call. No Flask, no database."""

from workflows.accession import ACCESSION, AccessionState
from workflows.engine import (
    Guard,
    GuardFailed,
    IllegalTransition,
    ReasonRequired,
    RoleNotAllowed,
    Transition,
    Workflow,
    WorkflowError,
)
from workflows.roles import Role

__all__ = [
    "ACCESSION",
    "AccessionState",
    "Guard",
    "GuardFailed",
    "IllegalTransition",
    "ReasonRequired",
    "Role",
    "RoleNotAllowed",
    "Transition",
    "Workflow",
    "WorkflowError",
]
