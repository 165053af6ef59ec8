"""Flow B's table, on its own: every (state, trigger, role) either moves as declared or raises and changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from workflows.engine import GuardFailed, IllegalTransition, ReasonRequired, RoleNotAllowed, WorkflowError
from workflows.roles import Role
from workflows.self_registration import HOLDS_IDENTIFIER, SELF_REGISTRATION, STATE_LABELS, SelfRegistrationState

S = SelfRegistrationState
#: What each trigger needs in its context to pass its guards (the pages and jobs supply it).
CONTEXT = {
    "confirm_email": {"token_accepted": True},
    "withdraw_consent": {"warning_acknowledged": True},
    "manual_confirm": {"reason": "documents checked"},
    "block": {"reason": "fraud"},
}


@dataclass
class Registration:
    state: SelfRegistrationState
    email: str = "a@example.com"
    confirmed_at: datetime | None = datetime(2026, 1, 1, tzinfo=UTC)
    identifier_given_away: bool = False


@pytest.mark.parametrize("state", list(S))
@pytest.mark.parametrize("role", list(Role))
def test_every_trigger_from_every_state_for_every_role(state: SelfRegistrationState, role: Role) -> None:
    for row in SELF_REGISTRATION.table:
        reg = Registration(state)
        allowed = state in row.sources and role in row.roles
        if allowed:
            assert SELF_REGISTRATION.fire(reg, row.trigger, role, CONTEXT.get(row.trigger, {})) == row.dest
            assert reg.state == row.dest
        else:
            with pytest.raises((IllegalTransition, RoleNotAllowed)):
                SELF_REGISTRATION.fire(reg, row.trigger, role, CONTEXT.get(row.trigger, {}))
            assert reg.state == state


def test_guards_and_reasons_hold_without_their_input() -> None:
    cases = [
        (S.PENDING_CONFIRMATION, "confirm_email", Role.CUSTOMER, GuardFailed),
        (S.ACTIVE, "withdraw_consent", Role.CUSTOMER, GuardFailed),
        (S.PENDING_CONFIRMATION, "manual_confirm", Role.SUPERVISOR, ReasonRequired),
        (S.ACTIVE, "block", Role.SUPERVISOR, ReasonRequired),
    ]
    for state, trigger, role, error in cases:
        reg = Registration(state)
        with pytest.raises(error):
            SELF_REGISTRATION.fire(reg, trigger, role, {})
        assert reg.state == state
    never_confirmed = Registration(S.BLOCKED, confirmed_at=None)
    with pytest.raises(GuardFailed, match="never confirmed"):
        SELF_REGISTRATION.fire(never_confirmed, "unblock", Role.SUPERVISOR, {})
    given_away = Registration(S.BLOCKED, identifier_given_away=True)  # an ownership check gave it to its owner
    with pytest.raises(GuardFailed, match="ownership check"):
        SELF_REGISTRATION.fire(given_away, "unblock", Role.SUPERVISOR, {})
    assert given_away.state == S.BLOCKED
    no_email = Registration(S.PENDING_CONFIRMATION, email="")
    with pytest.raises(WorkflowError):
        SELF_REGISTRATION.fire(no_email, "resend_confirmation", Role.SUPERVISOR, {})


def test_shape_of_the_flow() -> None:
    assert SELF_REGISTRATION.initial == S.PENDING_CONFIRMATION
    assert SELF_REGISTRATION.terminal_states() == {S.CLOSED, S.REMOVED}
    assert set(STATE_LABELS) == set(S)
    assert set(S) - {S.CLOSED, S.REMOVED} == HOLDS_IDENTIFIER
    # Only the person confirms by the link or withdraws; only a supervisor confirms by hand or blocks; only the
    # scheduler removes.
    roles = {row.trigger: row.roles for row in SELF_REGISTRATION.table}
    assert roles["confirm_email"] == {Role.CUSTOMER} and roles["withdraw_consent"] == {Role.CUSTOMER}
    assert roles["manual_confirm"] == {Role.SUPERVISOR} and roles["block"] == {Role.SUPERVISOR}
    assert roles["expire"] == {Role.SYSTEM}
    assert SELF_REGISTRATION.replay(["resend_confirmation", "confirm_email", "block", "unblock"]) == S.ACTIVE
    assert "pending_confirmation --> active: confirm_email" in SELF_REGISTRATION.mermaid()
