"""What a letter needs that is decided only when it leaves, and whether it should still leave at all.

The registration code is never stored: its letter carries the code's id and the code is derived here from the
code's nonce. A code that was replaced, used or expired before its letter left is not sent (a stale code would
only confuse the customer); the row is marked superseded with the reason. Reminders about a code go stale the
same way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from backoffice.applications import codes
from backoffice.applications.models import Application, RegistrationCode
from backoffice.errors import BackofficeError
from backoffice.letters.models import OutboxMessage
from backoffice.settings import Settings
from workflows.accession import AccessionState

CODE_LETTERS = frozenset({"registration_code", "code_reminder", "code_expiring"})


class Stale(BackofficeError):
    """The letter should no longer leave; the message says why (shown to supervisors)."""


def send_context(session: Session, row: OutboxMessage, settings: Settings, now: datetime) -> dict[str, Any]:
    context = dict(row.context)
    if row.kind not in CODE_LETTERS:
        return context
    code = session.get(RegistrationCode, context.get("registration_code_id"))
    _check_current(code, now)
    assert code is not None
    if row.kind == "registration_code":
        if not settings.code_key:
            raise RuntimeError("no code key: the registration code cannot be derived")
        context["code"] = codes.derive(settings.code_key, code.nonce)
    else:
        app = session.get(Application, code.application_id)
        if app is None or app.state != AccessionState.CODE_ISSUED:
            state = app.state.value if app else "gone"
            raise Stale(f"superseded: the application is {state} now, the reminder is no longer needed")
    return context


def _check_current(code: RegistrationCode | None, now: datetime) -> None:
    if code is None:
        raise Stale("superseded: the registration code of this letter no longer exists")
    if code.used_at is not None:
        raise Stale("superseded: the registration code was already used before this letter left")
    if code.revoked_at is not None:
        raise Stale(
            "superseded: a newer registration code replaced this one before the letter left; "
            "the newer code has its own letter"
        )
    if code.expires_at <= now:
        raise Stale("superseded: the registration code expired before this letter left")
