"""The audit trail in the page's words, for every page that shows it: one application's history, one
registration's, one staff account's, and the global log.

Each domain declares how its rows read (a ``Vocabulary`` beside its labels); this module only knows which
domain writes which kind of record, and looks up once per page the names of the records the rows point at
(staff, centers, applications), so a row says "Olena Shevchenko (operator.kr)" where the trail stores ``7``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.applications import labels as application_labels
from backoffice.applications.models import Application
from backoffice.audit.models import AuditEvent
from backoffice.audit.present import Line, Vocabulary, present, references
from backoffice.contracts import labels as contract_labels
from backoffice.contracts.models import Contract
from backoffice.customers import labels as customer_labels
from backoffice.intake import labels as intake_labels
from backoffice.letters import labels as letter_labels
from backoffice.meters import labels as meter_labels
from backoffice.requests import labels as request_labels
from backoffice.requests.models import CustomerRequest
from backoffice.selfreg import labels as selfreg_labels
from backoffice.selfreg.models import SelfRegistration
from backoffice.staff import labels as staff_labels
from backoffice.staff.models import Operator, ServiceCenter

#: Which words read which kind of record, by the ``subject_type`` its writers give the trail.
VOCABULARIES: dict[str, Vocabulary] = {
    "application": application_labels.VOCABULARY,
    "registration": application_labels.REGISTRATION_VOCABULARY,
    "routing_rule": application_labels.RULE_VOCABULARY,
    "self_registration": selfreg_labels.VOCABULARY,
    "ownership_claim": selfreg_labels.CLAIM_VOCABULARY,
    "customer_request": request_labels.VOCABULARY,
    "meter": meter_labels.VOCABULARY,
    "operator": staff_labels.OPERATOR_VOCABULARY,
    "service_center": staff_labels.CENTER_VOCABULARY,
    "customer_account": customer_labels.VOCABULARY,
    "contract": contract_labels.VOCABULARY,
    "incoming_message": intake_labels.VOCABULARY,
    "outbox_message": letter_labels.VOCABULARY,
}

#: How each kind of record is named: its model, and the name a person knows it by.
_NAMES: dict[str, tuple[Any, Callable[[Any], str]]] = {
    "operator": (Operator, lambda o: f"{o.full_name} ({o.login})"),
    "service_center": (ServiceCenter, lambda c: c.name),
    "application": (Application, lambda a: a.number or f"#{a.id}"),
    "contract": (Contract, lambda c: c.number),
    "self_registration": (SelfRegistration, lambda r: r.identifier or f"#{r.id}"),
    "customer_request": (CustomerRequest, lambda r: r.number or f"#{r.id}"),
}


def lines(session: Session, events: Sequence[AuditEvent]) -> list[Line]:
    """The rows in the page's language, with the records they point at named."""
    names = _names(session, references(events, VOCABULARIES))
    return present(
        events,
        VOCABULARIES,
        _,
        lambda kind, key: names.get((kind, key)),
        formats={"moment": lambda moment: format_datetime(moment, "short")},
    )


def subject_choices() -> list[tuple[str, str]]:
    """The kinds of record, for the global log's filter: code and name, sorted by name."""
    return sorted(((code, _(v.subject)) for code, v in VOCABULARIES.items()), key=lambda pair: pair[1])


def _names(session: Session, wanted: dict[str, set[Any]]) -> dict[tuple[str, Any], str]:
    out: dict[tuple[str, Any], str] = {}
    for kind, keys in wanted.items():
        if kind not in _NAMES:
            continue
        model, name = _NAMES[kind]
        ids = sorted({k for k in keys if isinstance(k, int)})
        for row in _rows(session, model, ids):
            out[(kind, row.id)] = name(row)
    return out


def _rows(session: Session, model: Any, ids: list[int]) -> Iterable[Any]:
    return session.scalars(select(model).where(model.id.in_(ids))) if ids else ()
