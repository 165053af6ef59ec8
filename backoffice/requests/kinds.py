"""Every kind of request a customer sends from the cabinet: its workflow, its number's prefix, the cabinet section
that lists it and its deadline setting.

One table, read by the services (which flow fires a move, when the answer is due), the cabinet (which section
shows what) and the queue (the kind filter): a new kind is a row here and a form, not a new queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from backoffice.requests.models import RequestKind
from backoffice.settings import CabinetSettings
from workflows.connection_application import CONNECTION_APPLICATION
from workflows.customer_request import CUSTOMER_REQUEST
from workflows.document_request import DOCUMENT_REQUEST
from workflows.engine import Workflow
from workflows.i18n import N_
from workflows.meter_request import METER_REQUEST
from workflows.reading_check import READING_CHECK
from workflows.request_states import RequestState

K = RequestKind


@dataclass(frozen=True)
class Kind:
    kind: RequestKind
    label: str
    workflow: Workflow[RequestState]
    #: Before the number ("A-000042"): staff and customer tell the kinds apart by it.
    prefix: str
    #: The cabinet section (``settings.CABINET_SECTIONS``) that lists it and must be on for it to be written.
    section: str
    #: The ``[cabinet]`` setting with the days staff have to answer.
    deadline_setting: str

    def deadline(self, cabinet: CabinetSettings) -> timedelta:
        return timedelta(days=int(getattr(cabinet, self.deadline_setting)))


KINDS: dict[RequestKind, Kind] = {
    k.kind: k
    for k in (
        Kind(K.APPEAL, N_("Appeal"), CUSTOMER_REQUEST, "A", "appeals", "appeal_days"),
        Kind(K.COMPLAINT, N_("Complaint"), CUSTOMER_REQUEST, "C", "appeals", "appeal_days"),
        Kind(K.INFORMATION, N_("Request for information"), CUSTOMER_REQUEST, "I", "requests", "information_days"),
        Kind(K.DOCUMENT_COPY, N_("E-copies of documents"), DOCUMENT_REQUEST, "D", "documents", "document_days"),
        Kind(
            K.CONNECTION_ELECTRICITY,
            N_("Connection to the electric network"),
            CONNECTION_APPLICATION,
            "CE",
            "connection_applications",
            "connection_days",
        ),
        Kind(
            K.CONNECTION_WATER,
            N_("Connection to water supply and wastewater"),
            CONNECTION_APPLICATION,
            "CW",
            "connection_applications",
            "connection_days",
        ),
        Kind(
            K.CONNECTION_HEAT,
            N_("Connection to heat supply"),
            CONNECTION_APPLICATION,
            "CH",
            "connection_applications",
            "connection_days",
        ),
        Kind(K.METER_READING_ON_SITE, N_("Readings taken on site"), METER_REQUEST, "MR", "meters", "meter_days"),
        Kind(K.METER_ADMISSION, N_("Meter admitted into service"), METER_REQUEST, "MA", "meters", "meter_days"),
        Kind(K.METER_REPLACEMENT, N_("Meter replacement"), METER_REQUEST, "MZ", "meters", "meter_days"),
        Kind(K.READING_CHECK, N_("Reading to check"), READING_CHECK, "RC", "meters", "reading_check_days"),
    )
}
assert set(KINDS) == set(RequestKind), "every kind of request needs its row"

#: Each workflow once, in the order of the kinds.
WORKFLOWS: tuple[Workflow[RequestState], ...] = tuple(
    {k.workflow.name: k.workflow for k in KINDS.values()}.values()
)


def of_section(section: str) -> tuple[RequestKind, ...]:
    """The kinds a cabinet section lists."""
    return tuple(k.kind for k in KINDS.values() if k.section == section)


def sections_with_requests() -> tuple[str, ...]:
    """The cabinet sections that list requests (all but the catalogue of services)."""
    return tuple(dict.fromkeys(k.section for k in KINDS.values()))
