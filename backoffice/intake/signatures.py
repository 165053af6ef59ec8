"""The S/MIME signature of a received email, checked after the email is stored.

It lives with the intake, not with the documents' checks: the signature belongs to the email (its report is
shown on the message page), and the files the email brought are verified as documents like any others
(``backoffice.documents.verification``), with the same verifier and policy.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.audit.trail import record
from backoffice.documents.storage import open_storage
from backoffice.documents.verification import VERIFIER, batch_verifier
from backoffice.intake.models import SIGNATURE_PENDING_SQL, IncomingMessage
from backoffice.settings import Settings

log = logging.getLogger(__name__)


def check_email_signatures(session: Session, settings: Settings, *, limit: int = 20) -> int:
    """Verify the S/MIME signatures of received emails that wait for it; returns how many. The caller commits.

    The email's signature covers the signed MIME part as it was sent, not the bytes of any attachment, so it is
    verified over exactly that part. The report is the email's own (shown on its message page); the files it
    brought are documents like any others and get no verdict from it. The same never-a-false-pass rules apply:
    an unreadable file is INDETERMINATE, never passed.
    """
    pending = session.scalars(
        select(IncomingMessage)
        .where(SIGNATURE_PENDING_SQL[session.get_bind().dialect.name])
        .order_by(IncomingMessage.id)
        .limit(limit)
    ).all()
    verifier = batch_verifier(settings, pending)
    if verifier is None:
        return 0
    with verifier:
        storage = open_storage(settings, session)
        for message in pending:
            state = dict(message.email_signature or {})
            try:
                signature = storage.read(state["signature"])
                if state.get("content"):
                    result = verifier.verify(
                        storage.read(state["content"]), detached_signature=signature, filename="email.eml"
                    )
                else:
                    result = verifier.verify(signature, filename="smime.p7m")
                report: dict[str, Any] = dict(result.to_json())
            except OSError as exc:
                log.error("cannot read the S/MIME signature of message %s: %s", message.id, exc)
                report = {"indication": "INDETERMINATE", "sub_indication": "FILE_UNREADABLE", "integrity": None}
            message.email_signature = {**state, **report, "state": "checked"}
            record(
                session,
                VERIFIER,
                "incoming_message",
                message.id,
                "email_signature_checked",
                changes={"indication": report.get("indication")},
            )
    session.flush()
    return len(pending)
