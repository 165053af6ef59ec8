"""PAdES: every signature field of a PDF, validated and judged.

Why not ``reader.embedded_signatures``: pyhanko's convenience list silently
drops signatures with an unknown ``/SubFilter``.  A signature we cannot read is
still a signature the operator must hear about, so fields are enumerated here
and each becomes a report, supported or not.

The structural judgement (coverage, later revisions) comes from pyhanko's
difference analysis — never skipped — and is classified by
:mod:`signatures.integrity`.  What the operator sees is the signed revision,
cut at the end of the signature's byte range.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from io import BytesIO

from pyhanko.pdf_utils.crypt import AuthStatus
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation.pdf_embedded import (
    EmbeddedPdfSignature,
    async_validate_pdf_signature,
    async_validate_pdf_timestamp,
)
from pyhanko.sign.validation.status import DocumentTimestampStatus, ModificationInfo

from signatures.cms import (
    broken_report,
    national_verdict,
    other_certs,
    signer_context,
)
from signatures.context import Evidence, Session, diagnose_chain, run
from signatures.identity import ExpectedSigner, match_signer
from signatures.integrity import (
    PdfIntegrity,
    Verdict,
    combine,
    exception_verdict,
    indic_name,
    pdf_integrity,
    trust_verdict,
    untrusted_timestamp,
)
from signatures.ltv import (
    PAST_VALIDATION_CANDIDATES,
    PAST_VALIDATION_NOTE,
    cms_evidence,
    earliest_proof,
    pdf_evidence,
    revalidate_in_the_past,
)
from signatures.report import Indication, Integrity, SignatureReport, SignedFile

SUPPORTED_SIG_SUBFILTERS = {"/adbe.pkcs7.detached", "/ETSI.CAdES.detached", "/adbe.pkcs7.sha1"}
SUPPORTED_TS_SUBFILTERS = {"/ETSI.RFC3161"}
_FORMATS = {
    "/ETSI.CAdES.detached": "PAdES",
    "/adbe.pkcs7.detached": "PDF-PKCS7",
    "/adbe.pkcs7.sha1": "PDF-PKCS7-SHA1",
    "/ETSI.RFC3161": "PAdES-DTS",
}
_TRAILING_OK = b" \t\r\n\x00\x0c"


class PdfLimitExceeded(Exception):
    """The PDF exceeds a policy bound (page count)."""


class PdfPasswordRequired(Exception):
    """The PDF is encrypted with a user password we do not have."""


def open_pdf(data: bytes) -> PdfFileReader:
    """A reader for ``data``, decrypted with the empty user password if the
    file is encrypted.

    Why: many tools encrypt a PDF only to set permissions, with an empty
    user password; such a file opens in every viewer without a prompt and
    its signatures are verified like any other.  A real password is
    :class:`PdfPasswordRequired`.
    """
    reader = PdfFileReader(BytesIO(data), strict=False)
    if reader.encrypted and reader.decrypt(b"").status is AuthStatus.FAILED:
        raise PdfPasswordRequired("the PDF is protected by a password")
    return reader


@dataclass(frozen=True)
class PdfOutcome:
    """Reports for every signature field plus file-level findings."""

    reports: tuple[SignatureReport, ...]
    unreachable_signature: bool
    evidence: tuple[SignedFile, ...]


def is_pdf(data: bytes) -> bool:
    """PDF header within the first KiB (what readers accept in practice)."""
    return b"%PDF-" in data[:1024]


def has_trailing_bytes(data: bytes) -> bool:
    """True when something other than whitespace follows the last ``%%EOF``.

    pyhanko rates such bytes as "entire revision" coverage with no later
    revision to analyse, so without this check they would slip through.
    """
    last = data.rfind(b"%%EOF")
    if last < 0:
        return True
    return bool(data[last + len(b"%%EOF") :].strip(_TRAILING_OK))


def _subfilter(sig_obj: object) -> str | None:
    try:
        value = sig_obj.get_object().get("/SubFilter")  # type: ignore[attr-defined]
    except Exception:  # odd objects count as "no subfilter"
        return None
    return str(value) if value is not None else None


def _page_count(reader: PdfFileReader) -> int:
    try:
        return int(reader.root["/Pages"]["/Count"])
    except (KeyError, TypeError, ValueError):
        return 0


def _signed_revision_bytes(data: bytes, emb: EmbeddedPdfSignature) -> bytes | None:
    br = [int(x) for x in emb.byte_range]
    if len(br) != 4 or br[0] != 0:
        return None
    end = br[2] + br[3]
    if end > len(data):
        return None
    return data[:end]


def _byte_range_content(data: bytes, emb: EmbeddedPdfSignature) -> bytes:
    br = [int(x) for x in emb.byte_range]
    return b"".join(data[br[i] : br[i] + br[i + 1]] for i in range(0, len(br), 2))


def verify_pdf(
    data: bytes,
    *,
    session: Session,
    expected: ExpectedSigner | None,
    filename: str,
) -> PdfOutcome:
    """Validate all signatures of a PDF.  Raises only for unreadable files
    (the caller turns that into a broken / INDETERMINATE file report),
    :class:`PdfLimitExceeded` and :class:`PdfPasswordRequired`.

    Document timestamps are validated first: a trusted one over a later
    revision is a proof of existence for the signatures before it (past
    signature validation, :mod:`signatures.ltv`).  Reports keep field order."""
    policy = session.policy
    reader = open_pdf(data)
    pages = _page_count(reader)
    if pages > policy.max_pages:
        raise PdfLimitExceeded(f"{pages} pages > {policy.max_pages}")
    fields = list(enumerate_sig_fields(reader, filled_status=True))
    if not fields:
        return PdfOutcome((), b"/ByteRange" in data, ())
    trailing = has_trailing_bytes(data)

    embedded: list[tuple[str, EmbeddedPdfSignature | None, BaseException | None, str | None]] = []
    for name, sig_obj, field in fields:
        subfilter = _subfilter(sig_obj)
        try:
            embedded.append((name, EmbeddedPdfSignature(reader, field, name), None, subfilter))
        except Exception as exc:
            embedded.append((name, None, exc, subfilter))

    revisions = {name: emb.signed_revision for name, emb, _, _ in embedded if emb is not None}
    document_evidence = pdf_evidence(reader)
    # Document timestamps first (see docstring), then signatures.
    order = sorted(
        range(len(embedded)),
        key=lambda i: 0 if (e := embedded[i][1]) is not None and e.sig_object_type == "/DocTimeStamp" else 1,
    )
    by_index: dict[int, SignatureReport] = {}
    proofs: list[tuple[int, datetime]] = []  # (revision, trusted document timestamp time)
    for i in order:
        name, emb, error, subfilter = embedded[i]
        fmt = _FORMATS.get(subfilter or "", f"PDF:{subfilter}")
        if emb is None:
            by_index[i] = broken_report(fmt, name, error or ValueError("unreadable signature"))
            continue
        later = {n for n, rev in revisions.items() if rev > emb.signed_revision}
        proof_times = tuple(t for rev, t in proofs if rev > emb.signed_revision)
        try:
            report = _verify_one(
                data, emb, name, subfilter, fmt, later, trailing, session, expected, filename,
                document_evidence, proof_times,
            )  # fmt: skip
        except Exception as exc:
            report = broken_report(fmt, name, exc, signer_context(emb.signed_data, session=session).identity)
        by_index[i] = report
        if report.kind == "document_timestamp" and report.passed and report.timestamp_time is not None:
            proofs.append((emb.signed_revision, report.timestamp_time))
    reports = [by_index[i] for i in range(len(embedded))]
    evidence: tuple[SignedFile, ...] = ()
    for report in reversed(reports):
        if report.signed_files and report.integrity is Integrity.INTACT:
            evidence = report.signed_files
            break
    return PdfOutcome(tuple(reports), False, evidence)


def _structure(info: ModificationInfo, later: set[str], trailing: bool) -> PdfIntegrity:
    return pdf_integrity(info, later_signature_fields=later, trailing_bytes=trailing)


def _structural_only(emb: EmbeddedPdfSignature) -> ModificationInfo:
    """Coverage and diff analysis without touching the crypto (for signatures
    whose algorithm or format we cannot verify: their integrity still counts)."""
    coverage = emb.evaluate_signature_coverage()
    emb.coverage = coverage  # type: ignore[assignment]  # pyhanko declares it None-typed
    diff = emb.evaluate_modifications(DEFAULT_DIFF_POLICY)
    return ModificationInfo(coverage=coverage, diff_result=diff)


def _verify_one(
    data: bytes,
    emb: EmbeddedPdfSignature,
    name: str,
    subfilter: str | None,
    fmt: str,
    later: set[str],
    trailing: bool,
    session: Session,
    expected: ExpectedSigner | None,
    filename: str,
    document_evidence: Evidence,
    proof_times: tuple[datetime, ...],
) -> SignatureReport:
    is_timestamp = emb.sig_object_type == "/DocTimeStamp"
    kind = "document_timestamp" if is_timestamp else "signature"
    try:
        embedded_cert = emb.signer_cert  # pyhanko's lookup, cached for its own validation
    except Exception:  # missing signer cert: identity stays unknown
        embedded_cert = None
    ctx = signer_context(emb.signed_data, embedded_cert, session=session)
    policy = session.policy
    revision = _signed_revision_bytes(data, emb)
    signed_files = (SignedFile(filename, revision, "application/pdf"),) if revision is not None else ()
    supported = SUPPORTED_TS_SUBFILTERS if is_timestamp else SUPPORTED_SIG_SUBFILTERS
    algorithm = ctx.algorithm
    signing_time = timestamp_time = proof_time = None
    level: str | None = None

    verdict: Verdict
    structure: PdfIntegrity
    if subfilter not in supported or (algorithm is not None and algorithm.national):
        structure = _structure(_structural_only(emb), later, trailing)
        if subfilter not in supported:
            crypto = Verdict(
                Indication.INDETERMINATE,
                "FORMAT_FAILURE",
                Integrity.UNKNOWN,
                "UNSUPPORTED_SUBFILTER",
                f"SubFilter {subfilter} is not supported",
            )
        else:
            assert algorithm is not None
            outcome = national_verdict(
                emb.signed_data,
                _byte_range_content(data, emb),
                algorithm,
                session=session,
                evidence=document_evidence + cms_evidence(emb.signed_data),
            )
            crypto = outcome.verdict
            signing_time, timestamp_time = outcome.signing_time, outcome.timestamp_time
            proof_time = outcome.validated_at
            level = ("B-T" if timestamp_time else "B-B") if kind == "signature" else None
        verdict = combine(structure, crypto)
    else:
        # pyhanko registers the certificates in the CMS itself; the context
        # adds the document's own validation data (PAdES-LT/LTA).
        evidence = document_evidence + cms_evidence(emb.signed_data)
        vc = session.validation_context(evidence)
        try:
            if is_timestamp:
                ts_status = run(async_validate_pdf_timestamp(emb, validation_context=vc), vc)
                info: ModificationInfo = ts_status
                crypto = _timestamp_verdict(ts_status)
                timestamp_time = ts_status.timestamp if crypto.indication is Indication.TOTAL_PASSED else None
            else:
                status = run(
                    async_validate_pdf_signature(emb, signer_validation_context=vc, ts_validation_context=vc),
                    vc,
                )
                info = status
                chain_problem = None
                indic = status.trust_problem_indic
                if indic is not None and indic_name(indic) == "CERTIFICATE_CHAIN_GENERAL_FAILURE":
                    chain_problem = diagnose_chain(session, status.signing_cert, other_certs(emb.signed_data), evidence)
                crypto = trust_verdict(status, chain_problem=chain_problem)
                ts = status.timestamp_validity
                if ts is not None and ts.intact and ts.valid and ts.trusted:
                    timestamp_time = ts.timestamp
                proof = earliest_proof((timestamp_time, *proof_times), policy.validation_time)
                if (
                    proof is not None
                    and crypto.indication is not Indication.TOTAL_PASSED
                    and crypto.integrity is Integrity.INTACT
                    and crypto.sub_indication in PAST_VALIDATION_CANDIDATES
                ):
                    past = revalidate_in_the_past(session, status, other_certs(emb.signed_data), evidence, proof)
                    if past is not None:
                        past_verdict = trust_verdict(past)
                        if past_verdict.indication is Indication.TOTAL_PASSED:
                            crypto = replace(past_verdict, details=f"{PAST_VALIDATION_NOTE} {proof.isoformat()}")
                            proof_time = proof
                if status.seed_value_constraint_error is not None and crypto.indication is Indication.TOTAL_PASSED:
                    crypto = Verdict(
                        Indication.INDETERMINATE,
                        "SIG_CONSTRAINTS_FAILURE",
                        Integrity.INTACT,
                        "SEED_VALUE_VIOLATION",
                        str(status.seed_value_constraint_error),
                    )
                signing_time = status.signer_reported_dt
                level = _level(ts is not None, bool(evidence.crls or evidence.ocsps), proof_times)
        except Exception as exc:
            # The rule: an exception is INDETERMINATE with the reason.
            # Integrity is what the structure still tells us, else broken.
            try:
                structure = _structure(_structural_only(emb), later, trailing)
            except Exception:  # structure unreadable too: broken
                structure = PdfIntegrity(Integrity.BROKEN, "UNREADABLE", None, None, None)
            # A sound structure says nothing about the hash: that check did not finish.
            known = Integrity.UNKNOWN if structure.integrity is Integrity.INTACT else structure.integrity
            verdict = exception_verdict(exc, integrity=known)
            if structure.integrity is Integrity.MODIFIED:
                verdict = replace(verdict, message_code=structure.message_code or "MODIFIED_AFTER_SIGNING")
        else:
            structure = _structure(info, later, trailing)
            verdict = combine(structure, crypto)

    return verdict.report(
        fmt,
        kind,
        name,
        signer=ctx.identity,
        signer_match=match_signer(ctx.identity, expected) if kind == "signature" else match_signer(None, None),
        algorithm=algorithm.name if algorithm else None,
        level=level,
        signing_time=signing_time,
        timestamp_time=timestamp_time,
        validated_at=proof_time,
        coverage=structure.coverage,
        modification_level=structure.modification_level,
        signed_files=signed_files,
    )


def _level(timestamped: bool, has_revinfo: bool, proof_times: tuple[datetime, ...]) -> str:
    """PAdES baseline level as far as the document shows it (ETSI EN 319 142-1)."""
    if not timestamped:
        return "B-B"
    if not has_revinfo:
        return "B-T"
    return "B-LTA" if proof_times else "B-LT"


def _timestamp_verdict(status: DocumentTimestampStatus) -> Verdict:
    if not status.intact:
        return Verdict(Indication.TOTAL_FAILED, "HASH_FAILURE", Integrity.BROKEN, "HASH_MISMATCH")
    if not status.valid:
        return Verdict(Indication.TOTAL_FAILED, "SIG_CRYPTO_FAILURE", Integrity.BROKEN, "SIGNATURE_CRYPTO_INVALID")
    if not status.trusted:
        return untrusted_timestamp(status)
    return Verdict(Indication.TOTAL_PASSED, None, Integrity.INTACT, "PASSED")
