"""The verification report: frozen dataclasses and their stable JSON form.

Why frozen dataclasses: the report is evidence.  Intake stores it and the back
office shows it; nothing downstream may "fix up" a verdict in place.  The JSON
form (``to_json``) is a documented contract (docs/signatures.md); field names
and enum values only ever get added, never renamed.  The signed bytes travel on
the objects (``signed_files`` / ``FileReport.evidence``) but never in the JSON,
because the caller stores them separately as the document the operator sees.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from signatures.messages import message_for

SCHEMA_VERSION = 1


class Indication(enum.StrEnum):
    """ETSI EN 319 102-1 main status indication."""

    TOTAL_PASSED = "TOTAL_PASSED"
    TOTAL_FAILED = "TOTAL_FAILED"
    INDETERMINATE = "INDETERMINATE"


class Integrity(enum.StrEnum):
    """Whether the bytes the signer signed are the bytes we hold.

    Kept apart from the indication because trust and integrity fail for
    different reasons and the operator acts differently: an untrusted but
    ``intact`` document is a paperwork problem, a ``modified`` one is fraud or a
    broken workflow.
    """

    INTACT = "intact"
    UNKNOWN = "unknown"
    """Not established: the digest or the signature value could not be
    recomputed (an algorithm or format we do not verify, an error before the
    check).  Never reported as ``intact``: an unchecked signature proves
    nothing about the bytes."""
    MODIFIED = "modified"
    BROKEN = "broken"


class SignerMatch(enum.StrEnum):
    """How the signer relates to the application and the supply contract."""

    MATCH = "match"
    EDRPOU_MISMATCH = "edrpou_mismatch"
    SIGNATORY_MISMATCH = "signatory_mismatch"
    SEAL = "seal"
    UNKNOWN = "unknown"  # certificate carries no usable identifiers
    NOT_CHECKED = "not_checked"  # caller gave no ExpectedSigner


# Ordering used to pick the worst outcome when aggregating signatures.
_INDICATION_RANK = {
    Indication.TOTAL_PASSED: 0,
    Indication.INDETERMINATE: 1,
    Indication.TOTAL_FAILED: 2,
}
_INTEGRITY_RANK = {Integrity.INTACT: 0, Integrity.UNKNOWN: 1, Integrity.MODIFIED: 2, Integrity.BROKEN: 3}


def indication_rank(value: Indication) -> int:
    """Severity of an indication (higher is worse)."""
    return _INDICATION_RANK[value]


def integrity_rank(value: Integrity) -> int:
    """Severity of an integrity value (higher is worse)."""
    return _INTEGRITY_RANK[value]


@dataclass(frozen=True)
class SignedFile:
    """Bytes covered by a signature, as they should be stored and shown.

    For PAdES this is the signed revision cut at the signature's byte range,
    not the file as received: later (even benign) revisions are not what the
    signer saw.
    """

    name: str
    data: bytes = field(repr=False)
    media_type: str | None = None


@dataclass(frozen=True)
class SignerIdentity:
    """Who the signer's certificate says they are (claimed, not proven).

    Filled even when the signature cannot be verified (for example DSTU 4145),
    so that an operator checking by hand knows whom to look for.
    """

    name: str | None
    surname: str | None
    given_name: str | None
    title: str | None
    organization: str | None
    tax_number: str | None
    edrpou: str | None
    qualified: bool
    is_seal: bool
    certificate_serial: str
    certificate_issuer: str
    certificate_subject: str
    valid_from: datetime | None
    valid_to: datetime | None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True)
class SignatureReport:
    """Outcome for one signature (or one document timestamp)."""

    format: str
    kind: str  # "signature" or "document_timestamp"
    field_name: str | None
    indication: Indication
    sub_indication: str | None
    integrity: Integrity
    message_code: str
    details: str | None = None
    signer: SignerIdentity | None = None
    signer_match: SignerMatch = SignerMatch.NOT_CHECKED
    algorithm: str | None = None
    level: str | None = None
    signing_time: datetime | None = None
    timestamp_time: datetime | None = None
    validated_at: datetime | None = None
    """Set when the certificate path was validated in the past, at the time a
    trusted timestamp proves the signature existed (past signature
    validation); None when it was validated at the validation time."""
    coverage: str | None = None
    modification_level: str | None = None
    signed_files: tuple[SignedFile, ...] = field(default=(), repr=False)

    @property
    def message(self) -> str:
        """Ukrainian sentence for the operator."""
        return message_for(self.message_code)

    @property
    def best_signing_time(self) -> datetime | None:
        """The earliest trusted proof of existence (signature timestamp, or the
        document timestamp past validation relied on); failing that, the time
        the signer's software claimed."""
        proven = [t for t in (self.timestamp_time, self.validated_at) if t is not None]
        return min(proven) if proven else self.signing_time

    @property
    def passed(self) -> bool:
        """True only for TOTAL_PASSED with intact integrity."""
        return self.indication is Indication.TOTAL_PASSED and self.integrity is Integrity.INTACT

    def to_json(self) -> dict[str, Any]:
        """Stable JSON dict (see docs/signatures.md); no document bytes."""
        signer = self.signer
        return {
            "kind": self.kind,
            "field_name": self.field_name,
            "format": self.format,
            "level": self.level,
            "indication": self.indication.value,
            "sub_indication": self.sub_indication,
            "integrity": self.integrity.value,
            "message_code": self.message_code,
            "message": self.message,
            "details": self.details,
            "name": signer.name if signer else None,
            "tax_number": signer.tax_number if signer else None,
            "edrpou": signer.edrpou if signer else None,
            "organization": signer.organization if signer else None,
            "title": signer.title if signer else None,
            "qualified": signer.qualified if signer else None,
            "is_seal": signer.is_seal if signer else None,
            "certificate_serial": signer.certificate_serial if signer else None,
            "certificate_issuer": signer.certificate_issuer if signer else None,
            "certificate_subject": signer.certificate_subject if signer else None,
            "certificate_valid_from": _iso(signer.valid_from) if signer else None,
            "certificate_valid_to": _iso(signer.valid_to) if signer else None,
            "signer_match": self.signer_match.value,
            "signing_time": _iso(self.signing_time),
            "timestamp_time": _iso(self.timestamp_time),
            "best_signing_time": _iso(self.best_signing_time),
            "validated_at": _iso(self.validated_at),
            "algorithm": self.algorithm,
            "coverage": self.coverage,
            "modification_level": self.modification_level,
            "signed_files": [
                {"name": f.name, "size": len(f.data), "media_type": f.media_type} for f in self.signed_files
            ],
        }


@dataclass(frozen=True)
class FileReport:
    """Outcome for a whole received file, with one entry per signature."""

    filename: str | None
    size: int
    sha256: str
    format: str
    indication: Indication
    sub_indication: str | None
    integrity: Integrity | None  # None only when there is no signature at all
    message_code: str
    signatures: tuple[SignatureReport, ...]
    manual_review: bool
    signer_match: SignerMatch = SignerMatch.NOT_CHECKED
    details: str | None = None
    evidence: tuple[SignedFile, ...] = field(default=(), repr=False)
    """What the operator should see and intake should store as signed evidence."""

    @property
    def message(self) -> str:
        """Ukrainian sentence for the operator."""
        return message_for(self.message_code)

    @property
    def has_signature(self) -> bool:
        """True when at least one signature (not just a timestamp) was found."""
        return any(s.kind == "signature" for s in self.signatures)

    @property
    def passed(self) -> bool:
        """True only when the whole file is TOTAL_PASSED and intact."""
        return self.indication is Indication.TOTAL_PASSED and self.integrity is Integrity.INTACT

    def to_json(self) -> dict[str, Any]:
        """Stable JSON dict (see docs/signatures.md); no document bytes."""
        return {
            "schema_version": SCHEMA_VERSION,
            "filename": self.filename,
            "size": self.size,
            "sha256": self.sha256,
            "format": self.format,
            "indication": self.indication.value,
            "sub_indication": self.sub_indication,
            "integrity": self.integrity.value if self.integrity else None,
            "message_code": self.message_code,
            "message": self.message,
            "details": self.details,
            "manual_review": self.manual_review,
            "signer_match": self.signer_match.value,
            "signature_count": sum(1 for s in self.signatures if s.kind == "signature"),
            "signatures": [s.to_json() for s in self.signatures],
            "evidence": [{"name": f.name, "size": len(f.data), "media_type": f.media_type} for f in self.evidence],
        }
