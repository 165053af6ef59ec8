"""Detached and enveloping CMS (``.p7s``) signatures, one report per signer.

Why one report per SignerInfo: Ukrainian signing tools add a second signer to
the same ``.p7s`` (director, then accountant).  pyhanko validates exactly one
SignerInfo, so each signer is validated on a copy of the SignedData that holds
only that SignerInfo; the certificate set stays shared.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, replace

from asn1crypto import cms, core, x509
from pyhanko.sign.validation.generic_cms import async_validate_detached_cms

from signatures.algorithms import AlgorithmInfo, describe, select_backend
from signatures.context import Evidence, Session, diagnose_chain, run
from signatures.identity import ExpectedSigner, identity_from_certificate, match_signer
from signatures.integrity import (
    PdfIntegrity,
    Verdict,
    combine,
    exception_verdict,
    indic_name,
    trust_verdict,
)
from signatures.ltv import (
    PAST_VALIDATION_CANDIDATES,
    PAST_VALIDATION_NOTE,
    cms_evidence,
    earliest_proof,
    revalidate_in_the_past,
)
from signatures.national.cades import NationalOutcome, verify_dstu
from signatures.report import Indication, Integrity, SignatureReport, SignedFile, SignerIdentity


class NotCms(ValueError):
    """The bytes are not a CMS SignedData structure."""


def load_signed_data(data: bytes) -> cms.SignedData:
    """Parse DER, PEM or bare base64 CMS; raise :class:`NotCms` otherwise."""
    # Never strip DER: its last byte may well be 0x0a or 0x20.
    raw = data if data[:1] == b"\x30" else data.strip()
    if raw.startswith(b"-----BEGIN"):
        raw = b"".join(line for line in raw.splitlines() if not line.startswith(b"-----"))
        raw = _b64(raw)
    elif raw[:1] != b"\x30":
        raw = _b64(raw)
    try:
        info = cms.ContentInfo.load(raw)
        if info["content_type"].native != "signed_data":
            raise NotCms("CMS content is not SignedData")
        signed_data = info["content"]
        # Force a full parse now, so malformed input fails here, not later.
        signed_data["signer_infos"].native  # noqa: B018
    except NotCms:
        raise
    except (ValueError, TypeError, KeyError) as exc:
        raise NotCms(f"not a CMS structure: {exc}") from exc
    if not isinstance(signed_data, cms.SignedData):  # pragma: no cover - defensive
        raise NotCms("CMS content is not SignedData")
    return signed_data


def _b64(raw: bytes) -> bytes:
    try:
        return base64.b64decode(b"".join(raw.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise NotCms("neither DER nor base64") from exc


def encapsulated_content(signed_data: cms.SignedData) -> bytes | None:
    """The document inside an enveloping signature, or None when detached."""
    eci = signed_data["encap_content_info"]
    content = eci["content"]
    if content.native is None:
        return None
    value = content.parsed if hasattr(content, "parsed") else content
    data = value.native
    if isinstance(data, bytes):
        return data
    return bytes(content.contents or b"")


def enveloped_content(data: bytes) -> bytes | None:
    """The content inside an enveloping CMS signature (an S/MIME ``application/pkcs7-mime`` body, a ``.p7m``),
    or None when ``data`` is not a SignedData or carries no content. Reading it is not verifying it."""
    try:
        return encapsulated_content(load_signed_data(data))
    except NotCms:
        return None


def split_signers(signed_data: cms.SignedData, *, detach: bool = False) -> list[cms.SignedData]:
    """One SignedData per SignerInfo (see module docstring).

    ``detach`` drops the encapsulated content: the signature value does not
    depend on where the content travels, and pyhanko's detached validator
    (which also checks timestamps) refuses encapsulated data.
    """
    infos = list(signed_data["signer_infos"])
    if len(infos) == 1 and not detach:
        return [signed_data]
    eci = signed_data["encap_content_info"]
    if detach:
        eci = cms.ContentInfo({"content_type": eci["content_type"]})
    out = []
    for info in infos:
        fields: dict[str, object] = {
            "version": signed_data["version"],
            "digest_algorithms": signed_data["digest_algorithms"],
            "encap_content_info": eci,
            "signer_infos": cms.SignerInfos([info]),
        }
        for optional in ("certificates", "crls"):
            if not isinstance(signed_data[optional], core.Void):
                fields[optional] = signed_data[optional]
        copy = cms.SignedData(fields)
        out.append(cms.SignedData.load(copy.dump()))
    return out


def find_signer_cert(signed_data: cms.SignedData) -> x509.Certificate | None:
    """The certificate the (single) SignerInfo points to, if embedded."""
    try:
        sid = signed_data["signer_infos"][0]["sid"]
        certs = [c.chosen for c in signed_data["certificates"] if c.name == "certificate"]
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    for cert in certs:
        if sid.name == "issuer_and_serial_number":
            ias = sid.chosen
            # Serial first and DER before Name equality: asn1crypto's Name
            # comparison normalises every RDN and is slow.
            if cert.serial_number != ias["serial_number"].native:
                continue
            if cert.issuer.dump() == ias["issuer"].dump() or cert.issuer == ias["issuer"]:
                return cert
        elif sid.name == "subject_key_identifier" and cert.key_identifier == sid.chosen.native:
            return cert
    return None


def other_certs(signed_data: cms.SignedData) -> list[x509.Certificate]:
    """All embedded certificates (candidates for the path, never trusted)."""
    try:
        return [c.chosen for c in signed_data["certificates"] if c.name == "certificate"]
    except (ValueError, KeyError, TypeError):
        return []


@dataclass(frozen=True)
class SignerContext:
    """What the report needs about a signer besides the verdict."""

    identity: SignerIdentity | None
    algorithm: AlgorithmInfo | None


def signer_context(
    signed_data: cms.SignedData, cert: x509.Certificate | None = None, *, session: Session | None = None
) -> SignerContext:
    """Identity and algorithm, read before any crypto so they survive failures
    (memoised per certificate when a session is given)."""
    if cert is None:
        cert = find_signer_cert(signed_data)
    identity: SignerIdentity | None = None
    if cert is not None:
        identity = session.identity(cert) if session is not None else identity_from_certificate(cert)
    try:
        algorithm = describe(signed_data["signer_infos"][0], cert)
    except (ValueError, KeyError, IndexError, TypeError):
        algorithm = None
    return SignerContext(identity, algorithm)


def national_verdict(
    signed_data: cms.SignedData,
    content: bytes,
    algorithm: AlgorithmInfo,
    *,
    session: Session,
    evidence: Evidence,
) -> NationalOutcome:
    """DSTU & co.: a backend the policy registers (a certified library) goes
    first; otherwise the built-in DSTU 4145 verifier (:mod:`signatures.national`),
    which answers UNSUPPORTED_ALGORITHM, integrity unknown, for what it cannot check."""
    policy = session.policy
    backend = select_backend(policy.national_backends, algorithm)
    if backend is None:
        return verify_dstu(
            signed_data,
            content,
            find_signer_cert(signed_data),
            other_certs(signed_data),
            session=session,
            evidence=evidence,
        )
    wrapped = cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump()
    try:
        result = backend.verify(wrapped, content, policy=policy)
    except Exception as exc:
        return NationalOutcome(exception_verdict(exc, integrity=Integrity.UNKNOWN))
    if not result.digest_matches:
        return NationalOutcome(
            Verdict(Indication.TOTAL_FAILED, "HASH_FAILURE", Integrity.BROKEN, "HASH_MISMATCH", result.details)
        )
    if not result.signature_valid:
        return NationalOutcome(
            Verdict(
                Indication.TOTAL_FAILED,
                "SIG_CRYPTO_FAILURE",
                Integrity.BROKEN,
                "SIGNATURE_CRYPTO_INVALID",
                result.details,
            )
        )
    code = "PASSED" if result.indication is Indication.TOTAL_PASSED else "VALIDATION_ERROR"
    return NationalOutcome(
        Verdict(result.indication, result.sub_indication, Integrity.INTACT, code, f"{backend.name}: {result.details}")
    )


def validate_cms_signer(
    signed_data: cms.SignedData,
    content: bytes,
    *,
    session: Session,
    expected: ExpectedSigner | None,
    fmt: str,
    field_name: str | None,
    signed_files: tuple[SignedFile, ...],
    structure: PdfIntegrity | None = None,
) -> SignatureReport:
    """Validate one single-signer SignedData over ``content`` (with past
    signature validation at a trusted signature timestamp, see
    :mod:`signatures.ltv`)."""
    policy = session.policy
    ctx = signer_context(signed_data, session=session)
    algorithm = ctx.algorithm
    signing_time = timestamp_time = proof_time = None
    level: str | None = None
    if algorithm is not None and algorithm.national:
        outcome = national_verdict(signed_data, content, algorithm, session=session, evidence=cms_evidence(signed_data))
        verdict = combine(structure, outcome.verdict)
        signing_time, timestamp_time = outcome.signing_time, outcome.timestamp_time
        proof_time = outcome.validated_at
        level = "B-T" if timestamp_time else "B-B"
    else:
        evidence = cms_evidence(signed_data)  # pyhanko registers the embedded certs itself
        vc = session.validation_context(evidence)
        try:
            status = run(async_validate_detached_cms(content, signed_data, signer_validation_context=vc), vc)
        except Exception as exc:
            verdict = combine(structure, exception_verdict(exc, integrity=Integrity.UNKNOWN))
        else:
            chain_problem = None
            indic = status.trust_problem_indic
            if indic is not None and indic_name(indic) == "CERTIFICATE_CHAIN_GENERAL_FAILURE":
                chain_problem = diagnose_chain(session, status.signing_cert, other_certs(signed_data), evidence)
            crypto = trust_verdict(status, chain_problem=chain_problem)
            signing_time = status.signer_reported_dt
            ts = status.timestamp_validity
            if ts is not None and ts.intact and ts.valid and ts.trusted:
                timestamp_time = ts.timestamp
            proof = earliest_proof((timestamp_time,), policy.validation_time)
            if (
                proof is not None
                and crypto.indication is not Indication.TOTAL_PASSED
                and crypto.integrity is Integrity.INTACT
                and crypto.sub_indication in PAST_VALIDATION_CANDIDATES
            ):
                past = revalidate_in_the_past(session, status, other_certs(signed_data), evidence, proof)
                if past is not None and (past_verdict := trust_verdict(past)).indication is Indication.TOTAL_PASSED:
                    crypto = replace(past_verdict, details=f"{PAST_VALIDATION_NOTE} {proof.isoformat()}")
                    proof_time = proof
            verdict = combine(structure, crypto)
            level = "B-B" if ts is None else ("B-LT" if evidence.crls or evidence.ocsps else "B-T")
    return verdict.report(
        fmt,
        "signature",
        field_name,
        signer=ctx.identity,
        signer_match=match_signer(ctx.identity, expected),
        algorithm=algorithm.name if algorithm else None,
        level=level,
        signing_time=signing_time,
        timestamp_time=timestamp_time,
        validated_at=proof_time,
        coverage=structure.coverage if structure else None,
        modification_level=structure.modification_level if structure else None,
        signed_files=signed_files,
    )


def broken_report(
    fmt: str, field_name: str | None, exc: BaseException, identity: SignerIdentity | None = None
) -> SignatureReport:
    """Report for a signature we could not even read."""
    return exception_verdict(exc).report(fmt, "signature", field_name, signer=identity)


def verify_p7s(
    signature: bytes,
    content: bytes | None,
    *,
    session: Session,
    expected: ExpectedSigner | None,
    content_name: str,
) -> tuple[str, tuple[SignatureReport, ...], tuple[SignedFile, ...]]:
    """Verify a detached (``content`` given) or enveloping ``.p7s``.

    Returns (format, reports, evidence).  For an enveloping signature the
    evidence is the document extracted from inside the CMS: that is what the
    operator must see, not the ``.p7s`` wrapper.
    """
    signed_data = load_signed_data(signature)
    inner = encapsulated_content(signed_data)
    mismatch = False
    if inner is not None:
        # An enveloping signature given next to a document: it must be the
        # same document, otherwise the signature is over something else.
        mismatch = content is not None and content != inner
        fmt = "CAdES-enveloping"
        data = inner
    elif content is not None:
        fmt = "CAdES-detached"
        data = content
    else:
        reports = tuple(
            SignatureReport(
                format="CAdES-detached",
                kind="signature",
                field_name=None,
                indication=Indication.INDETERMINATE,
                sub_indication="SIGNED_DATA_NOT_FOUND",
                integrity=Integrity.BROKEN,
                message_code="DETACHED_CONTENT_MISSING",
                signer=signer_context(sd, session=session).identity,
                signer_match=match_signer(signer_context(sd, session=session).identity, expected),
            )
            for sd in split_signers(signed_data)
        )
        return "CAdES-detached", reports, ()
    evidence = (SignedFile(content_name, data),)
    reports = tuple(
        validate_cms_signer(
            sd, data, session=session, expected=expected, fmt=fmt, field_name=None, signed_files=evidence
        )
        for sd in split_signers(signed_data, detach=inner is not None)
    )
    if mismatch:
        reports = tuple(
            replace(
                r,
                indication=Indication.TOTAL_FAILED,
                sub_indication="HASH_FAILURE",
                integrity=Integrity.BROKEN,
                message_code="HASH_MISMATCH",
                details="the document differs from the one inside the signature",
            )
            for r in reports
        )
    return fmt, reports, evidence
