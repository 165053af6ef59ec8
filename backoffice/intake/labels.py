"""How the audit rows of incoming emails read: what intake did with each message, and why."""

from __future__ import annotations

from backoffice.applications.labels import INDICATION_LABELS
from backoffice.audit.present import Vocabulary
from backoffice.intake.models import MessageStatus
from backoffice.intake.processing import REASONS
from workflows.i18n import N_

STATUS_LABELS = {
    MessageStatus.RECEIVED: N_("Received"),
    MessageStatus.PROCESSED: N_("Processed"),
    MessageStatus.QUARANTINED: N_("In quarantine"),
    MessageStatus.IGNORED: N_("Ignored"),
    MessageStatus.HELD: N_("Waiting for its other parts"),
    MessageStatus.CONVERTED: N_("Made into an application"),
    MessageStatus.DISMISSED: N_("Dismissed"),
}

VOCABULARY = Vocabulary(
    subject=N_("Incoming email"),
    actions={
        "process": N_("Processed"),
        "convert": N_("Made into an application"),
        "convert_requested": N_("Operator asked to make it an application"),
        "quarantine": N_("Put in quarantine"),
        "dismiss": N_("Dismissed"),
        "ignore": N_("Ignored"),
        "hold": N_("Part kept until the others arrive"),
        "reassemble": N_("Parts put together"),
        "email_signature_checked": N_("Email's signature checked"),
        "taken_later": N_("Taken from the mailbox at a later poll"),
    },
    states=STATUS_LABELS,
    fields={
        "application": N_("Application"),
        "part": N_("Part"),
        "message": N_("Email no."),
        "indication": N_("Verdict"),
    },
    values={"indication": INDICATION_LABELS},
    reasons=REASONS,
)
