"""A customer's meter and its readings.

A meter belongs to one customer account; it has one to three tariff zones, and each reading is the value of one
zone on one day. A reading counts at once when it follows the last one plausibly; one lower than the last (a
rollover, a replacement the customer declared) or one far beyond the usual consumption waits for staff's check, a
``READING_CHECK`` request (``requests.kinds``), and counts or is refused when staff decide.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import Date, ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backoffice.database import Base
from backoffice.types import UTCDateTime, enum_column, utcnow

if TYPE_CHECKING:
    from backoffice.customers.models import CustomerAccount


class MeterType(StrEnum):
    SINGLE_PHASE = "single_phase"
    THREE_PHASE = "three_phase"


class ReadingStatus(StrEnum):
    COUNTED = "counted"
    AWAITING_CHECK = "awaiting_check"
    REFUSED = "refused"


class ReadingNote(StrEnum):
    """Why a reading lower than the last may still be right, as the customer declared it."""

    ROLLOVER = "rollover"
    REPLACEMENT = "replacement"


class Meter(Base):
    __tablename__ = "meter"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("customer_account.id"), index=True)
    type: Mapped[MeterType] = mapped_column(enum_column(MeterType))
    serial: Mapped[str] = mapped_column(String(40))
    place: Mapped[str] = mapped_column(String(200))
    zones: Mapped[int] = mapped_column(default=1)
    #: Digits before the decimal point: the meter rolls over from 10**digits − 1 to 0.
    digits: Mapped[int] = mapped_column(default=6)
    verified_on: Mapped[date] = mapped_column(Date())
    active: Mapped[bool] = mapped_column(default=True)
    #: The meter that replaced this one, when the customer added it as its replacement.
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("meter.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    account: Mapped[CustomerAccount] = relationship()
    readings: Mapped[list[MeterReading]] = relationship(
        back_populates="meter", order_by="MeterReading.id", lazy="selectin"
    )


class MeterReading(Base):
    __tablename__ = "meter_reading"

    id: Mapped[int] = mapped_column(primary_key=True)
    meter_id: Mapped[int] = mapped_column(ForeignKey("meter.id"), index=True)
    zone: Mapped[int] = mapped_column(default=1)
    value: Mapped[Decimal] = mapped_column(Numeric(14, 3))
    taken_on: Mapped[date] = mapped_column(Date())
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[ReadingStatus] = mapped_column(enum_column(ReadingStatus))
    #: The check staff make of it (``READING_CHECK``); None: it counted at once, or was refused at once.
    request_id: Mapped[int | None] = mapped_column(ForeignKey("customer_request.id"), index=True, default=None)
    note: Mapped[ReadingNote | None] = mapped_column(enum_column(ReadingNote), default=None)

    meter: Mapped[Meter] = relationship(back_populates="readings")
