"""What the values of a customer request are called, on the customer's pages, the staff's and in the history.

The words are marked with ``N_`` and translated where they are shown. The states and the transitions' labels are
the workflow's (``workflows.customer_request``); writing a request is the one action that is not a transition.
"""

from __future__ import annotations

from backoffice.audit.present import Vocabulary
from backoffice.requests.models import Author, RequestKind
from workflows.customer_request import CUSTOMER_REQUEST, STATE_LABELS
from workflows.i18n import N_

KIND_LABELS: dict[RequestKind, str] = {
    RequestKind.APPEAL: N_("Appeal"),
    RequestKind.COMPLAINT: N_("Complaint"),
    RequestKind.INFORMATION: N_("Request for information"),
}
AUTHOR_LABELS: dict[Author, str] = {
    Author.CUSTOMER: N_("Customer"),
    Author.STAFF: N_("Supplier"),
}
#: The actions of a request's history that are not transitions of its table.
OTHER_LABELS = {
    "submit": N_("Written by the customer"),
}
#: What the history notes about a request.
FIELDS = {
    "kind": N_("Kind"),
    "subject": N_("Subject"),
    "center_id": N_("Service center"),
    "attachments": N_("Attached files"),
}
#: The cabinet's two sections of seed 001 and the kinds each lists: appeals and complaints, and requests.
SECTION_KINDS: dict[str, tuple[RequestKind, ...]] = {
    "appeals": (RequestKind.APPEAL, RequestKind.COMPLAINT),
    "requests": (RequestKind.INFORMATION,),
}
SECTION_TITLES = {
    "appeals": N_("Appeals and complaints"),
    "requests": N_("Requests"),
}


def label_of(action: str) -> str:
    """The untranslated words for an action in a request's history or on its button."""
    return CUSTOMER_REQUEST.label_of(action, OTHER_LABELS)


#: How a request's history reads (``audit.present``).
VOCABULARY = Vocabulary(
    subject=N_("Customer request"),
    actions=label_of,
    states=STATE_LABELS,
    fields=FIELDS,
    values={"kind": KIND_LABELS},
    lists=frozenset({"attachments"}),
    references={"center_id": "service_center"},
)
