"""What the values of a customer request are called, on the customer's pages, the staff's and in the history.

The words are marked with ``N_`` and translated where they are shown. The states and the transitions' labels are
the workflow's (``workflows.customer_request``); writing a request is the one action that is not a transition.
"""

from __future__ import annotations

from backoffice.audit.present import Vocabulary
from backoffice.requests.kinds import KINDS, WORKFLOWS, of_section, sections_with_requests
from backoffice.requests.models import Author, RequestKind
from workflows.i18n import N_
from workflows.request_states import STATE_LABELS

KIND_LABELS: dict[RequestKind, str] = {k.kind: k.label for k in KINDS.values()}
AUTHOR_LABELS: dict[Author, str] = {
    Author.CUSTOMER: N_("Customer"),
    Author.STAFF: N_("Supplier"),
}
#: The actions of a request's history that are not transitions of its table.
OTHER_LABELS = {
    "submit": N_("Written by the customer"),
    "claim": N_("Taken by a member of staff"),
    "assign": N_("Assigned"),
    "release": N_("Given back to the center"),
    "remind": N_("Staff reminded of the deadline"),
}
#: What the history notes about a request.
FIELDS = {
    "kind": N_("Kind"),
    "subject": N_("Subject"),
    "center_id": N_("Service center"),
    "attachments": N_("Attached files"),
    "assignee_id": N_("Assignee"),
}
#: What a kind's own form asked (``CustomerRequest.details``), by key: each kind's form adds its fields here, and
#: both the customer's page and the staff's show them with these words.
DETAIL_LABELS: dict[str, str] = {}
#: The words for a detail's coded values, by key (a reading's reason to be checked): shown translated.
DETAIL_VALUES: dict[str, dict[str, str]] = {}
#: The cabinet's sections of seed 001 that list requests, and the kinds each lists.
SECTION_KINDS: dict[str, tuple[RequestKind, ...]] = {key: of_section(key) for key in sections_with_requests()}
SECTION_TITLES = {
    "services": N_("Interactive services"),
    "meters": N_("Meters"),
    "connection_applications": N_("Applications for connection"),
    "appeals": N_("Appeals and complaints"),
    "requests": N_("Requests"),
    "documents": N_("Documents"),
}


def label_of(action: str) -> str:
    """The untranslated words for an action in a request's history or on its button: the first workflow that
    declares it (a trigger's name means one thing in every request table), else the actions beside them."""
    for workflow in WORKFLOWS:
        if workflow.transition(action) is not None:
            return workflow.label_of(action, OTHER_LABELS)
    return OTHER_LABELS.get(action, action)


#: How a request's history reads (``audit.present``).
VOCABULARY = Vocabulary(
    subject=N_("Customer request"),
    actions=label_of,
    states=STATE_LABELS,
    fields=FIELDS,
    values={"kind": KIND_LABELS},
    lists=frozenset({"attachments"}),
    references={"center_id": "service_center", "assignee_id": "operator"},
)
