from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from backoffice.database import Base
from backoffice.types import UTCDateTime, enum_column, utcnow
from backoffice.validation.identifiers import IdentifierKind


class CommercialOffer(StrEnum):
    UNIVERSAL_SERVICE = "universal_service"  # Універсальна послуга
    FREE_PRICE = "free_price"  # Вільна ціна


class Contract(Base):
    """A supply contract the customer already has, as exported by the supplier's billing system."""

    __tablename__ = "contract"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The contract number is the natural key of the supplier's export; re-imports update by it.
    number: Mapped[str] = mapped_column(String(64), unique=True)
    identifier: Mapped[str] = mapped_column(String(10), index=True)
    identifier_kind: Mapped[IdentifierKind] = mapped_column(enum_column(IdentifierKind))
    consumer_name: Mapped[str] = mapped_column(String(300))
    commercial_offer: Mapped[CommercialOffer] = mapped_column(enum_column(CommercialOffer))
    signatory_name: Mapped[str] = mapped_column(String(200), default="")
    # RNOKPP of the person who signed the contract; a qualified signature is matched against it.
    signatory_tax_number: Mapped[str] = mapped_column(String(10), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    # The service center that serves this customer: an emailed application is routed there.
    center_id: Mapped[int | None] = mapped_column(ForeignKey("service_center.id"), index=True, default=None)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


#: Routing by the sender (``routing.center_for``, migration 0023): a contract found by its contact's address.
Index("ix_contract_contact_email_lower_id", func.lower(Contract.contact_email), Contract.id)
