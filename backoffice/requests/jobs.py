"""The scheduler's work on customer requests: staff are reminded of a deadline before it passes, and a request
that waited too long for the customer's reply is closed, with a letter telling the customer.

Same contract as the scheduler's other jobs (``backoffice.scheduler.jobs``): each takes the database, the
settings and the moment it runs for; requests are claimed in batches with their rows locked and the due
conditions re-checked under the lock (``batch.each``), so two schedulers never both act on one request, and each
is done in its own savepoint, so one bad request never stops the rest.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urljoin

from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice import batch
from backoffice.actors import Actor
from backoffice.audit.trail import record
from backoffice.database import Database
from backoffice.letters.outbox import write
from backoffice.requests import labels, services
from backoffice.requests.models import CustomerRequest
from backoffice.settings import Settings, recipients
from workflows.request_states import WITH_STAFF, RequestState

SCHEDULER = Actor.system("scheduler")
DEADLINE_LETTER = "request_deadline"
#: Where staff read a request (``admin/requests``), for the reminder's link.
STAFF_PATH = "admin/requests/"


def remind_deadlines(db: Database, settings: Settings, now: datetime) -> int:
    """One letter per request to the supervisors' addresses (``[scheduler] digest_recipients``) once its deadline
    is ``[cabinet] remind_before_hours`` away and staff still hold it. Without addresses nobody is written to and
    nothing is marked, so a later setting still reminds."""
    addresses = recipients(settings.scheduler.digest_recipients)
    if not addresses:
        return 0
    horizon = now + timedelta(hours=settings.cabinet.remind_before_hours)
    due = (
        CustomerRequest.state.in_(WITH_STAFF),
        CustomerRequest.due_at <= horizon,
        CustomerRequest.reminded_at.is_(None),
    )

    def work(session: Session, req: CustomerRequest) -> bool:
        link = urljoin(settings.site.base_url.rstrip("/") + "/", f"{STAFF_PATH}{req.id}")
        for address in addresses:
            write(
                session,
                kind=DEADLINE_LETTER,
                recipient=address,
                language=settings.site.default_language,
                context={
                    "number": req.number,
                    "kind": labels.KIND_LABELS[req.kind],
                    "subject": req.subject,
                    "due_at": req.due_at.isoformat() if req.due_at else "",
                    "assignee": req.assignee.full_name if req.assignee else "",
                    "link": link,
                },
                application_id=None,
                occasion=f"request-{req.id}:{address.lower()}",
                now=now,
            )
        req.reminded_at = now
        record(session, SCHEDULER, services.SUBJECT, req.id, "remind")
        return True

    return batch.each(db, select(CustomerRequest).where(*due), work, what="request deadline reminder")


def close_waiting(db: Database, settings: Settings, now: datetime) -> int:
    """Close the requests that waited ``[cabinet] close_waiting_after_days`` for the customer's reply (the
    workflow's ``expire``: its audit row and the letter to the customer)."""
    cutoff = now - timedelta(days=settings.cabinet.close_waiting_after_days)
    due = (CustomerRequest.state == RequestState.WAITING_FOR_CUSTOMER, CustomerRequest.updated_at <= cutoff)

    def work(session: Session, req: CustomerRequest) -> bool:
        services.act(session, settings, req, "expire", SCHEDULER)
        return True

    return batch.each(db, select(CustomerRequest).where(*due), work, what="request closing")
