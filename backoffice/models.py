"""Every model of the product, imported in one place so metadata (and Alembic) sees all tables."""

from backoffice.applications.models import (
    Application,
    CallOutcome,
    Channel,
    ConfirmationCall,
    Document,
    DocumentKind,
    RegistrationCode,
)
from backoffice.audit.models import AuditEvent
from backoffice.contracts.models import CommercialOffer, Contract, IdentifierKind
from backoffice.customers.models import CustomerAccount
from backoffice.database import Base
from backoffice.letters.models import OutboxMessage, OutboxStatus
from backoffice.staff.models import Operator, ServiceCenter

__all__ = [
    "Application",
    "AuditEvent",
    "Base",
    "CallOutcome",
    "Channel",
    "CommercialOffer",
    "ConfirmationCall",
    "Contract",
    "CustomerAccount",
    "Document",
    "DocumentKind",
    "IdentifierKind",
    "Operator",
    "OutboxMessage",
    "OutboxStatus",
    "RegistrationCode",
    "ServiceCenter",
]
