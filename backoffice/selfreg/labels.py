"""What Flow B's actions are called in a registration's history and on its buttons, on every page that shows them.

The transitions' own labels are in the workflow's table (``workflows.self_registration``); these are the words for
the actions that are not transitions.
"""

from __future__ import annotations

from workflows.i18n import N_
from workflows.ownership_claim import OWNERSHIP_CLAIM
from workflows.self_registration import SELF_REGISTRATION

OTHER_LABELS = {
    "register": N_("Registered"),
    "remind": N_("Reminder to confirm sent"),
    "accept_consent": N_("New consent text accepted"),
    "duplicate_registration": N_("Second registration with this identifier refused"),
    "ownership_claimed": N_("Someone else asked to check who owns this identifier"),
    "identifier_released": N_("Identifier given to its owner after the ownership check"),
}

CLAIM_LABELS = {
    "file_claim": N_("Ownership claim filed"),
    "register_invited": N_("The claimant registered through the invitation"),
}


def label_of(action: str) -> str:
    """The untranslated words for an action in this flow's history or on its button."""
    return SELF_REGISTRATION.label_of(action, OTHER_LABELS)


def claim_label_of(action: str) -> str:
    """The untranslated words for an action in an ownership claim's history or on its button."""
    return OWNERSHIP_CLAIM.label_of(action, CLAIM_LABELS)
