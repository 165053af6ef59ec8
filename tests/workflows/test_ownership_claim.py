"""The ownership claim's table, stated again literally: only a supervisor decides, once, with a reason, and never
gives away the identifier of a registration that has not confirmed its email yet."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from workflows.engine import GuardFailed, IllegalTransition, ReasonRequired, RoleNotAllowed
from workflows.ownership_claim import OWNERSHIP_CLAIM, STATE_LABELS, ClaimState
from workflows.roles import Role

C = ClaimState
#: (trigger, sources, destination, roles, needs a reason)
TABLE = {
    ("grant", (C.OPEN,), C.GRANTED, frozenset({Role.SUPERVISOR}), True),
    ("reject", (C.OPEN,), C.REJECTED, frozenset({Role.SUPERVISOR}), True),
}


@dataclass
class Claim:
    state: ClaimState
    holder_awaits_confirmation: bool = False


def test_the_table_is_exactly_this() -> None:
    declared = {(t.trigger, t.sources, t.dest, t.roles, t.needs_reason) for t in OWNERSHIP_CLAIM.table}
    assert declared == TABLE
    assert OWNERSHIP_CLAIM.initial == C.OPEN
    assert OWNERSHIP_CLAIM.terminal_states() == {C.GRANTED, C.REJECTED}
    assert set(STATE_LABELS) == set(C)


@pytest.mark.parametrize("state", list(C))
@pytest.mark.parametrize("role", list(Role))
def test_every_trigger_from_every_state_for_every_role(state: ClaimState, role: Role) -> None:
    for row in OWNERSHIP_CLAIM.table:
        claim = Claim(state)
        if state in row.sources and role in row.roles:
            assert OWNERSHIP_CLAIM.fire(claim, row.trigger, role, {"reason": "contract 12-345 matches"}) == row.dest
        else:
            with pytest.raises((IllegalTransition, RoleNotAllowed)):
                OWNERSHIP_CLAIM.fire(claim, row.trigger, role, {"reason": "x"})
            assert claim.state == state


def test_a_decision_needs_a_reason_and_an_unconfirmed_holder_is_not_given_away() -> None:
    for trigger in ("grant", "reject"):
        with pytest.raises(ReasonRequired):
            OWNERSHIP_CLAIM.fire(Claim(C.OPEN), trigger, Role.SUPERVISOR, {})
    waiting = Claim(C.OPEN, holder_awaits_confirmation=True)
    with pytest.raises(GuardFailed, match="not confirmed its email"):
        OWNERSHIP_CLAIM.fire(waiting, "grant", Role.SUPERVISOR, {"reason": "x"})
    assert OWNERSHIP_CLAIM.available(waiting, Role.SUPERVISOR) == ["reject"]
    assert OWNERSHIP_CLAIM.fire(waiting, "reject", Role.SUPERVISOR, {"reason": "x"}) == C.REJECTED
