"""What Flow A's values are called on every page: the operator's and the customer's read the same words.

The words are marked with ``N_`` and translated where they are shown. The state labels live with the workflow's
table (``workflows.accession.STATE_LABELS``); the transitions' own labels are in the table's rows, and
:func:`label_of` finds them, or the words for the actions that are not transitions (editing, taking into work).
"""

from __future__ import annotations

from backoffice.applications.models import CallOutcome, Channel
from backoffice.contracts.models import CommercialOffer
from workflows.accession import ACCESSION
from workflows.i18n import N_

OFFER_LABELS = {
    CommercialOffer.UNIVERSAL_SERVICE: N_("Universal service"),
    CommercialOffer.FREE_PRICE: N_("Free price"),
}
CHANNEL_LABELS = {
    Channel.EMAIL_SCAN: N_("Email, scan"),
    Channel.EMAIL_QUALIFIED: N_("Email, qualified signature"),
    Channel.SERVICE_CENTER: N_("Service center"),
}
OUTCOME_LABELS = {
    CallOutcome.CONFIRMED: N_("Confirmed"),
    CallOutcome.CORRECTED: N_("Data corrected and confirmed"),
    CallOutcome.NO_ANSWER: N_("No answer"),
    CallOutcome.REFUSED: N_("Refused"),
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
}


def label_of(trigger: str) -> str:
    """The untranslated words for an action in this flow's history or on its button."""
    return ACCESSION.label_of(trigger, ACTION_LABELS)
