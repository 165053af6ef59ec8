"""Flow B: who owns an identifier. A newcomer refused because their OGRN, OGRNIP or SNILS is registered already
asks for it to be checked; a supervisor decides between the two.

In Flow B the login is a public identifier, so anyone can register a company's OGRN first and the real owner is
then refused. The claim is the owner's way back: it is open until a supervisor, having compared what each side
has shown, gives the identifier to the claimant (the holder's account is blocked, the claimant is invited to
register) or leaves it with the holder (the claim is rejected). Both decisions need a reason: it is in the
letters to both sides and in the audit trail.

The identifier can be given away only from an account that is confirmed (or already blocked) or gone: a
registration still waiting for its email confirmation cannot log in, is removed by the scheduler when nobody
confirms it, and Flow B's table does not block it.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Protocol

from workflows.engine import Guard, Transition, Workflow
from workflows.i18n import N_
from workflows.roles import Role


class ClaimState(StrEnum):
    OPEN = "open"
    GRANTED = "granted"  # the claimant owns the identifier: the holder's account is blocked
    REJECTED = "rejected"  # the holder keeps the identifier


STATE_LABELS: dict[ClaimState, str] = {
    ClaimState.OPEN: N_("Open: waiting for a decision"),
    ClaimState.GRANTED: N_("Decided for the claimant"),
    ClaimState.REJECTED: N_("Rejected: the holder keeps the identifier"),
}


class ClaimSubject(Protocol):
    """What the guards read from a claim; the ORM row satisfies it, and so does a test double."""

    state: ClaimState
    holder_awaits_confirmation: bool


def _holder_decidable(claim: ClaimSubject, _: Mapping[str, Any]) -> bool:
    return not claim.holder_awaits_confirmation


HOLDER_DECIDABLE = Guard(
    "holder_decidable",
    _holder_decidable,
    N_(
        "the existing registration has not confirmed its email yet: it cannot log in, and it is removed if "
        "nobody confirms it; decide once it is confirmed or removed"
    ),
)

C = ClaimState
SUPERVISOR = frozenset({Role.SUPERVISOR})

TABLE: tuple[Transition[ClaimState], ...] = (
    Transition("grant", (C.OPEN,), C.GRANTED, SUPERVISOR, (HOLDER_DECIDABLE,), needs_reason=True,
               label=N_("The claimant owns the identifier: block the existing account")),
    Transition("reject", (C.OPEN,), C.REJECTED, SUPERVISOR, needs_reason=True,
               label=N_("The existing account keeps the identifier: reject the claim")),
)

OWNERSHIP_CLAIM: Workflow[ClaimState] = Workflow("ownership_claim", ClaimState, ClaimState.OPEN, TABLE)
