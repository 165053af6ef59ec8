from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from backoffice.database import Base
from backoffice.types import UTCDateTime, utcnow


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
    language: Mapped[str] = mapped_column(String(2), default="uk")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
