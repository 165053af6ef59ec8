"""A customer's request, its thread of messages and the files attached to them.

A request belongs to one customer account and, for center isolation, to the service center of the customer's
application (Flow A); a Flow B account has no application, so its requests are unrouted and every operator
sees them, like unrouted applications. The files are stored like application documents: the bytes in storage
under their SHA-256, the row naming them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backoffice.database import Base
from backoffice.types import UTCDateTime, enum_column, utcnow
from workflows.customer_request import RequestState

if TYPE_CHECKING:
    from backoffice.customers.models import CustomerAccount


class RequestKind(StrEnum):
    APPEAL = "appeal"
    COMPLAINT = "complaint"
    INFORMATION = "information"  # a request for information


class Author(StrEnum):
    CUSTOMER = "customer"
    STAFF = "staff"


class CustomerRequest(Base):
    """What the customer wrote, and where it is in ``workflows.customer_request``."""

    __tablename__ = "customer_request"
    __table_args__ = (Index("ix_customer_request_state_created_at", "state", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # What the customer and staff call it ("A-000042"); given once the row has its id.
    number: Mapped[str | None] = mapped_column(String(20), unique=True, default=None)
    kind: Mapped[RequestKind] = mapped_column(enum_column(RequestKind))
    account_id: Mapped[int] = mapped_column(ForeignKey("customer_account.id"), index=True)
    # The center of the customer's application; None: unrouted, every operator may take it.
    center_id: Mapped[int | None] = mapped_column(ForeignKey("service_center.id"), index=True, default=None)
    subject: Mapped[str] = mapped_column(String(200))
    state: Mapped[RequestState] = mapped_column(enum_column(RequestState), default=RequestState.RECEIVED)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    account: Mapped[CustomerAccount] = relationship()
    messages: Mapped[list[RequestMessage]] = relationship(
        back_populates="request", order_by="RequestMessage.id", lazy="selectin"
    )

    __mapper_args__: dict[str, Any] = {"version_id_col": version}


class RequestMessage(Base):
    """One message of the thread: the customer's first text and replies, the staff's answers and questions."""

    __tablename__ = "customer_request_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("customer_request.id"), index=True)
    author: Mapped[Author] = mapped_column(enum_column(Author))
    # Who of the staff wrote it (the customer is the request's account).
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operator.id"), default=None)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    request: Mapped[CustomerRequest] = relationship(back_populates="messages")
    attachments: Mapped[list[RequestAttachment]] = relationship(order_by="RequestAttachment.id", lazy="selectin")


class RequestAttachment(Base):
    """A file sent with a message; the bytes live in storage, addressed by their SHA-256."""

    __tablename__ = "customer_request_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("customer_request_message.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    # Decided by the content (``documents.classify.sniff``), never by the name or what the browser said.
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    storage_path: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    message: Mapped[RequestMessage] = relationship(back_populates="attachments")
