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
from workflows.request_states import RequestState

if TYPE_CHECKING:
    from backoffice.customers.models import CustomerAccount
    from backoffice.staff.models import Operator


class RequestKind(StrEnum):
    """What the customer asks for; each kind moves in its workflow (``requests.kinds``)."""

    APPEAL = "appeal"
    COMPLAINT = "complaint"
    INFORMATION = "information"  # a request for information
    DOCUMENT_COPY = "document_copy"  # e-copies of documents: contract, invoices, statements, acts
    CONNECTION_ELECTRICITY = "connection_electricity"
    CONNECTION_WATER = "connection_water"  # water supply and wastewater
    CONNECTION_HEAT = "connection_heat"
    METER_READING_ON_SITE = "meter_reading_on_site"  # «снятие показаний»
    METER_ADMISSION = "meter_admission"  # «допуск в эксплуатацию»
    METER_REPLACEMENT = "meter_replacement"  # «замена ПУ»
    READING_CHECK = "reading_check"  # a reading staff must look at before it counts


class Author(StrEnum):
    CUSTOMER = "customer"
    STAFF = "staff"


class CustomerRequest(Base):
    """What the customer wrote, and where it is in ``workflows.customer_request``."""

    __tablename__ = "customer_request"
    __table_args__ = (
        Index("ix_customer_request_state_created_at", "state", "created_at"),
        Index("ix_customer_request_state_due_at", "state", "due_at"),
        # The staff queue's default page, oldest first, whatever the state (migration 0023).
        Index("ix_customer_request_created_at_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # What the customer and staff call it ("A-000042"); given once the row has its id.
    number: Mapped[str | None] = mapped_column(String(20), unique=True, default=None)
    kind: Mapped[RequestKind] = mapped_column(enum_column(RequestKind))
    account_id: Mapped[int] = mapped_column(ForeignKey("customer_account.id"), index=True)
    # The center of the customer's application; None: unrouted, every operator may take it.
    center_id: Mapped[int | None] = mapped_column(ForeignKey("service_center.id"), index=True, default=None)
    subject: Mapped[str] = mapped_column(String(200))
    state: Mapped[RequestState] = mapped_column(enum_column(RequestState), default=RequestState.RECEIVED)
    #: What the kind's form asked beyond the subject and text (a connection's address and loads, the meter, the
    #: documents wanted), as the form's service checked it; each kind's page shows it with its own labels.
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: The member of staff who took it (claim, or a supervisor's assignment); None: anyone of the center.
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("operator.id"), index=True, default=None)
    #: When the answer is due: the kind's deadline from the settings (``[cabinet]``), counted from arrival.
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    #: When staff were last reminded of the deadline; the scheduler reminds once per request.
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    # Loaded beside the queue's page in one query each, and never joined: the scheduler locks a request FOR
    # UPDATE, which PostgreSQL refuses across the nullable side of an outer join.
    account: Mapped[CustomerAccount] = relationship(lazy="selectin")
    assignee: Mapped[Operator | None] = relationship(lazy="selectin")
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
