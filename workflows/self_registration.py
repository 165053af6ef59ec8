"""Flow B: a person registers themselves, confirms their email and logs in with a national identifier (seed 001).

The table below is the whole of the rules for a self-registration, as :mod:`workflows.accession` is for Flow A:
the back office offers as buttons exactly what this table allows, the one write path refuses everything else.

Resending the confirmation is a transition onto the same state, so that it goes through the write path like
every other action (role check, version, audit row, letter as an outbox row) and its button comes from the
table. Blocking is for a confirmed account only: an unconfirmed registration cannot log in anyway and is removed
by the scheduler when nobody confirms it. An account blocked because an ownership check
(:mod:`workflows.ownership_claim`) gave its identifier to someone else is never unblocked.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from workflows.engine import Guard, Transition, Workflow
from workflows.i18n import N_
from workflows.roles import Role


class SelfRegistrationState(StrEnum):
    PENDING_CONFIRMATION = "pending_confirmation"
    ACTIVE = "active"
    BLOCKED = "blocked"
    CLOSED = "closed"  # the person withdrew their consent: the account is closed, the consent record stays
    REMOVED = "removed"  # never confirmed within the period in settings: the identifier is free again


STATE_LABELS: dict[SelfRegistrationState, str] = {
    SelfRegistrationState.PENDING_CONFIRMATION: N_("Waiting for email confirmation"),
    SelfRegistrationState.ACTIVE: N_("Active"),
    SelfRegistrationState.BLOCKED: N_("Blocked"),
    SelfRegistrationState.CLOSED: N_("Closed: consent withdrawn"),
    SelfRegistrationState.REMOVED: N_("Removed: never confirmed"),
}

#: States whose registration holds its identifier: a second registration with it is refused.
HOLDS_IDENTIFIER = frozenset(
    {SelfRegistrationState.PENDING_CONFIRMATION, SelfRegistrationState.ACTIVE, SelfRegistrationState.BLOCKED}
)


class SelfRegistrationSubject(Protocol):
    """What the guards read from a registration; the ORM row satisfies it, and so does a test double."""

    state: SelfRegistrationState
    email: str
    confirmed_at: datetime | None
    #: An ownership check gave this registration's identifier to another person.
    identifier_given_away: bool


def _token_accepted(_: SelfRegistrationSubject, ctx: Mapping[str, Any]) -> bool:
    return ctx.get("token_accepted") is True


def _warning_acknowledged(_: SelfRegistrationSubject, ctx: Mapping[str, Any]) -> bool:
    return ctx.get("warning_acknowledged") is True


def _has_email(reg: SelfRegistrationSubject, _: Mapping[str, Any]) -> bool:
    return bool(reg.email)


def _was_confirmed(reg: SelfRegistrationSubject, _: Mapping[str, Any]) -> bool:
    return reg.confirmed_at is not None


def _keeps_identifier(reg: SelfRegistrationSubject, _: Mapping[str, Any]) -> bool:
    return not reg.identifier_given_away


TOKEN_ACCEPTED = Guard("token_accepted", _token_accepted, N_("the confirmation link is not valid"), on_input=True)
WARNING_ACKNOWLEDGED = Guard(
    "warning_acknowledged",
    _warning_acknowledged,
    N_("withdrawing the consent closes the account: confirm that you have read the warning"),
    on_input=True,
)
HAS_EMAIL = Guard("has_email", _has_email, N_("the registration has no email to send the letter to"))
WAS_CONFIRMED = Guard("was_confirmed", _was_confirmed, N_("the account was never confirmed"))
KEEPS_IDENTIFIER = Guard(
    "keeps_identifier",
    _keeps_identifier,
    N_("an ownership check gave this identifier to another person"),
)

S = SelfRegistrationState
SUPERVISOR = frozenset({Role.SUPERVISOR})

TABLE: tuple[Transition[SelfRegistrationState], ...] = (
    Transition("confirm_email", (S.PENDING_CONFIRMATION,), S.ACTIVE, frozenset({Role.CUSTOMER}), (TOKEN_ACCEPTED,),
               label=N_("Email confirmed by the link")),
    Transition("manual_confirm", (S.PENDING_CONFIRMATION,), S.ACTIVE, SUPERVISOR, needs_reason=True,
               label=N_("Confirm manually (documents checked)")),
    Transition("resend_confirmation", (S.PENDING_CONFIRMATION,), S.PENDING_CONFIRMATION,
               frozenset({Role.CUSTOMER, Role.SUPERVISOR}), (HAS_EMAIL,),
               label=N_("Send the confirmation letter again")),
    Transition("block", (S.ACTIVE,), S.BLOCKED, SUPERVISOR, needs_reason=True, label=N_("Block the account")),
    Transition("unblock", (S.BLOCKED,), S.ACTIVE, SUPERVISOR, (WAS_CONFIRMED, KEEPS_IDENTIFIER),
               label=N_("Unblock the account")),
    Transition("withdraw_consent", (S.ACTIVE,), S.CLOSED, frozenset({Role.CUSTOMER}), (WARNING_ACKNOWLEDGED,),
               label=N_("Consent withdrawn: account closed")),
    Transition("expire", (S.PENDING_CONFIRMATION,), S.REMOVED, frozenset({Role.SYSTEM}),
               label=N_("Removed: not confirmed in time")),
)

SELF_REGISTRATION: Workflow[SelfRegistrationState] = Workflow(
    "self_registration", SelfRegistrationState, SelfRegistrationState.PENDING_CONFIRMATION, TABLE
)
