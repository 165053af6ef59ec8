"""Flow A: the accession application, from arrival to the customer's own login (seed 000).

The table below is the whole of the rules: the back office offers as buttons exactly the triggers this table
allows, the write path refuses everything else, and the diagram in the README is drawn from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Protocol

from workflows.engine import Guard, Transition, Workflow
from workflows.i18n import N_
from workflows.roles import STAFF, STAFF_AND_SYSTEM, Role


class AccessionState(StrEnum):
    RECEIVED = "received"
    AWAITING_SIGNATURE_CHECK = "awaiting_signature_check"
    SIGNATURE_REJECTED = "signature_rejected"
    AWAITING_CONFIRMATION_CALL = "awaiting_confirmation_call"
    CALL_RETRY_SCHEDULED = "call_retry_scheduled"
    CONFIRMED = "confirmed"
    CODE_ISSUED = "code_issued"
    CODE_EXPIRED = "code_expired"
    COMPLETED = "completed"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


STATE_LABELS: dict[AccessionState, str] = {
    AccessionState.RECEIVED: N_("Received"),
    AccessionState.AWAITING_SIGNATURE_CHECK: N_("Awaiting signature check"),
    AccessionState.SIGNATURE_REJECTED: N_("Signature rejected"),
    AccessionState.AWAITING_CONFIRMATION_CALL: N_("Awaiting confirmation call"),
    AccessionState.CALL_RETRY_SCHEDULED: N_("Call retry scheduled"),
    AccessionState.CONFIRMED: N_("Confirmed"),
    AccessionState.CODE_ISSUED: N_("Code issued"),
    AccessionState.CODE_EXPIRED: N_("Code expired"),
    AccessionState.COMPLETED: N_("Completed"),
    AccessionState.REJECTED: N_("Rejected"),
    AccessionState.WITHDRAWN: N_("Withdrawn"),
}

#: States in which the application waits for a member of staff (the work queue shows these).
WAITING_FOR_STAFF = frozenset(
    {
        AccessionState.RECEIVED,
        AccessionState.AWAITING_SIGNATURE_CHECK,
        AccessionState.AWAITING_CONFIRMATION_CALL,
        AccessionState.CALL_RETRY_SCHEDULED,
        AccessionState.CONFIRMED,
        AccessionState.CODE_EXPIRED,
    }
)


class AccessionSubject(Protocol):
    """What the guards read from an application; the ORM row satisfies it, and so does a test double."""

    state: AccessionState
    channel: str
    consumer_name: str
    identifier: str
    email: str
    phones: list[str]
    code_word_hash: str
    contact_name: str

    @property
    def document_count(self) -> int: ...

    @property
    def signature_verdict(self) -> str | None:
        """None (no signed file), "pending" (not all reported yet), "passed" or "not_passed"."""
        ...


def _data_complete(app: AccessionSubject, _: Mapping[str, Any]) -> bool:
    return all(
        [app.consumer_name, app.identifier, app.email, app.phones, app.code_word_hash, app.contact_name]
    )


def _has_documents(app: AccessionSubject, _: Mapping[str, Any]) -> bool:
    return app.document_count > 0


def _arrived_by_email(app: AccessionSubject, _: Mapping[str, Any]) -> bool:
    return app.channel in {"email_scan", "email_qualified"}


def _at_service_center(app: AccessionSubject, _: Mapping[str, Any]) -> bool:
    return app.channel == "service_center"


def _signature_reported(app: AccessionSubject, _: Mapping[str, Any]) -> bool:
    return app.channel != "email_qualified" or app.signature_verdict in {"passed", "not_passed"}


def acceptance_needs_reason(app: AccessionSubject) -> bool:
    """Accepting a signature the verifier did not pass is the operator's call, and the reason goes on record."""
    return app.signature_verdict == "not_passed"


def _verdict_overruled_with_reason(app: AccessionSubject, ctx: Mapping[str, Any]) -> bool:
    return not acceptance_needs_reason(app) or bool(str(ctx.get("reason") or "").strip())


def _code_word_matched(_: AccessionSubject, ctx: Mapping[str, Any]) -> bool:
    return ctx.get("code_word_matched") is True


def _has_email(app: AccessionSubject, _: Mapping[str, Any]) -> bool:
    return bool(app.email)


def _code_accepted(_: AccessionSubject, ctx: Mapping[str, Any]) -> bool:
    return ctx.get("code_accepted") is True


DATA_COMPLETE = Guard(
    "data_complete",
    _data_complete,
    N_(
        "the registration data is incomplete: consumer name, EDRPOU or RNOKPP, email, phone, code word "
        "and contact person are all required"
    ),
)
HAS_DOCUMENTS = Guard("has_documents", _has_documents, N_("no document is attached to the application"))
ARRIVED_BY_EMAIL = Guard("arrived_by_email", _arrived_by_email, N_("the application did not arrive by email"))
AT_SERVICE_CENTER = Guard(
    "at_service_center", _at_service_center, N_("the application was not signed at a service center")
)
CODE_WORD_MATCHED = Guard(
    "code_word_matched",
    _code_word_matched,
    N_("the code word the caller gave does not match"),
    on_input=True,
)
SIGNATURE_REPORTED = Guard(
    "signature_reported",
    _signature_reported,
    N_("the qualified signature has not been checked yet: wait for the verifier's report"),
)
VERDICT_OVERRULED = Guard(
    "verdict_overruled_with_reason",
    _verdict_overruled_with_reason,
    N_("the signature did not pass the check: give a reason to accept it anyway"),
    on_input=True,
)
HAS_EMAIL = Guard("has_email", _has_email, N_("the application has no email to send the code to"))
CODE_ACCEPTED = Guard("code_accepted", _code_accepted, N_("the registration code was not accepted"), on_input=True)

S = AccessionState
_OPEN = tuple(s for s in S if s not in {S.COMPLETED, S.REJECTED, S.WITHDRAWN})

TABLE: tuple[Transition[AccessionState], ...] = (
    Transition("submit_for_check", (S.RECEIVED,), S.AWAITING_SIGNATURE_CHECK, STAFF_AND_SYSTEM,
               (ARRIVED_BY_EMAIL, HAS_DOCUMENTS), label=N_("Send to signature check")),
    Transition("witness_signature", (S.RECEIVED,), S.AWAITING_CONFIRMATION_CALL, STAFF,
               (AT_SERVICE_CENTER, DATA_COMPLETE), label=N_("Signed in my presence")),
    Transition("accept_signature", (S.AWAITING_SIGNATURE_CHECK,), S.AWAITING_CONFIRMATION_CALL, STAFF_AND_SYSTEM,
               (HAS_DOCUMENTS, DATA_COMPLETE, SIGNATURE_REPORTED, VERDICT_OVERRULED), label=N_("Accept signature")),
    Transition("reject_signature", (S.AWAITING_SIGNATURE_CHECK,), S.SIGNATURE_REJECTED, STAFF, needs_reason=True,
               label=N_("Reject signature")),
    Transition("resubmit", (S.SIGNATURE_REJECTED,), S.AWAITING_SIGNATURE_CHECK, STAFF_AND_SYSTEM, (HAS_DOCUMENTS,),
               label=N_("New documents arrived")),
    Transition("call_unanswered", (S.AWAITING_CONFIRMATION_CALL,), S.CALL_RETRY_SCHEDULED, STAFF,
               label=N_("No answer: call again later")),
    Transition("retry_call", (S.CALL_RETRY_SCHEDULED,), S.AWAITING_CONFIRMATION_CALL, STAFF_AND_SYSTEM,
               label=N_("Call again now")),
    Transition("confirm", (S.AWAITING_CONFIRMATION_CALL, S.CALL_RETRY_SCHEDULED), S.CONFIRMED, STAFF,
               (DATA_COMPLETE, CODE_WORD_MATCHED), label=N_("Data confirmed by phone")),
    Transition("issue_code", (S.CONFIRMED,), S.CODE_ISSUED, STAFF, (HAS_EMAIL,), label=N_("Issue registration code")),
    Transition("reissue_code", (S.CODE_ISSUED, S.CODE_EXPIRED), S.CODE_ISSUED, STAFF, (HAS_EMAIL,),
               label=N_("Issue a new code")),
    Transition("expire_code", (S.CODE_ISSUED,), S.CODE_EXPIRED, frozenset({Role.SYSTEM}), label=N_("Code expired")),
    Transition("complete", (S.CODE_ISSUED,), S.COMPLETED, frozenset({Role.CUSTOMER}), (CODE_ACCEPTED,),
               label=N_("Customer created the login")),
    Transition("reject", tuple(s for s in _OPEN if s not in {S.CODE_ISSUED}), S.REJECTED, STAFF, needs_reason=True,
               label=N_("Reject application")),
    Transition("withdraw", _OPEN, S.WITHDRAWN, STAFF, needs_reason=True, label=N_("Withdrawn by the customer")),
)

ACCESSION: Workflow[AccessionState] = Workflow("accession", AccessionState, AccessionState.RECEIVED, TABLE)
