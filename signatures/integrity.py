"""The never-a-false-pass policy layer on top of pyhanko's statuses.

Why this exists: pyhanko's ``bottom_line`` answers "is this signature valid
under the document's own modification policy".  That policy lets a signer
allow form filling and annotations afterwards, and pyhanko reports rather than
judges coverage.  For accepting a supply application we need a stricter rule:
the operator must see exactly what was signed.  So, in this module and nowhere
else, the verdict is decided from explicit fields:

* hash mismatch / bad signature value               -> TOTAL_FAILED, broken
* coverage short of the signed revision             -> TOTAL_FAILED, modified/broken
* later revisions beyond timestamps & validation data (LTA updates) and
  beyond the signature fields of later signers     -> TOTAL_FAILED, modified
* bytes after the last revision                      -> TOTAL_FAILED, modified
* any trust problem pyhanko reports (chain, revocation, expiry, timestamp)
                                                     -> INDETERMINATE/FAILED
* any exception                                      -> INDETERMINATE
* TOTAL_PASSED only when every check above is explicitly clean.

"Modified" maps to FORMAT_FAILURE, the sub-indication ETSI EN 319 102-1 gives
the format-checking building block (where PDF modification checks live).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pyhanko.sign.ades.report import AdESFailure
from pyhanko.sign.diff_analysis import DiffResult, ModificationLevel, SuspiciousModification
from pyhanko.sign.validation.status import (
    ModificationInfo,
    SignatureCoverageLevel,
    SignatureStatus,
    StandardCMSSignatureStatus,
)

from signatures.report import (
    Indication,
    Integrity,
    SignatureReport,
    SignerMatch,
    indication_rank,
    integrity_rank,
)


@dataclass(frozen=True)
class Verdict:
    """An indication with its reason; the unit this module reasons in."""

    indication: Indication
    sub_indication: str | None
    integrity: Integrity
    message_code: str
    details: str | None = None

    def report(self, fmt: str, kind: str, field_name: str | None, **more: Any) -> SignatureReport:
        """One signature's report with this verdict as its outcome; ``more`` fills the report's other fields."""
        return SignatureReport(
            format=fmt,
            kind=kind,
            field_name=field_name,
            indication=self.indication,
            sub_indication=self.sub_indication,
            integrity=self.integrity,
            message_code=self.message_code,
            details=self.details,
            **more,
        )


def indic_name(indic: object) -> str:
    """ETSI name of a pyhanko AdES sub-indication (typed as a bare mixin)."""
    return str(getattr(indic, "name", indic))


PASSED = Verdict(Indication.TOTAL_PASSED, None, Integrity.INTACT, "PASSED")

_TRUST_CODES: dict[str, str] = {
    "NO_CERTIFICATE_CHAIN_FOUND": "NO_CHAIN",
    "NO_SIGNING_CERTIFICATE_FOUND": "SIGNING_CERTIFICATE_NOT_FOUND",
    "REVOKED": "REVOKED",
    "REVOKED_NO_POE": "REVOKED_NO_POE",
    "REVOKED_CA_NO_POE": "REVOKED_NO_POE",
    "OUT_OF_BOUNDS_NO_POE": "EXPIRED",
    "OUT_OF_BOUNDS_NOT_REVOKED": "EXPIRED",
    "EXPIRED": "EXPIRED",
    "NOT_YET_VALID": "NOT_YET_VALID",
    "TRY_LATER": "REVOCATION_UNKNOWN",
    "REVOCATION_OUT_OF_BOUNDS_NO_POE": "REVOCATION_UNKNOWN",
    "CHAIN_CONSTRAINTS_FAILURE": "CHAIN_CONSTRAINTS",
    "CERTIFICATE_CHAIN_GENERAL_FAILURE": "CHAIN_CONSTRAINTS",
    "CRYPTO_CONSTRAINTS_FAILURE": "CRYPTO_CONSTRAINTS",
    "CRYPTO_CONSTRAINTS_FAILURE_NO_POE": "CRYPTO_CONSTRAINTS",
    "SIG_CONSTRAINTS_FAILURE": "SEED_VALUE_VIOLATION",
    "HASH_FAILURE": "HASH_MISMATCH",
    "SIG_CRYPTO_FAILURE": "SIGNATURE_CRYPTO_INVALID",
}


def trust_code(sub_indication: str) -> str:
    """The message code for an ETSI sub-indication of a trust problem."""
    return _TRUST_CODES.get(sub_indication, "VALIDATION_ERROR")


BENIGN_LEVELS = (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES)


def _trusted_ts_time(status: StandardCMSSignatureStatus) -> datetime | None:
    ts = status.timestamp_validity
    if ts is not None and ts.intact and ts.valid and ts.trusted:
        return ts.timestamp
    return None


def _timestamp_broken(ts: SignatureStatus | None, label: str) -> Verdict | None:
    """A timestamp token that does not match the signature (or whose own
    signature is bad) breaks integrity, whatever the trust setup says."""
    if ts is None or (ts.intact and ts.valid):
        return None
    return Verdict(
        Indication.TOTAL_FAILED,
        "HASH_FAILURE" if not ts.intact else "SIG_CRYPTO_FAILURE",
        Integrity.BROKEN,
        "TIMESTAMP_INVALID",
        f"{label} token does not match the signature",
    )


def untrusted_timestamp(ts: SignatureStatus, details: str | None = None) -> Verdict:
    """A timestamp whose authority the trust roots do not reach: INDETERMINATE, the content itself intact.

    One verdict for a signature's own timestamps and for a PDF's document timestamps alike.
    """
    indic = ts.trust_problem_indic
    return Verdict(
        Indication.INDETERMINATE,
        indic_name(indic) if indic is not None else "NO_CERTIFICATE_CHAIN_FOUND",
        Integrity.INTACT,
        "TIMESTAMP_INVALID",
        details,
    )


def _timestamp_untrusted(ts: SignatureStatus | None, label: str) -> Verdict | None:
    if ts is None or ts.trusted:
        return None
    return untrusted_timestamp(ts, f"{label} authority is not trusted")


def _timestamps(status: StandardCMSSignatureStatus) -> tuple[tuple[SignatureStatus | None, str], ...]:
    return (
        (status.timestamp_validity, "signature timestamp"),
        (status.content_timestamp_validity, "content timestamp"),
    )


def trust_verdict(status: StandardCMSSignatureStatus, *, chain_problem: str | None = None) -> Verdict:
    """Verdict from the cryptographic and trust fields of a CMS status.

    ``chain_problem`` refines pyhanko's catch-all CERTIFICATE_CHAIN_GENERAL_
    FAILURE when the caller diagnosed it (e.g. missing revocation data gives
    TRY_LATER, which tells the operator to retry rather than to reject).

    Order matters: every check of the bytes (the signature's hash and value,
    then its timestamps' match) comes before any trust question, so that
    ``integrity`` does not depend on which trust roots are configured.
    """
    if not status.intact:
        return Verdict(Indication.TOTAL_FAILED, "HASH_FAILURE", Integrity.BROKEN, "HASH_MISMATCH")
    if not status.valid:
        return Verdict(Indication.TOTAL_FAILED, "SIG_CRYPTO_FAILURE", Integrity.BROKEN, "SIGNATURE_CRYPTO_INVALID")
    for ts, label in _timestamps(status):
        broken = _timestamp_broken(ts, label)
        if broken is not None:
            return broken
    indic = status.trust_problem_indic
    if indic is not None:
        name = indic_name(indic)
        if name == "CERTIFICATE_CHAIN_GENERAL_FAILURE" and chain_problem:
            name = chain_problem
        elif name == "CHAIN_CONSTRAINTS_FAILURE" and status.signing_cert.self_signed != "no":
            # certvalidator rejects a self-signed signer as a constraint
            # failure; for the operator it simply has no chain to a provider.
            name = "NO_CERTIFICATE_CHAIN_FOUND"
        indication = Indication.TOTAL_FAILED if isinstance(indic, AdESFailure) else Indication.INDETERMINATE
        revo = status.revocation_details
        if revo is not None and not revo.ca_revoked:
            # ETSI: revoked with proof the signature came later -> FAILED/REVOKED.
            ts_time = _trusted_ts_time(status)
            if ts_time is not None and revo.revocation_date <= ts_time:
                indication, name = Indication.TOTAL_FAILED, "REVOKED"
        return Verdict(
            indication,
            name,
            Integrity.INTACT,
            trust_code(name),
            f"pyhanko trust problem: {indic_name(indic)}",
        )
    if status.validation_path is None:
        return Verdict(Indication.INDETERMINATE, "NO_CERTIFICATE_CHAIN_FOUND", Integrity.INTACT, "NO_CHAIN")
    for ts, label in _timestamps(status):
        problem = _timestamp_untrusted(ts, label)
        if problem is not None:
            return problem
    if not status.bottom_line:  # belt and braces: never pass what pyhanko rejects
        return Verdict(
            Indication.INDETERMINATE, "GENERIC", Integrity.INTACT, "VALIDATION_ERROR", "pyhanko bottom line is false"
        )
    return PASSED


@dataclass(frozen=True)
class PdfIntegrity:
    """Structural integrity of one PDF signature, before trust is considered."""

    integrity: Integrity
    message_code: str | None
    details: str | None
    coverage: str | None
    modification_level: str | None


def pdf_integrity(
    info: ModificationInfo,
    *,
    later_signature_fields: Iterable[str],
    trailing_bytes: bool,
) -> PdfIntegrity:
    """Classify coverage and later revisions of one PAdES signature.

    A later revision is benign when pyhanko rates it LTA_UPDATES or less
    (DSS / document timestamps), or when the only form fields it changed are
    the signature fields of later signatures we also verify.  Everything else —
    form values, annotations, pages, unexplained objects — is ``modified``.
    """
    coverage = info.coverage
    diff = info.diff_result
    cov_name = coverage.name.lower() if coverage is not None else None
    level = info.modification_level
    level_name = level.name.lower() if level is not None else None

    def result(integrity: Integrity, code: str | None, details: str | None = None) -> PdfIntegrity:
        return PdfIntegrity(integrity, code, details, cov_name, level_name)

    if coverage is None or coverage == SignatureCoverageLevel.UNCLEAR:
        return result(Integrity.BROKEN, "PARTIAL_COVERAGE", "byte range is not a standard one")
    if coverage == SignatureCoverageLevel.CONTIGUOUS_BLOCK_FROM_START:
        return result(Integrity.MODIFIED, "PARTIAL_COVERAGE", "signature does not cover its whole revision")
    if trailing_bytes:
        return result(Integrity.MODIFIED, "TRAILING_BYTES", "bytes after the last %%EOF")
    if coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return result(Integrity.INTACT, None)
    # ENTIRE_REVISION: later revisions exist and must all be explained.
    if diff is None:
        return result(Integrity.MODIFIED, "MODIFIED_AFTER_SIGNING", "difference analysis did not run")
    if isinstance(diff, SuspiciousModification):
        return result(Integrity.MODIFIED, "MODIFIED_AFTER_SIGNING", str(diff)[:500])
    if not isinstance(diff, DiffResult):  # pragma: no cover - defensive
        return result(Integrity.MODIFIED, "MODIFIED_AFTER_SIGNING", repr(diff)[:500])
    if info.docmdp_ok is False and diff.modification_level not in BENIGN_LEVELS:
        return result(Integrity.MODIFIED, "MODIFIED_AFTER_SIGNING", "changes exceed the signer's DocMDP permission")
    mod = diff.modification_level
    if mod in BENIGN_LEVELS:
        return result(Integrity.INTACT, None)
    if mod == ModificationLevel.FORM_FILLING:
        unexplained = set(diff.changed_form_fields) - set(later_signature_fields)
        if not unexplained:
            return result(Integrity.INTACT, None)
        return result(Integrity.MODIFIED, "FORM_VALUES_CHANGED", "changed fields: " + ", ".join(sorted(unexplained)))
    if mod == ModificationLevel.ANNOTATIONS:
        return result(Integrity.MODIFIED, "ANNOTATIONS_CHANGED")
    return result(Integrity.MODIFIED, "MODIFIED_AFTER_SIGNING", f"modification level {mod.name}")


#: The structural findings that fail a signature whatever its crypto, with the message code each gives when the
#: structure check named none.
_STRUCTURE_CODES: dict[Integrity, str] = {
    Integrity.BROKEN: "UNREADABLE",
    Integrity.MODIFIED: "MODIFIED_AFTER_SIGNING",
}


def combine(structure: PdfIntegrity | None, crypto: Verdict) -> Verdict:
    """Merge structural integrity and the crypto/trust verdict; worst wins.

    Broken crypto outranks everything; then a modified document (FAILED,
    FORMAT_FAILURE) outranks trust problems, because no certificate can make
    a changed document acceptable.
    """
    if crypto.integrity is Integrity.BROKEN or structure is None:
        return crypto
    fallback = _STRUCTURE_CODES.get(structure.integrity)
    if fallback is None:
        return crypto
    return Verdict(
        Indication.TOTAL_FAILED,
        "FORMAT_FAILURE",
        structure.integrity,
        structure.message_code or fallback,
        structure.details,
    )


def exception_verdict(exc: BaseException, *, integrity: Integrity = Integrity.BROKEN) -> Verdict:
    """Any exception while reading or validating: INDETERMINATE with the reason.

    ``integrity`` is what is known without the failed step: ``broken`` for an
    unreadable structure, ``unknown`` when the crypto check did not finish,
    ``modified`` when the PDF structure already shows a change."""
    code = "UNREADABLE" if integrity is Integrity.BROKEN else "VALIDATION_ERROR"
    return Verdict(
        Indication.INDETERMINATE,
        "FORMAT_FAILURE" if integrity is Integrity.BROKEN else "GENERIC",
        integrity,
        code,
        f"{type(exc).__name__}: {exc}"[:500],
    )


def unsupported_algorithm_verdict(algorithm: str) -> Verdict:
    """An algorithm nobody here verifies: INDETERMINATE, and integrity
    ``unknown`` because neither digest nor signature value was checked."""
    return Verdict(
        Indication.INDETERMINATE,
        "UNSUPPORTED_ALGORITHM",
        Integrity.UNKNOWN,
        "UNSUPPORTED_ALGORITHM",
        f"national algorithm {algorithm} cannot be verified by this system",
    )


@dataclass(frozen=True)
class FileVerdict:
    """Aggregate over all signatures of one file."""

    indication: Indication
    sub_indication: str | None
    integrity: Integrity | None
    message_code: str
    details: str | None
    manual_review: bool
    signer_match: SignerMatch


_MATCH_CODES = {
    SignerMatch.SIGNATORY_MISMATCH: "PASSED_SIGNER_MISMATCH",
    SignerMatch.EDRPOU_MISMATCH: "PASSED_EDRPOU_MISMATCH",
    SignerMatch.SEAL: "PASSED_SEAL",
}


def aggregate(signatures: Iterable[SignatureReport]) -> FileVerdict:
    """The file passes only if every entry passed and is intact.

    The worst indication wins, then the worst integrity.  Signer matching
    never changes the indication; it routes a sound signature by the wrong
    person (or a seal) to manual review with its own sentence.
    """
    entries = list(signatures)
    signers = [s for s in entries if s.kind == "signature"]
    if not signers:
        return FileVerdict(
            Indication.INDETERMINATE, "NO_SIGNATURE", None, "NO_SIGNATURE", None, True, SignerMatch.NOT_CHECKED
        )
    worst = max(entries, key=lambda s: (indication_rank(s.indication), integrity_rank(s.integrity)))
    integrity = max((s.integrity for s in entries), key=integrity_rank)
    matches = [s.signer_match for s in signers]
    if SignerMatch.MATCH in matches:
        match = SignerMatch.MATCH
    elif all(m is SignerMatch.NOT_CHECKED for m in matches):
        match = SignerMatch.NOT_CHECKED
    else:
        # Prefer the most informative problem for the operator.
        order = [SignerMatch.EDRPOU_MISMATCH, SignerMatch.SIGNATORY_MISMATCH, SignerMatch.SEAL, SignerMatch.UNKNOWN]
        match = next((m for m in order if m in matches), SignerMatch.UNKNOWN)
    indication = worst.indication
    if indication is Indication.TOTAL_PASSED and integrity is not Integrity.INTACT:  # pragma: no cover
        indication = Indication.INDETERMINATE
    code = worst.message_code
    if indication is Indication.TOTAL_PASSED and match in _MATCH_CODES:
        code = _MATCH_CODES[match]
    manual = indication is not Indication.TOTAL_PASSED or match not in (SignerMatch.MATCH, SignerMatch.NOT_CHECKED)
    return FileVerdict(indication, worst.sub_indication, integrity, code, worst.details, manual, match)
