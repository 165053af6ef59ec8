from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backoffice.database import Base
from backoffice.sessions import new_stamp
from backoffice.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from backoffice.applications.models import Application


class CustomerAccount(Base):
    """The customer's own login, created with the registration code (Flow A) or by self-registration."""

    __tablename__ = "customer_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Flow A accounts come from an application; one application gives at most one account.
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id"), unique=True)
    # Stored lower-case: logins are case-insensitive and unique.
    login: Mapped[str] = mapped_column(String(64), unique=True)
    # argon2id hash; never the password.
    password_hash: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    # E.164; starts as the application's first number, the customer may change it in the cabinet.
    phone: Mapped[str] = mapped_column(String(32), default="")
    language: Mapped[str] = mapped_column(String(2), default="uk")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # In every session's id; a new one (logout, new password, deactivation) ends all sessions (backoffice.sessions).
    session_stamp: Mapped[str] = mapped_column(String(32), nullable=True, default=new_stamp)

    application: Mapped[Application | None] = relationship()



#: "Is this login taken?" also asks whether it is an account's email (``rules.login_taken``, migration 0023).
Index("ix_customer_account_email_lower", func.lower(CustomerAccount.email))

class CustomerToken(Base):
    """A single-use, short-lived link sent by email: a password reset or the confirmation of a new address.

    Only the SHA-256 of the token is kept; the token itself is in the link and nowhere else. A 256-bit random
    token needs no slow hash: it cannot be guessed, only stolen, and the hash makes a copy of this table useless.
    """

    __tablename__ = "customer_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("customer_account.id"), index=True)
    # "password_reset" or "email_change".
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The address an email change will set once confirmed; empty for a password reset.
    new_email: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
