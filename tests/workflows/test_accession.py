"""Flow A stated on its own, from the domain (seed 000), not read back from the table the code runs.

Who does what: operators and supervisors (staff) work the queue; the system is the intake, the signature
verifier and the scheduler; the customer finishes the registration with the code; administrators run the
system and never move an application. Every refusal, rejection and withdrawal is explained to the customer, so
it needs a reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from workflows.accession import ACCESSION, AccessionState
from workflows.engine import GuardFailed, IllegalTransition, ReasonRequired, RoleNotAllowed
from workflows.roles import Role

S = AccessionState
STAFF = frozenset({Role.OPERATOR, Role.SUPERVISOR})
STAFF_AND_SYSTEM = frozenset({Role.OPERATOR, Role.SUPERVISOR, Role.SYSTEM})
OPEN = frozenset(
    {
        S.RECEIVED,
        S.AWAITING_SIGNATURE_CHECK,
        S.SIGNATURE_REJECTED,
        S.AWAITING_CONFIRMATION_CALL,
        S.CALL_RETRY_SCHEDULED,
        S.CONFIRMED,
        S.CODE_ISSUED,
        S.CODE_EXPIRED,
    }
)

#: trigger: (from which states, to which state, who may fire it, whether it needs a reason)
EXPECTED: dict[str, tuple[frozenset[AccessionState], AccessionState, frozenset[Role], bool]] = {
    # 1. the application arrives: by email it goes to the signature check (the verifier or an operator) ...
    "submit_for_check": (frozenset({S.RECEIVED}), S.AWAITING_SIGNATURE_CHECK, STAFF_AND_SYSTEM, False),
    # ... at a service center the operator saw it signed
    "witness_signature": (frozenset({S.RECEIVED}), S.AWAITING_CONFIRMATION_CALL, STAFF, False),
    "accept_signature": (
        frozenset({S.AWAITING_SIGNATURE_CHECK}),
        S.AWAITING_CONFIRMATION_CALL,
        STAFF_AND_SYSTEM,
        False,
    ),
    "reject_signature": (frozenset({S.AWAITING_SIGNATURE_CHECK}), S.SIGNATURE_REJECTED, STAFF, True),
    "resubmit": (frozenset({S.SIGNATURE_REJECTED}), S.AWAITING_SIGNATURE_CHECK, STAFF_AND_SYSTEM, False),
    # 2. staff phone the customer; an unanswered call is retried later, by staff or by the scheduler
    "call_unanswered": (frozenset({S.AWAITING_CONFIRMATION_CALL}), S.CALL_RETRY_SCHEDULED, STAFF, False),
    "retry_call": (frozenset({S.CALL_RETRY_SCHEDULED}), S.AWAITING_CONFIRMATION_CALL, STAFF_AND_SYSTEM, False),
    "confirm": (
        frozenset({S.AWAITING_CONFIRMATION_CALL, S.CALL_RETRY_SCHEDULED}),
        S.CONFIRMED,
        STAFF,
        False,
    ),
    # 3. the code goes to the email from the application; the scheduler expires it; staff may send a new one
    "issue_code": (frozenset({S.CONFIRMED}), S.CODE_ISSUED, STAFF, False),
    "reissue_code": (frozenset({S.CODE_ISSUED, S.CODE_EXPIRED}), S.CODE_ISSUED, STAFF, False),
    "expire_code": (frozenset({S.CODE_ISSUED}), S.CODE_EXPIRED, frozenset({Role.SYSTEM}), False),
    # 4. only the customer, with the code, finishes
    "complete": (frozenset({S.CODE_ISSUED}), S.COMPLETED, frozenset({Role.CUSTOMER}), False),
    # staff reject any open application except while a live code is out (let it expire first) ...
    "reject": (OPEN - {S.CODE_ISSUED}, S.REJECTED, STAFF, True),
    # ... and record a withdrawal by the customer at any point before the end
    "withdraw": (OPEN, S.WITHDRAWN, STAFF, True),
}

#: What the pages supply when the user did their part (the caller's code word, the customer's code).
INPUT = {"confirm": {"code_word_matched": True}, "complete": {"code_accepted": True}}


@dataclass
class Application:
    """A complete application with one document: every data guard holds, so only the table decides."""

    state: AccessionState
    channel: str = "email_scan"
    consumer_name: str = "ТОВ «Приклад»"
    identifier: str = "32855961"
    email: str = "office@example.com"
    phones: list[str] = field(default_factory=lambda: ["+380441234567"])
    code_word_hash: str = "hash-of-the-code-word"
    contact_name: str = "Петренко Іван"
    document_count: int = 1
    #: The verifier's word on the signed files: None for a scan (nothing to verify).
    signature_verdict: str | None = None


def _application(state: AccessionState, trigger: str) -> Application:
    # Only an application signed at a service center can be witnessed; only one by email goes to the check.
    return Application(state, channel="service_center" if trigger == "witness_signature" else "email_scan")


def test_the_declared_table_is_the_domain() -> None:
    declared = {t.trigger: (frozenset(t.sources), t.dest, t.roles, t.needs_reason) for t in ACCESSION.table}
    assert declared == EXPECTED


def test_shape_of_the_flow() -> None:
    assert ACCESSION.initial == S.RECEIVED
    assert ACCESSION.terminal_states() == {S.COMPLETED, S.REJECTED, S.WITHDRAWN}
    assert set(S) - OPEN == {S.COMPLETED, S.REJECTED, S.WITHDRAWN}


@pytest.mark.parametrize("state", list(S))
@pytest.mark.parametrize("role", list(Role))
def test_every_trigger_from_every_state_for_every_role(state: AccessionState, role: Role) -> None:
    for trigger, (sources, dest, roles, _) in EXPECTED.items():
        app = _application(state, trigger)
        context = {**INPUT.get(trigger, {}), "reason": "the customer asked"}
        if state not in sources:
            with pytest.raises(IllegalTransition):
                ACCESSION.fire(app, trigger, role, context)
        elif role not in roles:
            with pytest.raises(RoleNotAllowed):
                ACCESSION.fire(app, trigger, role, context)
        else:
            assert ACCESSION.fire(app, trigger, role, context) == dest
            assert app.state == dest
            continue
        assert app.state == state


@pytest.mark.parametrize("trigger", [t for t, (_, _, _, needs_reason) in EXPECTED.items() if needs_reason])
def test_refusals_need_a_reason(trigger: str) -> None:
    sources, _, _, _ = EXPECTED[trigger]
    state = min(sources)
    for reason in ("", "   "):
        app = _application(state, trigger)
        with pytest.raises(ReasonRequired):
            ACCESSION.fire(app, trigger, Role.OPERATOR, {"reason": reason})
        assert app.state == state


def test_buttons_offered_to_an_operator_are_the_domain_s() -> None:
    for state in S:
        app = Application(state)
        expected = {t for t, (sources, _, roles, _) in EXPECTED.items() if state in sources and Role.OPERATOR in roles}
        expected.discard("witness_signature")  # this application came by email
        assert set(ACCESSION.available(app, Role.OPERATOR)) == expected


SIGNATURE = "signature_reported"


def test_what_each_step_needs() -> None:
    """The data rules of the domain: the code word on the call, an email for the code, the way it arrived."""
    cases = [
        (Application(S.AWAITING_CONFIRMATION_CALL), "confirm", {}, "code_word_matched"),
        (Application(S.CONFIRMED, email=""), "issue_code", {}, "has_email"),
        (Application(S.RECEIVED, channel="service_center"), "submit_for_check", {}, "arrived_by_email"),
        (Application(S.RECEIVED), "witness_signature", {}, "at_service_center"),
        (Application(S.AWAITING_SIGNATURE_CHECK, document_count=0), "accept_signature", {}, "has_documents"),
        (Application(S.AWAITING_SIGNATURE_CHECK, contact_name=""), "accept_signature", {}, "data_complete"),
        # A qualified signature is accepted only on the verifier's report...
        (Application(S.AWAITING_SIGNATURE_CHECK, channel="email_qualified"), "accept_signature", {}, SIGNATURE),
        (
            Application(S.AWAITING_SIGNATURE_CHECK, channel="email_qualified", signature_verdict="pending"),
            "accept_signature",
            {},
            SIGNATURE,
        ),
        # ... and against a verdict that did not pass, only with a reason on record.
        (
            Application(S.AWAITING_SIGNATURE_CHECK, channel="email_qualified", signature_verdict="not_passed"),
            "accept_signature",
            {"reason": "  "},
            "verdict_overruled_with_reason",
        ),
        (Application(S.CODE_ISSUED), "complete", {"code_accepted": False}, "code_accepted"),
    ]
    for app, trigger, context, guard in cases:
        before = app.state
        role = next(iter(EXPECTED[trigger][2] - {Role.SYSTEM}))
        with pytest.raises(GuardFailed) as refused:
            ACCESSION.fire(app, trigger, role, context)
        assert [g.name for g in refused.value.guards] == [guard]
        assert app.state == before


def test_a_signature_that_did_not_pass_is_accepted_with_a_reason() -> None:
    app = Application(S.AWAITING_SIGNATURE_CHECK, channel="email_qualified", signature_verdict="not_passed")
    ACCESSION.fire(app, "accept_signature", Role.OPERATOR, {"reason": "checked with the signer by phone"})
    assert app.state == S.AWAITING_CONFIRMATION_CALL
    passed = Application(S.AWAITING_SIGNATURE_CHECK, channel="email_qualified", signature_verdict="passed")
    ACCESSION.fire(passed, "accept_signature", Role.SYSTEM, {})
    assert passed.state == S.AWAITING_CONFIRMATION_CALL


def test_every_unmet_guard_is_named_at_once() -> None:
    app = Application(S.AWAITING_SIGNATURE_CHECK, document_count=0, email="")
    with pytest.raises(GuardFailed) as refused:
        ACCESSION.fire(app, "accept_signature", Role.SUPERVISOR, {})
    assert [g.name for g in refused.value.guards] == ["has_documents", "data_complete"]
