"""How the audit rows of letters in the outbox read."""

from __future__ import annotations

from backoffice.audit.present import Vocabulary
from backoffice.letters.models import OutboxStatus
from workflows.i18n import N_

STATUS_LABELS = {
    OutboxStatus.PENDING: N_("Waiting to be sent"),
    OutboxStatus.SENT: N_("Sent"),
    OutboxStatus.FAILED: N_("Failed"),
    OutboxStatus.SUPERSEDED: N_("Not sent: out of date"),
}

VOCABULARY = Vocabulary(
    subject=N_("Letter"),
    actions={"resend": N_("Queued again"), "supervisor_digest": N_("Supervisors' digest written")},
    fields={"status": N_("Status"), "last_error": N_("Last error")},
    values={"status": STATUS_LABELS},
)
