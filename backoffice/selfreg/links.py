"""Confirmation links: single use, expiring, kept only as a hash.

They are rows of the customer pages' token table (``CustomerToken``, purpose ``selfreg_confirm``), hashed and
spent the same way as a password-reset link. Unlike a reset link, a new confirmation link does not end the
earlier ones: the reminder's fresh link and the first letter's link both work until one of them is used, and
confirming ends every other link.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urljoin

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from backoffice.customers import tokens
from backoffice.customers.models import CustomerAccount, CustomerToken
from backoffice.settings import Settings
from backoffice.types import utcnow

PURPOSE = "selfreg_confirm"
PATH = "signup/confirm/"


class LinkState(StrEnum):
    LIVE = "live"
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"


@dataclass(frozen=True)
class Issued:
    token: str
    row: CustomerToken

    def url(self, settings: Settings) -> str:
        return urljoin(settings.site.base_url.rstrip("/") + "/", PATH + self.token)


def issue(session: Session, account: CustomerAccount, settings: Settings, now: datetime | None = None) -> Issued:
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    row = CustomerToken(
        account_id=account.id,
        purpose=PURPOSE,
        token_hash=tokens.token_hash(token),
        created_at=now,
        expires_at=now + timedelta(hours=settings.self_registration.confirmation_link_hours),
    )
    session.add(row)
    session.flush()
    return Issued(token, row)


def find(session: Session, token: str) -> CustomerToken | None:
    """The link's row whatever its state (the page tells an expired link from a used one)."""
    return session.scalars(
        select(CustomerToken).where(
            CustomerToken.token_hash == tokens.token_hash(token), CustomerToken.purpose == PURPOSE
        )
    ).first()


def state_of(row: CustomerToken | None, now: datetime | None = None) -> LinkState:
    if row is None:
        return LinkState.UNKNOWN
    if row.used_at is not None:
        return LinkState.USED
    if row.expires_at <= (now or utcnow()):
        return LinkState.EXPIRED
    return LinkState.LIVE


def spend(session: Session, token: str) -> CustomerToken | None:
    """Use the link once: of two simultaneous requests exactly one gets the row."""
    return tokens.spend(session, token, PURPOSE)


def end_all(session: Session, account: CustomerAccount) -> None:
    tokens.revoke(session, account, PURPOSE)


def live_link_exists(account_id_column: object, now: datetime) -> object:
    """SQL: the account still has a confirmation link that works (the removal job waits for it to end)."""
    return exists().where(
        CustomerToken.account_id == account_id_column,
        CustomerToken.purpose == PURPOSE,
        CustomerToken.used_at.is_(None),
        CustomerToken.expires_at > now,
    )
