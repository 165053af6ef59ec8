"""Single-use links sent by email (password reset, new email address): random, short-lived, stored hashed."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backoffice.customers.models import CustomerAccount, CustomerToken
from backoffice.types import utcnow

PASSWORD_RESET = "password_reset"  # noqa: S105 - a purpose, not a password
EMAIL_CHANGE = "email_change"
#: A reset link is used within minutes or not at all; a new address may be read a little later.
LIFETIME = {PASSWORD_RESET: timedelta(minutes=60), EMAIL_CHANGE: timedelta(hours=24)}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(
    session: Session, account: CustomerAccount, purpose: str, *, new_email: str = ""
) -> tuple[str, CustomerToken]:
    """A new token for ``purpose``; earlier unused ones of the same purpose stop working (only the last link counts)."""
    now = utcnow()
    revoke(session, account, purpose)
    token = secrets.token_urlsafe(32)
    row = CustomerToken(
        account_id=account.id,
        purpose=purpose,
        token_hash=token_hash(token),
        new_email=new_email,
        created_at=now,
        expires_at=now + LIFETIME[purpose],
    )
    session.add(row)
    session.flush()
    return token, row


def revoke(session: Session, account: CustomerAccount, purpose: str) -> None:
    session.execute(
        update(CustomerToken)
        .where(
            CustomerToken.account_id == account.id,
            CustomerToken.purpose == purpose,
            CustomerToken.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def peek(session: Session, token: str, purpose: str) -> CustomerToken | None:
    """The live token, without spending it (the page behind the link shows a form first)."""
    row = session.scalars(
        select(CustomerToken).where(CustomerToken.token_hash == token_hash(token), CustomerToken.purpose == purpose)
    ).first()
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    return row


def spend(session: Session, token: str, purpose: str) -> CustomerToken | None:
    """Use the token once: of two requests with the same link, exactly one gets the row (conditional UPDATE)."""
    now = utcnow()
    result = session.execute(
        update(CustomerToken)
        .where(
            CustomerToken.token_hash == token_hash(token),
            CustomerToken.purpose == purpose,
            CustomerToken.used_at.is_(None),
            CustomerToken.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.scalars(
        select(CustomerToken)
        .where(CustomerToken.token_hash == token_hash(token))
        .execution_options(populate_existing=True)
    ).one()
