"""What Flow A transitions write besides the state: registration codes and letters.

Effects run inside the write path's transaction and only add rows; the letters leave after commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urljoin

from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.actors import Actor
from backoffice.applications import codes
from backoffice.applications.models import Application, RegistrationCode
from backoffice.audit.models import AuditEvent
from backoffice.letters.outbox import enqueue
from backoffice.statechange import on, settings_of
from backoffice.types import utcnow
from workflows.accession import ACCESSION


def _write(session: Session, app: Application, kind: str, occasion: str, **context: Any) -> None:
    """Queue the letter ``kind`` to the applicant, in the application's language; every letter's context names the
    application's number, and (``occasion``) each occasion writes a letter once."""
    enqueue(
        session,
        kind=kind,
        recipient=app.email,
        language=app.language,
        context={"number": app.number, **context},
        application_id=app.id,
        occasion=occasion,
    )


@on(ACCESSION, "issue_code", "reissue_code")
def issue_registration_code(
    session: Session, app: Application, actor: Actor, event: AuditEvent, ctx: Mapping[str, Any]
) -> None:
    """A new code replaces any earlier one; the code letter and the invitation letter go out together."""
    settings = settings_of(ctx)
    if not settings.code_key:
        raise RuntimeError("no code key: registration codes cannot be issued")
    now = utcnow()
    for old in session.scalars(
        select(RegistrationCode).where(
            RegistrationCode.application_id == app.id,
            RegistrationCode.used_at.is_(None),
            RegistrationCode.revoked_at.is_(None),
        )
    ):
        old.revoked_at = now
    nonce = codes.new_nonce()
    code = RegistrationCode(
        application_id=app.id,
        nonce=nonce,
        code_hash=codes.code_hash(settings.code_key, codes.derive(settings.code_key, nonce)),
        issued_at=now,
        issued_by_id=actor.operator_id,
        expires_at=now + timedelta(days=settings.workflow.registration_code_ttl_days),
    )
    session.add(code)
    session.flush()
    expires_at = code.expires_at.isoformat()
    # The code is not in the row: the sender derives it from the code's nonce when the letter leaves.
    _write(session, app, "registration_code", f"code-{code.id}", expires_at=expires_at, registration_code_id=code.id)
    link = urljoin(settings.site.base_url.rstrip("/") + "/", "company")
    _write(session, app, "invitation", f"code-{code.id}", expires_at=expires_at, link=link)


@on(ACCESSION, "reject", "reject_signature")
def rejection_letter(
    session: Session, app: Application, actor: Actor, event: AuditEvent, ctx: Mapping[str, Any]
) -> None:
    """The customer learns why, in the words the operator gave as the reason."""
    if not app.email:
        return
    session.flush()  # the audit row's id names the occasion
    kind = "rejection" if event.action == "reject" else "signature_rejected"
    _write(session, app, kind, f"audit-{event.id}", reason=event.reason)


@on(ACCESSION, "call_unanswered")
def please_call_us(
    session: Session, app: Application, actor: Actor, event: AuditEvent, ctx: Mapping[str, Any]
) -> None:
    """After the configured number of unanswered calls, ask the customer to call the supplier themselves."""
    settings = settings_of(ctx)
    if not app.email or app.call_attempts < settings.workflow.call_attempts_before_letter:
        return
    _write(session, app, "please_call_us", f"attempt-{app.call_attempts}", phone=settings.site.support_phone)


@on(ACCESSION, "complete")
def registration_complete(
    session: Session, app: Application, actor: Actor, event: AuditEvent, ctx: Mapping[str, Any]
) -> None:
    _write(session, app, "registration_complete", "complete", login=str(ctx.get("login", "")))
