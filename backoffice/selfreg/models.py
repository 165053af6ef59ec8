"""Flow B rows: the self-registration beside its customer account, and the consent given through it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from backoffice.database import Base
from backoffice.types import UTCDateTime, enum_column, utcnow
from workflows.self_registration import SelfRegistrationState

if TYPE_CHECKING:
    from backoffice.customers.models import CustomerAccount


def fold(text: str) -> str:
    """How names are compared in searches: case-folded, spaces collapsed."""
    return " ".join((text or "").casefold().split())


class PersonKind(StrEnum):
    """Who registers; it decides which national identifier is the login (seed 001, rules 2–4)."""

    INDIVIDUAL = "individual"  # SNILS, 11 digits; the name field holds the full name
    SOLE_PROPRIETOR = "sole_proprietor"  # OGRNIP, 15 digits
    LEGAL_ENTITY = "legal_entity"  # OGRN, 13 digits; the name field holds the company name


class SelfRegistration(Base):
    """One person's self-registration: who they are, their identifier (the login) and where it stands.

    The login itself is a :class:`CustomerAccount` whose ``login`` is the identifier, which holds the email and
    the password and stays inactive until the email is confirmed; its unique login is what stops a second
    registration with the same identifier. The row is never deleted: a registration removed for not being
    confirmed, or closed because the consent was withdrawn, loses its name and its account's personal data and
    keeps its identifier, states and consent records as evidence.
    """

    __tablename__ = "self_registration"
    __table_args__ = (Index("ix_self_registration_state_created_at", "state", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Empty once the registration is removed or closed: the identifier is then free for a new registration.
    account_id: Mapped[int | None] = mapped_column(ForeignKey("customer_account.id"), index=True, default=None)
    kind: Mapped[PersonKind] = mapped_column(enum_column(PersonKind))
    # SNILS, OGRNIP or OGRN as digits only (the login of the account).
    identifier: Mapped[str] = mapped_column(String(15), index=True)
    # "Organization / full name": the person's full name, or the company's name.
    name: Mapped[str] = mapped_column(String(300), default="")
    # The name case-folded, kept by the model itself: staff search it case-insensitively on every backend
    # (SQLite's lower() folds only ASCII letters, and these names are Cyrillic).
    name_key: Mapped[str] = mapped_column(String(300), default="")
    # Language of the letters: the one the registration was made in.
    language: Mapped[str] = mapped_column(String(2), default="ru")
    state: Mapped[SelfRegistrationState] = mapped_column(
        enum_column(SelfRegistrationState), default=SelfRegistrationState.PENDING_CONFIRMATION
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # When the one reminder to confirm was written (the scheduler writes it once).
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # When the name (and the account with its email) went: removed for not being confirmed, or consent withdrawn.
    personal_data_removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Optimistic locking: every change bumps it, and a change made from a stale copy is refused.
    version: Mapped[int] = mapped_column(default=1)

    account: Mapped[CustomerAccount | None] = relationship()
    consents: Mapped[list[ConsentRecord]] = relationship(
        back_populates="registration", order_by="ConsentRecord.id"
    )

    __mapper_args__: dict[str, Any] = {"version_id_col": version}

    @validates("name")
    def _fold_name(self, _key: str, value: str) -> str:
        self.name_key = fold(value)
        return value

    @property
    def email(self) -> str:
        """The account's email, the one place it is kept (the customer may change it in the cabinet)."""
        return self.account.email if self.account is not None else ""


class ConsentRecord(Base):
    """Evidence of one consent to the processing and storage of personal data: what, when, from where, how.

    A new row for every acceptance (at registration, and again whenever the text changed); withdrawal is written
    onto the rows it ends. Rows are never deleted or blanked, whatever happens to the account.
    """

    __tablename__ = "consent_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("self_registration.id"), index=True)
    # The version of the consent text (backoffice/selfreg/consent/v<N>.<lang>.md) and the language shown.
    text_version: Mapped[int] = mapped_column()
    text_language: Mapped[str] = mapped_column(String(2))
    # SHA-256 of the exact text shown, so the evidence holds even if a file were edited in place.
    text_sha256: Mapped[str] = mapped_column(String(64))
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The client's IP address as the web server saw it.
    accepted_from: Mapped[str] = mapped_column(String(45), default="")
    accepted_user_agent: Mapped[str] = mapped_column(String(300), default="")
    # Which form the consent was given through: "self_registration" or "consent_renewal".
    form: Mapped[str] = mapped_column(String(40))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    withdrawn_from: Mapped[str] = mapped_column(String(45), default="")
    withdrawn_form: Mapped[str] = mapped_column(String(40), default="")

    registration: Mapped[SelfRegistration] = relationship(back_populates="consents")
