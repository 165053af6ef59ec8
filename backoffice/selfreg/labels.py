"""What Flow B's values are called in a registration's history, on its buttons and on its pages.

The transitions' own labels and the state labels are in the workflow's table (``workflows.self_registration``);
these are the words for the actions that are not transitions, for who registers, and for what the history notes.
"""

from __future__ import annotations

from backoffice.audit.present import Vocabulary
from backoffice.selfreg.models import PersonKind
from workflows.i18n import N_
from workflows.ownership_claim import OWNERSHIP_CLAIM
from workflows.ownership_claim import STATE_LABELS as CLAIM_STATE_LABELS
from workflows.self_registration import SELF_REGISTRATION, STATE_LABELS

OTHER_LABELS = {
    "register": N_("Registered"),
    "remind": N_("Reminder to confirm sent"),
    "accept_consent": N_("New consent text accepted"),
    "duplicate_registration": N_("Second registration with this identifier refused"),
    "guessing_alert": N_("Alert: many wrong tries"),
    "ownership_claimed": N_("Someone else asked to check who owns this identifier"),
    "identifier_released": N_("Identifier given to its owner after the ownership check"),
}

CLAIM_LABELS = {
    "file_claim": N_("Ownership claim filed"),
    "register_invited": N_("The claimant registered through the invitation"),
}
KIND_LABELS: dict[PersonKind, str] = {
    PersonKind.INDIVIDUAL: N_("Individual"),
    PersonKind.SOLE_PROPRIETOR: N_("Sole proprietor"),
    PersonKind.LEGAL_ENTITY: N_("Legal entity"),
}
IDENTIFIER_LABELS: dict[PersonKind, str] = {
    PersonKind.INDIVIDUAL: N_("SNILS"),
    PersonKind.SOLE_PROPRIETOR: N_("OGRNIP"),
    PersonKind.LEGAL_ENTITY: N_("OGRN"),
}
#: The form a consent was given or withdrawn on (``services.REGISTRATION_FORM`` and its neighbours).
FORM_LABELS = {
    "self_registration": N_("registration form"),
    "consent_renewal": N_("renewed at login"),
    "consent_withdrawal": N_("withdrawal form"),
}
HISTORY_FIELDS = {
    "kind": N_("Who"),
    "identifier": N_("Identifier"),
    "name": N_("Organization / full name"),
    "email": N_("Email"),
    "reminded_at": N_("Reminder sent"),
    "text_version": N_("Consent text version"),
    "text_language": N_("Language of the text"),
    "ownership_claim": N_("Ownership claim no."),
}
LANGUAGE_LABELS = {"uk": N_("Ukrainian"), "ru": N_("Russian"), "en": N_("English")}
#: The reasons the system itself writes.
SYSTEM_REASONS = {"not confirmed in time": N_("not confirmed in time")}


def label_of(action: str) -> str:
    """The untranslated words for an action in this flow's history or on its button."""
    return SELF_REGISTRATION.label_of(action, OTHER_LABELS)


#: How a registration's history reads on every page that shows it (``audit.present``).
VOCABULARY = Vocabulary(
    subject=N_("Self-registration"),
    actions=label_of,
    states=STATE_LABELS,
    fields=HISTORY_FIELDS,
    values={"kind": KIND_LABELS, "text_language": LANGUAGE_LABELS},
    reasons=SYSTEM_REASONS,
)


def claim_label_of(action: str) -> str:
    """The untranslated words for an action in an ownership claim's history or on its button."""
    return OWNERSHIP_CLAIM.label_of(action, CLAIM_LABELS)


#: What an ownership claim's evidence is called in its history.
CLAIM_FIELDS = {
    "identifier": N_("Identifier"),
    "name": N_("Organization / full name"),
    "email": N_("Email"),
    "phone": N_("Phone"),
    "contract_number": N_("Supply contract number"),
    "account_number": N_("Personal account number"),
    "signed_request": N_("A signed request will follow"),
}
#: How an ownership claim's history reads (``audit.present``).
CLAIM_VOCABULARY = Vocabulary(
    subject=N_("Ownership claim"),
    actions=claim_label_of,
    states=CLAIM_STATE_LABELS,
    fields=CLAIM_FIELDS,
)
