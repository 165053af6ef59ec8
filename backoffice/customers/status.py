"""Where an application stands, in the words a customer uses (not the workflow's eleven states)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.applications.models import Application
from workflows.accession import AccessionState
from workflows.i18n import N_

S = AccessionState


@dataclass(frozen=True)
class PlainStatus:
    key: str
    title: str
    explanation: str


RECEIVED = PlainStatus("received", N_("Received"), N_("We have your application and will check it soon."))
CHECKING = PlainStatus("checking", N_("Being checked"), N_("We are checking the application and its signature."))
CHECKING_NEEDS_DOCUMENTS = PlainStatus(
    "checking",
    N_("Being checked"),
    N_("We could not accept the signature; our letter says what to send. We check again when it arrives."),
)
WAITING_FOR_CALL = PlainStatus(
    "waiting_for_call",
    N_("Waiting for our call"),
    N_("We will phone you to confirm the data. Have the code word from the application ready."),
)
CONFIRMED = PlainStatus(
    "waiting_for_call",
    N_("Confirmed by phone"),
    N_("The data is confirmed; the registration code is on its way to the email from the application."),
)
CODE_SENT = PlainStatus(
    "code_sent",
    N_("Code sent"),
    N_("We have sent the registration code and an invitation to the email from the application."),
)
CODE_EXPIRED = PlainStatus(
    "code_sent", N_("Code expired"), N_("The registration code has expired: contact us for a new one.")
)
COMPLETED = PlainStatus(
    "completed", N_("Completed"), N_("The registration is complete: log in with your login and password.")
)
REJECTED = PlainStatus("closed", N_("Rejected"), N_("The application was rejected; our letter says why."))
WITHDRAWN = PlainStatus("closed", N_("Withdrawn"), N_("The application was withdrawn."))

PLAIN: dict[AccessionState, PlainStatus] = {
    S.RECEIVED: RECEIVED,
    S.AWAITING_SIGNATURE_CHECK: CHECKING,
    S.SIGNATURE_REJECTED: CHECKING_NEEDS_DOCUMENTS,
    S.AWAITING_CONFIRMATION_CALL: WAITING_FOR_CALL,
    S.CALL_RETRY_SCHEDULED: WAITING_FOR_CALL,
    S.CONFIRMED: CONFIRMED,
    S.CODE_ISSUED: CODE_SENT,
    S.CODE_EXPIRED: CODE_EXPIRED,
    S.COMPLETED: COMPLETED,
    S.REJECTED: REJECTED,
    S.WITHDRAWN: WITHDRAWN,
}


def lookup(session: Session, number: str, identifier: str) -> PlainStatus | None:
    """The status when the number and the EDRPOU/RNOKPP belong together; ``None`` for anything else."""
    app = session.scalars(
        select(Application).where(Application.number == number.strip(), Application.identifier == identifier)
    ).first()
    return PLAIN[app.state] if app is not None else None
