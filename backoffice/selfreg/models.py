"""Flow B rows: the self-registration beside its customer account, the consent given through it, and the claims
of people who say an identifier registered by someone else is theirs."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from backoffice.database import Base
from backoffice.types import UTCDateTime, enum_column, utcnow
from workflows.ownership_claim import ClaimState
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
    __table_args__ = (
        Index("ix_self_registration_state_created_at", "state", "created_at"),
        # The staff list's default page, newest first, whatever the state (migration 0023).
        Index("ix_self_registration_created_at_id", "created_at", "id"),
    )

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
    #: Ownership claims against this registration's identifier, filed while it held it.
    claims: Mapped[list[OwnershipClaim]] = relationship(
        back_populates="holder", foreign_keys="OwnershipClaim.holder_id", order_by="OwnershipClaim.id"
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

    @property
    def identifier_given_away(self) -> bool:
        """An ownership check gave the identifier to someone else: this account stays blocked for good."""
        return any(claim.state == ClaimState.GRANTED for claim in self.claims)


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


class OwnershipClaim(Base):
    """A newcomer's request to check who owns an identifier that someone else registered first.

    Filed from the page that refused their registration (so it reveals nothing the refusal did not), with what
    the newcomer can show: the contract or personal account number on the supplier's record, or a signed request
    they will send. A supervisor compares it with the holder's registration and decides
    (``workflows.ownership_claim``). When the claimant wins, ``invitation_hash`` is the hash of the one-time link
    in their letter: registering through it releases the identifier from the blocked holder (``released_at``).
    """

    __tablename__ = "ownership_claim"
    __table_args__ = (Index("ix_ownership_claim_state_created_at", "state", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    identifier: Mapped[str] = mapped_column(String(15), index=True)
    kind: Mapped[PersonKind] = mapped_column(enum_column(PersonKind))
    # The registration that held the identifier when the claim was filed.
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("self_registration.id"), index=True, default=None)
    name: Mapped[str] = mapped_column(String(300), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    # The evidence: numbers on the supplier's record, a signed request promised, anything else in the note.
    contract_number: Mapped[str] = mapped_column(String(64), default="")
    account_number: Mapped[str] = mapped_column(String(64), default="")
    signed_request: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    # Language of the letters: the one the claim was filed in.
    language: Mapped[str] = mapped_column(String(2), default="ru")
    filed_from: Mapped[str] = mapped_column(String(45), default="")
    filed_user_agent: Mapped[str] = mapped_column(String(300), default="")
    state: Mapped[ClaimState] = mapped_column(enum_column(ClaimState), default=ClaimState.OPEN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    invitation_hash: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    # When the claimant registered through the invitation and the holder's account let go of the identifier.
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # The claimant's own registration, made through the invitation.
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("self_registration.id"), default=None)
    version: Mapped[int] = mapped_column(default=1)

    holder: Mapped[SelfRegistration | None] = relationship(back_populates="claims", foreign_keys=[holder_id])
    registration: Mapped[SelfRegistration | None] = relationship(foreign_keys=[registration_id])

    __mapper_args__: dict[str, Any] = {"version_id_col": version}

    @property
    def holder_awaits_confirmation(self) -> bool:
        """The holder has not confirmed its email yet: Flow B does not block such a registration."""
        return self.holder is not None and self.holder.state == SelfRegistrationState.PENDING_CONFIRMATION
