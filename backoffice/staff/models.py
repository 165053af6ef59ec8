from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backoffice.database import Base
from backoffice.sessions import new_stamp
from backoffice.types import UTCDateTime, enum_column, utcnow
from workflows.roles import Role

if TYPE_CHECKING:
    from backoffice.applications.models import Application


class ServiceCenter(Base):
    """A customer service center (ЦОС); operators work the applications of their own center."""

    __tablename__ = "service_center"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")

    operators: Mapped[list[Operator]] = relationship(back_populates="center")
    applications: Mapped[list[Application]] = relationship(back_populates="center")

    def __str__(self) -> str:
        return self.name


class Operator(Base):
    """A member of staff: operator, supervisor or administrator."""

    __tablename__ = "operator"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-case: logins are case-insensitive and unique.
    login: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    center_id: Mapped[int | None] = mapped_column(ForeignKey("service_center.id"), index=True)
    # argon2id hash; never the password.
    password_hash: Mapped[str] = mapped_column(String(200))
    # Base32 TOTP secret when the operator enrolled a second factor.
    totp_secret: Mapped[str | None] = mapped_column(String(64), default=None)
    totp_required: Mapped[bool] = mapped_column(default=False)
    # The 30-second step of the last code accepted: a code is good once, even within its own window.
    totp_last_step: Mapped[int | None] = mapped_column(default=None)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # In every session's id; a new one (logout, new password, deactivation) ends all sessions (backoffice.sessions).
    session_stamp: Mapped[str] = mapped_column(String(32), nullable=True, default=new_stamp)

    center: Mapped[ServiceCenter | None] = relationship(back_populates="operators")

    def __str__(self) -> str:
        return self.full_name
