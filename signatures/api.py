"""The one entry point: bytes in, frozen :class:`FileReport` out.

Why everything funnels through here: the format is sniffed from the bytes (a
customer's file name is a hint, not a fact), bounds are enforced before any
parser runs, and the whole verification runs under
:func:`signatures.isolation.run_bounded` so that no file can hang or exhaust
the caller.  Whatever goes wrong, the caller gets a report, never an exception
and never a pass by default.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import replace

from signatures.asic import ContainerError, is_zip, verify_asic
from signatures.cms import NotCms, verify_p7s
from signatures.context import Session
from signatures.identity import ExpectedSigner
from signatures.integrity import aggregate, exception_verdict
from signatures.isolation import Bounded, PersistentWorker, run_bounded
from signatures.pdf import PdfLimitExceeded, PdfPasswordRequired, is_pdf, verify_pdf
from signatures.policy import VerificationPolicy
from signatures.report import (
    FileReport,
    Indication,
    Integrity,
    SignatureReport,
    SignedFile,
    SignerMatch,
)


def verify(
    document: bytes,
    *,
    detached_signature: bytes | None = None,
    filename: str | None = None,
    policy: VerificationPolicy,
    expected: ExpectedSigner | None = None,
) -> FileReport:
    """Verify every signature in ``document`` (or ``detached_signature`` over it).

    ``document`` may be a PDF (PAdES), a ``.p7s`` that wraps the document, or
    an ASiC-E/ASiC-S container; with ``detached_signature`` it is the signed
    file and the signature is a detached CMS.  ``expected`` carries the
    application's EDRPOU/RNOKPP and the contract signatory's tax number.
    """
    base, refused = _admit(document, detached_signature, filename, policy)
    if refused is not None:
        return refused
    outcome = run_bounded(
        lambda: _verify_unbounded(document, detached_signature, filename, Session(policy), expected, base),
        timeout_seconds=policy.timeout_seconds,
        max_memory_bytes=policy.max_memory_bytes,
        isolate=policy.isolate,
    )
    return _from_outcome(outcome, base)


def _from_outcome(outcome: Bounded[FileReport], base: _Base) -> FileReport:
    if outcome.value is not None:
        return outcome.value
    failure = outcome.failure
    assert failure is not None
    code = {"timeout": "TIMEOUT", "memory": "RESOURCE_EXHAUSTED"}.get(failure.reason, "VALIDATION_ERROR")
    return base.fail(code, failure.details)


_Request = tuple[bytes, "bytes | None", "str | None", "ExpectedSigner | None", "_Base"]


class Verifier:
    """:func:`verify` for many files with one policy, amortising isolation.

    Why: :func:`verify` forks a fresh child per file, which costs about as
    much as validating a small PDF.  A ``Verifier`` keeps one isolated worker
    (same time and memory bounds, replaced after any failure) for its
    lifetime, and one :class:`signatures.context.Session` (parsed trust
    roots and revocation data, a per-certificate identity memo).  Use it for
    batches — the intake job, the benchmark::

        with Verifier(policy) as verifier:
            report = verifier.verify(data, filename="zayava.pdf")

    Results are identical to :func:`verify`: what is shared between files
    depends only on the policy or is a pure function of a certificate; every
    signature still gets its own validation context (no path or revocation
    cache, no certificate a file brought along, crosses files).
    """

    def __init__(self, policy: VerificationPolicy) -> None:
        self.policy = policy
        self._session = Session(policy)  # built before the fork: the worker inherits it
        self._worker: PersistentWorker[_Request, FileReport] | None = None
        if policy.isolate and hasattr(os, "fork"):
            self._worker = PersistentWorker(
                self._handle, timeout_seconds=policy.timeout_seconds, max_memory_bytes=policy.max_memory_bytes
            )

    def _handle(self, request: _Request) -> FileReport:
        document, detached, filename, expected, base = request
        return _verify_unbounded(document, detached, filename, self._session, expected, base)

    def __enter__(self) -> Verifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the worker process."""
        if self._worker is not None:
            self._worker.close()

    def verify(
        self,
        document: bytes,
        *,
        detached_signature: bytes | None = None,
        filename: str | None = None,
        expected: ExpectedSigner | None = None,
    ) -> FileReport:
        """Same contract as :func:`signatures.verify` with this verifier's policy."""
        if self._worker is None:
            return verify(
                document,
                detached_signature=detached_signature,
                filename=filename,
                policy=self.policy,
                expected=expected,
            )
        base, refused = _admit(document, detached_signature, filename, self.policy)
        if refused is not None:
            return refused
        return _from_outcome(self._worker.call((document, detached_signature, filename, expected, base)), base)


def _admit(
    document: bytes, detached: bytes | None, filename: str | None, policy: VerificationPolicy
) -> tuple[_Base, FileReport | None]:
    """The file's facts, and the report that ends it at once when it (or its signature) is over the size limit:
    nothing larger is parsed, in this process or a worker."""
    base = _Base(filename, len(document), hashlib.sha256(document).hexdigest())
    too_big = len(document) > policy.max_file_bytes or (detached is not None and len(detached) > policy.max_file_bytes)
    return base, base.fail("FILE_TOO_LARGE", f"limit {policy.max_file_bytes} bytes") if too_big else None


class _Base:
    """File facts computed once, and report constructors for whole-file outcomes."""

    def __init__(self, filename: str | None, size: int, sha256: str) -> None:
        self.filename = filename
        self.size = size
        self.sha256 = sha256

    def fail(
        self,
        code: str,
        details: str | None,
        *,
        fmt: str = "unknown",
        sub_indication: str = "GENERIC",
        integrity: Integrity | None = None,
    ) -> FileReport:
        return FileReport(
            filename=self.filename,
            size=self.size,
            sha256=self.sha256,
            format=fmt,
            indication=Indication.INDETERMINATE,
            sub_indication=sub_indication,
            integrity=integrity,
            message_code=code,
            signatures=(),
            manual_review=True,
            details=details,
        )

    def from_signatures(
        self, fmt: str, reports: tuple[SignatureReport, ...], evidence: tuple[SignedFile, ...]
    ) -> FileReport:
        verdict = aggregate(reports)
        return FileReport(
            filename=self.filename,
            size=self.size,
            sha256=self.sha256,
            format=fmt,
            indication=verdict.indication,
            sub_indication=verdict.sub_indication,
            integrity=verdict.integrity,
            message_code=verdict.message_code,
            signatures=reports,
            manual_review=verdict.manual_review,
            signer_match=verdict.signer_match,
            details=verdict.details,
            evidence=evidence,
        )


_SIGNED_DATA_OID = bytes.fromhex("06092a864886f70d010702")


def _looks_like_cms(data: bytes) -> bool:
    """DER SignedData starts with a SEQUENCE holding the signedData OID; an
    enveloping .p7s around a PDF contains '%PDF-' early, so sniff this first."""
    head = data[:40]
    return (head[:1] == b"\x30" and _SIGNED_DATA_OID in head) or data.lstrip()[:16] in (
        b"-----BEGIN PKCS7",
        b"-----BEGIN CMS--",
    )


def _inner_name(filename: str | None) -> str:
    name = filename or "document"
    for suffix in (".p7s", ".p7m", ".P7S", ".P7M"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def _verify_unbounded(
    document: bytes,
    detached: bytes | None,
    filename: str | None,
    session: Session,
    expected: ExpectedSigner | None,
    base: _Base,
) -> FileReport:
    """The report for whichever format ``document`` is; anything that raises on the way is a broken file's report,
    never a crash of the caller (a hostile file must not take the intake down)."""
    try:
        name = filename or "document"
        if detached is not None:
            try:
                fmt, reports, evidence = verify_p7s(
                    detached, document, session=session, expected=expected, content_name=name
                )
            except NotCms as exc:
                return base.fail(
                    "UNREADABLE",
                    str(exc),
                    fmt="CAdES-detached",
                    sub_indication="FORMAT_FAILURE",
                    integrity=Integrity.BROKEN,
                )
            return base.from_signatures(fmt, reports, evidence)

        if is_pdf(document) and not _looks_like_cms(document):
            return _pdf(document, session, expected, name, base)
        if is_zip(document):
            try:
                fmt, reports, evidence = verify_asic(document, session=session, expected=expected)
            except ContainerError as exc:
                return base.fail(
                    "UNREADABLE", str(exc), fmt="ASiC", sub_indication="FORMAT_FAILURE", integrity=Integrity.BROKEN
                )
            return base.from_signatures(fmt, reports, evidence)
        try:
            fmt, reports, evidence = verify_p7s(
                document, None, session=session, expected=expected, content_name=_inner_name(filename)
            )
        except NotCms:
            return base.fail("NOT_A_SIGNED_FORMAT", "neither PDF, CMS nor ASiC", sub_indication="FORMAT_FAILURE")
        return base.from_signatures(fmt, reports, evidence)
    except Exception as exc:
        verdict = exception_verdict(exc)
        return base.fail(
            verdict.message_code,
            verdict.details,
            integrity=Integrity.BROKEN,
            sub_indication=verdict.sub_indication or "GENERIC",
        )


def _pdf(
    document: bytes,
    session: Session,
    expected: ExpectedSigner | None,
    name: str,
    base: _Base,
) -> FileReport:
    try:
        outcome = verify_pdf(document, session=session, expected=expected, filename=name)
    except PdfLimitExceeded as exc:
        return base.fail("TOO_MANY_PAGES", str(exc), fmt="PDF")
    except PdfPasswordRequired as exc:
        return base.fail(
            "PASSWORD_PROTECTED", str(exc), fmt="PDF", sub_indication="FORMAT_FAILURE", integrity=Integrity.UNKNOWN
        )
    except Exception as exc:
        verdict = exception_verdict(exc)
        return base.fail(
            verdict.message_code,
            verdict.details,
            fmt="PDF",
            sub_indication="FORMAT_FAILURE",
            integrity=Integrity.BROKEN,
        )
    if outcome.unreachable_signature:
        return base.fail(
            "UNREACHABLE_SIGNATURE",
            "a /ByteRange exists but no signature field refers to it",
            fmt="PDF",
            sub_indication="FORMAT_FAILURE",
            integrity=Integrity.BROKEN,
        )
    fmt = "PAdES" if any(r.format == "PAdES" for r in outcome.reports) else "PDF"
    report = base.from_signatures(fmt, outcome.reports, outcome.evidence)
    if not report.signatures:
        return replace(report, signer_match=SignerMatch.NOT_CHECKED)
    return report
