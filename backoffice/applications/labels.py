"""What Flow A's values are called on every page: the operator's and the customer's read the same words.

The words are marked with ``N_`` and translated where they are shown. The state labels live with the workflow's
table (``workflows.accession.STATE_LABELS``); the transitions' own labels are in the table's rows, and
:func:`label_of` finds them, or the words for the actions that are not transitions (editing, taking into work).
"""

from __future__ import annotations

import re

from backoffice.applications.models import CallOutcome, Channel, DocumentKind
from backoffice.audit.present import Vocabulary
from backoffice.contracts.labels import IDENTIFIER_KIND_LABELS, OFFER_LABELS
from workflows.accession import ACCESSION, STATE_LABELS
from workflows.i18n import N_

CHANNEL_LABELS = {
    Channel.EMAIL_SCAN: N_("Email, scan"),
    Channel.EMAIL_QUALIFIED: N_("Email, qualified signature"),
    Channel.SERVICE_CENTER: N_("Service center"),
}
#: What happened on a call, as the calls table shows it.
OUTCOME_LABELS = {
    CallOutcome.CONFIRMED: N_("Confirmed"),
    CallOutcome.CORRECTED: N_("Data corrected and confirmed"),
    CallOutcome.CODE_WORD_MISMATCH: N_("Code word did not match: nothing confirmed"),
    CallOutcome.NO_ANSWER: N_("No answer"),
    CallOutcome.WRONG_NUMBER: N_("Wrong number"),
    CallOutcome.REFUSED: N_("Refused"),
}
#: What the operator can say happened: a mismatch is never chosen, it is what the code word check finds.
CALL_CHOICES = {
    outcome: label for outcome, label in OUTCOME_LABELS.items() if outcome != CallOutcome.CODE_WORD_MISMATCH
}
DOCUMENT_KIND_LABELS = {
    DocumentKind.SCAN: N_("scan"),
    DocumentKind.SIGNED_PDF: N_("PDF with a qualified signature"),
    DocumentKind.DETACHED_SIGNATURE: N_("detached signature"),
    DocumentKind.CONTAINER: N_("signed container"),
    DocumentKind.EMAIL_ORIGINAL: N_("original email"),
    DocumentKind.OTHER: N_("other file"),
    DocumentKind.SIGNED_EVIDENCE: N_("what the signature covers"),
}
#: The signature verifier's main verdict (ETSI EN 319 102-1), as the history names it.
INDICATION_LABELS = {
    "TOTAL_PASSED": N_("signature valid"),
    "TOTAL_FAILED": N_("signature not valid"),
    "INDETERMINATE": N_("could not be verified automatically"),
}
#: Why a customer's registration code was refused (``customers.registration.Refusal``), for staff only.
REFUSAL_LABELS = {
    "wrong_code": N_("wrong registration code"),
    "unknown_identifier": N_("no application with this EDRPOU or RNOKPP"),
    "no_live_code": N_("no valid code for this EDRPOU or RNOKPP"),
    "identifier_mismatch": N_("the code belongs to another EDRPOU or RNOKPP"),
    "used": N_("the code was already used"),
    "expired": N_("the code has expired"),
    "revoked": N_("the code was replaced by a newer one"),
    "locked": N_("too many wrong tries"),
    "application_not_open": N_("the application is no longer open"),
}
#: The fields of an application, as the form that brought it names them.
FIELD_LABELS = {
    "consumer_name": N_("Consumer name"),
    "identifier": N_("EDRPOU or RNOKPP"),
    "email": N_("Email"),
    "phones": N_("Phone number(s)"),
    "code_word": N_("Code word"),
    "contact_name": N_("Contact person (full name)"),
    "commercial_offer": N_("Commercial offer"),
}
#: Everything else the history of an application notes, besides the form's fields.
HISTORY_FIELDS = {
    **FIELD_LABELS,
    "identifier_kind": N_("Kind of identifier"),
    "code_word_hash": N_("Code word"),
    "contract_id": N_("Contract"),
    "channel": N_("Channel"),
    "center_id": N_("Service center"),
    "assignee_id": N_("Assignee"),
    "document": N_("Document"),
    "documents": N_("Documents"),
    "indication": N_("Verdict"),
    "message": N_("Email no."),
    "registration_code_id": N_("Registration code no."),
    "failed_attempts": N_("Wrong tries per code"),
    "calls": N_("Calls"),
    "phone": N_("Number called"),
    "wrong_tries": N_("Wrong tries"),
    "window_seconds": N_("Within (seconds)"),
    "by": N_("Routed by"),
    "merged": N_("Merged application"),
}
#: Why an application went to its center (``applications.routing``).
ROUTED_BY_LABELS = {
    "contract": N_("the contract registry"),
    "rule": N_("a routing rule"),
    "sender": N_("the sender's known address"),
    "claim": N_("the operator who took it"),
    "supervisor": N_("a supervisor"),
}
#: The actions in an application's history that are not transitions of the workflow.
ACTION_LABELS = {
    "create": N_("Registered"),
    "edit": N_("Data changed"),
    "claim": N_("Taken into work"),
    "release": N_("Released"),
    "reassign": N_("Reassigned"),
    "code_word_mismatch": N_("Code word did not match"),
    "route": N_("Routed to a service center"),
    "merge": N_("A duplicate merged in"),
    "call_wrong_number": N_("Call: wrong number"),
    "documents_added": N_("Documents added by email"),
    "signature_checked": N_("Signature checked by the verifier"),
    "registration_refused": N_("Registration code refused"),
    "code_reminder": N_("Reminder about the code sent"),
    "code_expiring": N_("Warning that the code expires sent"),
    "remove_personal_data": N_("Personal data removed"),
    "guessing_alert": N_("Alert: many wrong tries"),
}
#: The reasons the system itself writes (what staff type is shown as typed).
SYSTEM_REASONS = {
    "received by email": N_("received by email"),
    "signed at the service center": N_("signed at the service center"),
    "verified signature": N_("the signature passed the check"),
    "new documents by email": N_("new documents arrived by email"),
    "corrected during the confirmation call": N_("corrected during the confirmation call"),
    "refused during the confirmation call": N_("refused during the confirmation call"),
    "company": N_("registration codes"),
    **REFUSAL_LABELS,
}
RETENTION = re.compile(r"retention: (?P<days>\d+) days after the application was closed")
MERGED = re.compile(r"merged into (?P<number>[\w-]+)")


def label_of(trigger: str) -> str:
    """The untranslated words for an action in this flow's history or on its button."""
    return ACCESSION.label_of(trigger, ACTION_LABELS)


#: How an application's history reads on every page that shows it (``audit.present``).
VOCABULARY = Vocabulary(
    subject=N_("Application"),
    actions=label_of,
    states=STATE_LABELS,
    fields=HISTORY_FIELDS,
    values={
        "channel": CHANNEL_LABELS,
        "commercial_offer": OFFER_LABELS,
        "identifier_kind": IDENTIFIER_KIND_LABELS,
        "indication": INDICATION_LABELS,
        "by": ROUTED_BY_LABELS,
    },
    reasons=SYSTEM_REASONS,
    reason_patterns=(
        (RETENTION, N_("retention: %(days)s days after the application was closed")),
        (MERGED, N_("merged into application %(number)s")),
    ),
    lists=frozenset({"documents"}),
    references={"center_id": "service_center", "assignee_id": "operator", "contract_id": "contract"},
)
#: A refused code with no application to name: the same words, under its own record kind.
REGISTRATION_VOCABULARY = Vocabulary(
    subject=N_("Registration attempt"),
    actions=label_of,
    fields=HISTORY_FIELDS,
    reasons=SYSTEM_REASONS,
)

#: How a routing rule's history reads (``applications.routing``).
RULE_VOCABULARY = Vocabulary(
    subject=N_("Routing rule"),
    actions={"rule_set": N_("Routing rule saved"), "rule_removed": N_("Routing rule removed")},
    fields={"sender": N_("Sender"), "center_id": N_("Service center")},
    references={"center_id": "service_center"},
)
