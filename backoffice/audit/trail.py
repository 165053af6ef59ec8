"""Writing and reading the audit trail. Every change of state or data in the product lands here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.actors import Actor
from backoffice.audit.models import AuditEvent
from backoffice.monitoring import context
from backoffice.types import utcnow


def record(
    session: Session,
    actor: Actor,
    subject_type: str,
    subject_id: int | None,
    action: str,
    *,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str = "",
    changes: Mapping[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        occurred_at=utcnow(),
        actor_role=actor.role,
        actor_id=actor.operator_id,
        actor_label=actor.label,
        subject_type=subject_type,
        subject_id=subject_id,
        action=action,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        changes=dict(changes or {}),
        request_id=context.current(),
    )
    session.add(event)
    return event


def history(session: Session, subject_type: str, subject_id: int) -> Sequence[AuditEvent]:
    return session.scalars(
        select(AuditEvent)
        .where(AuditEvent.subject_type == subject_type, AuditEvent.subject_id == subject_id)
        .order_by(AuditEvent.id)
    ).all()


def last_change(session: Session, subject_type: str, subject_id: int) -> AuditEvent | None:
    return session.scalars(
        select(AuditEvent)
        .where(AuditEvent.subject_type == subject_type, AuditEvent.subject_id == subject_id)
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).first()
