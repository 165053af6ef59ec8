"""What the meters' values are called, on the customer's pages, the staff's and in the history."""

from __future__ import annotations

from backoffice.audit.present import Vocabulary
from backoffice.meters.models import MeterType, ReadingNote, ReadingStatus
from backoffice.requests.labels import DETAIL_LABELS, DETAIL_VALUES
from workflows.i18n import N_

TYPE_LABELS: dict[MeterType, str] = {
    MeterType.SINGLE_PHASE: N_("Single-phase"),
    MeterType.THREE_PHASE: N_("Three-phase"),
}
STATUS_LABELS: dict[ReadingStatus, str] = {
    ReadingStatus.COUNTED: N_("Counted"),
    ReadingStatus.AWAITING_CHECK: N_("Awaiting check"),
    ReadingStatus.REFUSED: N_("Refused"),
}
NOTE_LABELS: dict[ReadingNote, str] = {
    ReadingNote.ROLLOVER: N_("The meter rolled over"),
    ReadingNote.REPLACEMENT: N_("The meter was replaced"),
}
#: Why a reading waits for staff's check (``READING_CHECK`` requests' ``reading_reason``).
REASON_LABELS: dict[str, str] = {
    **{note.value: label for note, label in NOTE_LABELS.items()},
    "jump": N_("Far above the usual consumption, confirmed by the customer"),
}
ACTION_LABELS = {
    "add": N_("Meter added by the customer"),
    "reading": N_("Reading submitted"),
    "reading_counted": N_("Reading accepted after the check"),
    "reading_refused": N_("Reading refused after the check"),
    "replaced": N_("Meter replaced: it takes no more readings"),
}
FIELDS = {
    "type": N_("Meter type"),
    "serial": N_("Serial number"),
    "place": N_("Place"),
    "zones": N_("Tariff zones"),
    "digits": N_("Digit capacity"),
    "verified_on": N_("Verification date"),
    "zone": N_("Tariff zone"),
    "value": N_("Reading"),
    "status": N_("Status"),
    "note": N_("Note"),
    "active": N_("Takes readings"),
    "request": N_("Request"),
}

DETAIL_LABELS.update(
    {
        "meter": N_("Meter (serial number)"),
        "zone": N_("Tariff zone"),
        "value": N_("Reading"),
        "previous": N_("Previous reading"),
        "reading_reason": N_("Why it needs a check"),
    }
)
DETAIL_VALUES["reading_reason"] = REASON_LABELS

#: How a meter's history reads (``audit.present``).
VOCABULARY = Vocabulary(
    subject=N_("Meter"),
    actions=ACTION_LABELS,
    fields=FIELDS,
    values={
        "type": {k.value: v for k, v in TYPE_LABELS.items()},
        "status": {k.value: v for k, v in STATUS_LABELS.items()},
        "note": {k.value: v for k, v in NOTE_LABELS.items()},
    },
)
