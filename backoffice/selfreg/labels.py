"""What Flow B's actions are called in a registration's history and on its buttons, on every page that shows them.

The transitions' own labels are in the workflow's table (``workflows.self_registration``); these are the words for
the actions that are not transitions.
"""

from __future__ import annotations

from workflows.i18n import N_
from workflows.self_registration import SELF_REGISTRATION

OTHER_LABELS = {
    "register": N_("Registered"),
    "remind": N_("Reminder to confirm sent"),
    "accept_consent": N_("New consent text accepted"),
    "duplicate_registration": N_("Second registration with this identifier refused"),
}


def label_of(action: str) -> str:
    """The untranslated words for an action in this flow's history or on its button."""
    return SELF_REGISTRATION.label_of(action, OTHER_LABELS)
