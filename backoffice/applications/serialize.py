"""The stable JSON form of an application (documented in docs/cli.md); scripts and other tools read it.

Never included: the code word (not even its hash), registration codes, passwords.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from backoffice.applications.models import Application
from backoffice.audit.models import AuditEvent
from backoffice.audit.trail import history


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def summary(app: Application) -> dict[str, Any]:
    return {
        "number": app.number,
        "state": app.state.value,
        "channel": app.channel.value,
        "commercial_offer": app.commercial_offer.value if app.commercial_offer else None,
        "consumer_name": app.consumer_name,
        "identifier": app.identifier,
        "identifier_kind": app.identifier_kind.value if app.identifier_kind else None,
        "email": app.email,
        "phones": list(app.phones or []),
        "contact_name": app.contact_name,
        "has_code_word": bool(app.code_word_hash),
        "service_center": app.center.code if app.center else None,
        "assignee": app.assignee.login if app.assignee else None,
        "contract_number": app.contract.number if app.contract else None,
        "language": app.language,
        "received_at": _time(app.received_at),
        "updated_at": _time(app.updated_at),
        "due_at": _time(app.due_at),
        "version": app.version,
    }


def event(e: AuditEvent) -> dict[str, Any]:
    return {
        "at": _time(e.occurred_at),
        "actor": e.actor_label,
        "actor_role": e.actor_role.value,
        "action": e.action,
        "from_state": e.from_state,
        "to_state": e.to_state,
        "reason": e.reason,
        "changes": e.changes,
    }


def full(session: Session, app: Application) -> dict[str, Any]:
    return {
        **summary(app),
        "documents": [
            {
                "filename": d.filename,
                "kind": d.kind.value,
                "content_type": d.content_type,
                "size": d.size,
                "sha256": d.sha256,
                "received_at": _time(d.created_at),
            }
            for d in app.documents
        ],
        "calls": [
            {
                "at": _time(c.called_at),
                "operator": c.operator.login if c.operator else None,
                "phone": c.phone,
                "outcome": c.what_happened.value,
                "code_word_matched": c.code_word_matched,
                "note": c.note,
            }
            for c in app.calls
        ],
        "audit": [event(e) for e in history(session, "application", app.id)],
    }
