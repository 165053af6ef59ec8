"""Every model of the product, imported in one place so metadata (and Alembic) sees all tables."""

from backoffice.applications.models import (
    Application,
    CallOutcome,
    Channel,
    ConfirmationCall,
    Document,
    DocumentKind,
    RegistrationCode,
    RoutingRule,
    SignatureCheck,
)
from backoffice.audit.models import AuditEvent
from backoffice.contracts.models import CommercialOffer, Contract
from backoffice.customers.models import CustomerAccount, CustomerToken
from backoffice.database import Base
from backoffice.documents.models import StoredChunk, StoredFile
from backoffice.intake.models import IncomingMessage, MessageStatus
from backoffice.letters.models import OutboxMessage, OutboxStatus
from backoffice.meters.models import Meter, MeterReading
from backoffice.monitoring.models import Heartbeat
from backoffice.requests.models import CustomerRequest, RequestAttachment, RequestMessage
from backoffice.selfreg.models import ConsentRecord, OwnershipClaim, PersonKind, SelfRegistration
from backoffice.staff.models import Operator, ServiceCenter
from backoffice.validation.identifiers import IdentifierKind

__all__ = [
    "Application",
    "AuditEvent",
    "Base",
    "CallOutcome",
    "Channel",
    "CommercialOffer",
    "ConfirmationCall",
    "ConsentRecord",
    "Contract",
    "CustomerAccount",
    "CustomerRequest",
    "CustomerToken",
    "Document",
    "DocumentKind",
    "Heartbeat",
    "IdentifierKind",
    "IncomingMessage",
    "MessageStatus",
    "Meter",
    "MeterReading",
    "Operator",
    "OutboxMessage",
    "OutboxStatus",
    "OwnershipClaim",
    "PersonKind",
    "RegistrationCode",
    "RequestAttachment",
    "RequestMessage",
    "RoutingRule",
    "SelfRegistration",
    "ServiceCenter",
    "SignatureCheck",
    "StoredChunk",
    "StoredFile",
]
