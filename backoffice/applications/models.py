from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Index, String, Text, false, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backoffice.contracts.models import CommercialOffer, Contract
from backoffice.database import Base
from backoffice.types import UTCDateTime, enum_column, utcnow
from backoffice.validation.identifiers import IdentifierKind
from workflows.accession import WAITING_FOR_STAFF, AccessionState

if TYPE_CHECKING:
    from backoffice.staff.models import Operator, ServiceCenter


class Channel(StrEnum):
    EMAIL_SCAN = "email_scan"  # a scan of the paper form, signed and stamped
    EMAIL_QUALIFIED = "email_qualified"  # a document with a qualified electronic signature (КЕП)
    SERVICE_CENTER = "service_center"  # signed by hand in front of an operator


class DocumentKind(StrEnum):
    SCAN = "scan"
    SIGNED_PDF = "signed_pdf"
    DETACHED_SIGNATURE = "detached_signature"
    CONTAINER = "container"
    EMAIL_ORIGINAL = "email_original"
    OTHER = "other"
    # What a signature actually covers (the signed revision of a PDF, the document inside a .p7s), kept as evidence.
    SIGNED_EVIDENCE = "signed_evidence"


#: Kinds that carry a qualified signature, and so go to the verifier.
SIGNED_KINDS = frozenset({DocumentKind.SIGNED_PDF, DocumentKind.DETACHED_SIGNATURE, DocumentKind.CONTAINER})
#: Signed documents the verifier has not checked yet (migration 0024), in the partial index's own words.
UNCHECKED_SIGNED_SQL = text(
    "signature_checked_at IS NULL AND kind IN ("
    + ", ".join(f"'{k.value}'" for k in sorted(SIGNED_KINDS, key=lambda k: k.value))
    + ")"
)


class CallOutcome(StrEnum):
    """What happened on a confirmation call. The operator chooses one; a code word that does not match turns
    "confirmed" or "corrected" into ``CODE_WORD_MISMATCH``, since then nothing was confirmed."""

    CONFIRMED = "confirmed"
    CORRECTED = "corrected"
    CODE_WORD_MISMATCH = "code_word_mismatch"
    NO_ANSWER = "no_answer"
    WRONG_NUMBER = "wrong_number"
    REFUSED = "refused"


class Document(Base):
    """A file that came with an application; the bytes live in storage, addressed by their SHA-256."""

    __tablename__ = "document"

    __table_args__ = (
        # The verifier's next batch (``verification.check_pending``): only the signed documents still unchecked,
        # however many were checked before (migration 0024).
        Index("ix_document_signature_unchecked", "id",
              postgresql_where=UNCHECKED_SIGNED_SQL, sqlite_where=UNCHECKED_SIGNED_SQL),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(enum_column(DocumentKind))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100), default="application/octet-stream")
    size: Mapped[int] = mapped_column(default=0)
    sha256: Mapped[str] = mapped_column(String(64))
    # Path relative to the documents folder of the settings.
    # Indexed (migration 0023): retention asks whether another application keeps the same stored file.
    storage_path: Mapped[str] = mapped_column(String(500), index=True)
    # When the verifier first checked it (a signed kind); None until then. Its checks are ``SignatureCheck`` rows.
    signature_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The archive or forwarded message it came out of ("docs.zip"); "" for a file attached to the email itself.
    origin: Mapped[str] = mapped_column(String(255), default="", server_default="")

    application: Mapped[Application] = relationship(back_populates="documents")
    #: The verifier's reports on this file, oldest first (``backoffice.documents.verification`` writes them).
    checks: Mapped[list[SignatureCheck]] = relationship(
        viewonly=True, order_by="SignatureCheck.id", lazy="selectin"
    )


#: The states that wait for staff, written out as SQL constants: a partial index is used only when the query's
#: condition is literally the index's, so the queue writes the same words (``WAITING_SQL`` in both places).
WAITING_SQL = text("state IN (" + ", ".join(f"'{s.value}'" for s in sorted(WAITING_FOR_STAFF)) + ")")
UNASSIGNED_WAITING_SQL = text(f"{WAITING_SQL.text} AND assignee_id IS NULL")
#: Retention's due rows (migration 0022): closed, personal data still kept.
KEPT_CLOSED_SQL = text("personal_data_removed_at IS NULL AND state IN ('rejected', 'withdrawn')")


class SignatureCheck(Base):
    """One run of the signature verifier over a document, kept whole so the operator sees why.

    A document may be checked again (new trust roots, a revocation list that was missing): each run is a row,
    the newest one counts.
    """

    __tablename__ = "signature_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), index=True)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # ETSI EN 319 102-1 main indication: TOTAL_PASSED, TOTAL_FAILED or INDETERMINATE.
    indication: Mapped[str] = mapped_column(String(40))
    sub_indication: Mapped[str | None] = mapped_column(String(80), default=None)
    # Whether the signed bytes are unchanged (intact / broken / unknown); None when no signature was found.
    integrity: Mapped[str | None] = mapped_column(String(20), default=None)
    # The verifier's report as JSON (docs/signatures.md); without the verifier only what was detected.
    report: Mapped[dict[str, Any]] = mapped_column(default=dict)

    document: Mapped[Document] = relationship()


class Application(Base):
    """The whole case of one accession application, from arrival to the customer's login."""

    __tablename__ = "application"
    __table_args__ = (
        Index("ix_application_state_received_at", "state", "received_at"),
        Index("ix_application_center_id_state", "center_id", "state"),
        # The work queue's keyset pages (backoffice/admin/queue.py): one ordered index per sort order.
        Index("ix_application_due_at_id", "due_at", "id"),
        Index("ix_application_received_at_id", "received_at", "id"),
        Index("ix_application_state_due_at_id", "state", "due_at", "id"),
        # "My work" (migration 0008): small partial indexes over the applications that wait for staff, so the
        # default page reads its fifty rows instead of sorting every waiting application of a center.
        Index("ix_application_waiting_assignee", "assignee_id", "due_at", "id",
              postgresql_where=WAITING_SQL, sqlite_where=WAITING_SQL),
        Index("ix_application_waiting_unassigned_center", "center_id", "due_at", "id",
              postgresql_where=UNASSIGNED_WAITING_SQL, sqlite_where=UNASSIGNED_WAITING_SQL),
        Index("ix_application_waiting_unassigned", "due_at", "id",
              postgresql_where=UNASSIGNED_WAITING_SQL, sqlite_where=UNASSIGNED_WAITING_SQL),
        # Retention's claim (migration 0022): the closed applications whose personal data is still kept, by id.
        Index("ix_application_retention_due", "id", postgresql_where=KEPT_CLOSED_SQL, sqlite_where=KEPT_CLOSED_SQL),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The number customers and staff quote: year and sequence, e.g. 2026-000042.
    number: Mapped[str | None] = mapped_column(String(20), unique=True, default=None)
    channel: Mapped[Channel] = mapped_column(enum_column(Channel))
    commercial_offer: Mapped[CommercialOffer | None] = mapped_column(
        enum_column(CommercialOffer), default=None
    )
    consumer_name: Mapped[str] = mapped_column(String(300), default="")
    # EDRPOU (8 digits) for a company, RNOKPP (10 digits) for a natural person.
    identifier: Mapped[str] = mapped_column(String(10), default="", index=True)
    identifier_kind: Mapped[IdentifierKind | None] = mapped_column(enum_column(IdentifierKind), default=None)
    email: Mapped[str] = mapped_column(String(254), default="")
    # The email was taken from the sender's address (the form gave none): the page marks it for the call.
    email_from_envelope: Mapped[bool] = mapped_column(default=False, server_default=false())
    # E.164 numbers, first one preferred.
    phones: Mapped[list[str]] = mapped_column(default=list)
    # Salted HMAC under the code key of the normalised code word (``passwords.hash_code_word``; an argon2id hash
    # when stored before 7 Dec 2026); staff check what a caller says against it, never read it.
    code_word_hash: Mapped[str] = mapped_column(String(200), default="")
    # Whether the code word is as long as a password may be: only then can a password equal it, so only then does
    # a code word still kept as argon2id cost choosing a password a second slow hash. One bit, never the word.
    code_word_long: Mapped[bool] = mapped_column(default=False)
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    # Language of the letters: the one the application was made in.
    language: Mapped[str] = mapped_column(String(2), default="uk")
    state: Mapped[AccessionState] = mapped_column(
        enum_column(AccessionState), default=AccessionState.RECEIVED
    )
    center_id: Mapped[int | None] = mapped_column(ForeignKey("service_center.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("operator.id"), index=True)
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contract.id"), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When the application, waiting for staff, becomes overdue.
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # When an unanswered confirmation call should be tried again.
    next_call_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    call_attempts: Mapped[int] = mapped_column(default=0)
    # When retention removed the personal data (rejected and withdrawn applications, after the set period).
    personal_data_removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Optimistic locking: every change bumps it, and a change made from a stale copy is refused.
    version: Mapped[int] = mapped_column(default=1)

    center: Mapped[ServiceCenter | None] = relationship(back_populates="applications")
    assignee: Mapped[Operator | None] = relationship()
    contract: Mapped[Contract | None] = relationship()
    documents: Mapped[list[Document]] = relationship(
        back_populates="application", order_by="Document.id", cascade="all, delete-orphan"
    )
    calls: Mapped[list[ConfirmationCall]] = relationship(
        back_populates="application", order_by="ConfirmationCall.id", cascade="all, delete-orphan"
    )
    codes: Mapped[list[RegistrationCode]] = relationship(
        back_populates="application", order_by="RegistrationCode.id", cascade="all, delete-orphan"
    )

    __mapper_args__: dict[str, Any] = {"version_id_col": version}

    @property
    def document_count(self) -> int:
        return len(self.documents)

    @property
    def signature_verdict(self) -> str | None:
        """The verifier's word on the application's signed files, for the workflow's guards.

        None when there is no signed file; ``"pending"`` while one of them has no report yet; ``"passed"`` only
        when the latest report of every signed file is TOTAL_PASSED with its content intact; ``"not_passed"``
        otherwise. One bad file is enough: a forged signature beside a good one is never a pass.
        """
        signed = [d for d in self.documents if d.kind in SIGNED_KINDS]
        if not signed:
            return None
        if any(not d.checks for d in signed):
            return "pending"
        latest = [d.checks[-1] for d in signed]
        ok = all(c.indication == "TOTAL_PASSED" and c.integrity == "intact" for c in latest)
        return "passed" if ok else "not_passed"

    def __str__(self) -> str:
        return self.number or f"#{self.id}"


#: Routing by the sender (``routing.center_for``, migration 0023): the newest earlier application from an address,
#: found by its lower-cased email instead of by reading every application.
Index("ix_application_email_lower_id", func.lower(Application.email), Application.id)


class ConfirmationCall(Base):
    """One phone call in which staff confirm the registration data with the customer."""

    __tablename__ = "confirmation_call"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operator.id"))
    called_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    phone: Mapped[str] = mapped_column(String(32), default="")
    outcome: Mapped[CallOutcome] = mapped_column(enum_column(CallOutcome))
    # Whether what the caller said matched the stored code word; None when it was not asked.
    code_word_matched: Mapped[bool | None] = mapped_column(default=None)
    note: Mapped[str] = mapped_column(Text, default="")

    application: Mapped[Application] = relationship(back_populates="calls")
    operator: Mapped[Operator | None] = relationship()

    @property
    def what_happened(self) -> CallOutcome:
        """The outcome as it really was: calls recorded before mismatches had their own outcome kept the
        operator's "confirmed" beside ``code_word_matched = False``, and must not read as confirmed."""
        confirming = self.outcome in {CallOutcome.CONFIRMED, CallOutcome.CORRECTED}
        if confirming and self.code_word_matched is not True:
            return CallOutcome.CODE_WORD_MISMATCH
        return self.outcome


class RegistrationCode(Base):
    """The code the customer types to create a login: single use, expiring, stored only as a keyed hash."""

    __tablename__ = "registration_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    # Random; the code is derived from it with the secret key, so the code itself is never stored.
    nonce: Mapped[str] = mapped_column(String(32))
    # HMAC-SHA256 of the code under the secret key: fast to check, useless without the key.
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("operator.id"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Set when a newer code replaced this one.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    failed_attempts: Mapped[int] = mapped_column(default=0)

    application: Mapped[Application] = relationship(back_populates="codes")


class RoutingRule(Base):
    """A supervisor's rule: applications emailed from ``sender`` (an address, or ``@domain`` for all of a domain)
    go to a center, for senders the contract registry does not know (``applications.routing``)."""

    __tablename__ = "routing_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    sender: Mapped[str] = mapped_column(String(254), unique=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("service_center.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    center: Mapped[ServiceCenter] = relationship()
