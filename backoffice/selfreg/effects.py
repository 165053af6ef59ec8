"""What Flow B transitions write besides the state: the account's status, links, letters, consent withdrawal.

Effects run inside the write path's transaction and only change rows; letters are outbox rows that leave after
the commit. The account is what the customer pages look at (``is_active``), so every state that may or may not
log in is mirrored onto it here, and nowhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select, union_all
from sqlalchemy.orm import Session

from backoffice.actors import Actor
from backoffice.audit.models import AuditEvent
from backoffice.customers.models import CustomerToken
from backoffice.letters.models import OutboxMessage, OutboxStatus
from backoffice.letters.outbox import dedup_key, enqueue
from backoffice.selfreg import links
from backoffice.selfreg.models import ConsentRecord, SelfRegistration
from backoffice.sessions import end_sessions
from backoffice.settings import Settings
from backoffice.statechange import on, settings_of
from backoffice.types import utcnow
from workflows.self_registration import SELF_REGISTRATION

SUBJECT = "self_registration"  # the audit trail's name for a registration (services.SUBJECT)
CONFIRM_LETTER = "self_registration_confirm"
REMINDER_LETTER = "self_registration_reminder"


def send_link(session: Session, reg: SelfRegistration, settings: Settings, kind: str = CONFIRM_LETTER) -> None:
    """A fresh confirmation link, in a letter to the registration's email (an outbox row)."""
    account = reg.account
    if account is None:
        raise RuntimeError(f"self-registration {reg.id} has no account to confirm")
    issued = links.issue(session, account, settings)
    enqueue(
        session,
        kind=kind,
        recipient=reg.email,
        language=reg.language,
        context={
            "link": issued.url(settings),
            "expires_at": issued.row.expires_at.isoformat(),
        },
        application_id=None,
        occasion=f"selfreg-{reg.id}-link-{issued.row.id}",
    )


@on(SELF_REGISTRATION, "resend_confirmation")
def resend(session: Session, reg: SelfRegistration, actor: Actor, event: AuditEvent, ctx: Mapping[str, Any]) -> None:
    send_link(session, reg, settings_of(ctx))


@on(SELF_REGISTRATION, "confirm_email", "manual_confirm")
def activate(session: Session, reg: SelfRegistration, actor: Actor, event: AuditEvent, ctx: Mapping[str, Any]) -> None:
    """The person is a user now: the account may log in, and no other confirmation link works any more."""
    reg.confirmed_at = utcnow()
    if reg.account is not None:
        reg.account.is_active = True
        links.end_all(session, reg.account)


@on(SELF_REGISTRATION, "block")
def block(session: Session, reg: SelfRegistration, actor: Actor, event: AuditEvent, ctx: Mapping[str, Any]) -> None:
    # Inactive accounts are refused at login, and a new session stamp ends their open sessions at once.
    if reg.account is not None:
        reg.account.is_active = False
        end_sessions(reg.account)


@on(SELF_REGISTRATION, "unblock")
def unblock(session: Session, reg: SelfRegistration, actor: Actor, event: AuditEvent, ctx: Mapping[str, Any]) -> None:
    if reg.account is not None:
        reg.account.is_active = True


@on(SELF_REGISTRATION, "withdraw_consent")
def close(session: Session, reg: SelfRegistration, actor: Actor, event: AuditEvent, ctx: Mapping[str, Any]) -> None:
    """Close the account, remove the personal data, and note the withdrawal on the consent records.

    The account row stays (its audit trail points at it) without its email and phone, can never log in again,
    and its login is renamed so that the identifier is free for a new registration with a new consent. The
    registration keeps its identifier and the consent records: the evidence of what was consented to, when,
    and when it was withdrawn.
    """
    now = utcnow()
    for record in session.scalars(
        select(ConsentRecord).where(ConsentRecord.registration_id == reg.id, ConsentRecord.withdrawn_at.is_(None))
    ):
        record.withdrawn_at = now
        record.withdrawn_from = str(ctx.get("ip") or "")[:45]
        record.withdrawn_form = str(ctx.get("form") or "consent_withdrawal")[:40]
    account = reg.account
    if account is not None:
        account.is_active = False
        end_sessions(account)
        account.login = f"closed.{reg.id}.{account.id}"
        account.email, account.phone = "", ""
        links.end_all(session, account)
    reg.account = None
    reg.name = ""
    reg.personal_data_removed_at = now
    _forget(session, reg)


@on(SELF_REGISTRATION, "expire")
def remove(session: Session, reg: SelfRegistration, actor: Actor, event: AuditEvent, ctx: Mapping[str, Any]) -> None:
    """Nobody confirmed: the account never logged in, so it goes, with its email; the name goes too.

    The registration row stays with its identifier, state and consent records (the evidence of what was
    consented to when the letters were sent); the identifier is free again because its account is gone.
    """
    account = reg.account
    reg.account = None
    reg.name = ""
    reg.personal_data_removed_at = utcnow()
    _forget(session, reg)
    session.flush()
    if account is not None:
        session.execute(delete(CustomerToken).where(CustomerToken.account_id == account.id))
        session.delete(account)


def _forget(session: Session, reg: SelfRegistration) -> None:
    """Letters keep their kind and times, not the address or the link; audit rows keep which fields changed,
    not their values (as the retention of Flow A applications does)."""
    for event in session.scalars(
        select(AuditEvent).where(AuditEvent.subject_type == SUBJECT, AuditEvent.subject_id == reg.id)
    ):
        event.changes = dict.fromkeys(event.changes)
    for letter in session.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key.in_(letter_keys(reg)))):
        letter.recipient, letter.context, letter.last_error = "", {}, ""
        if letter.status == OutboxStatus.PENDING:
            letter.status, letter.last_error = OutboxStatus.SUPERSEDED, "superseded: personal data removed"


def letter_keys(reg: SelfRegistration) -> Any:
    """The outbox keys of this registration's letters: each kind's keys begin with ``<kind>:-:selfreg-<id>-link-``
    (the occasion ends with the link's token id). Asked as prefixes, escaped (a kind's ``_`` is a ``LIKE``
    wildcard), they are read from an index (migration 0027) instead of every letter of no application."""
    occasion = f"selfreg-{reg.id}-link-"
    return union_all(  # one prefix a part: each part an index range (an OR of the two may be read as a filter)
        *(
            select(OutboxMessage.dedup_key).where(
                OutboxMessage.application_id.is_(None),
                OutboxMessage.dedup_key.startswith(dedup_key(kind, None, occasion), autoescape=True),
            )
            for kind in (CONFIRM_LETTER, REMINDER_LETTER)
        )
    )
