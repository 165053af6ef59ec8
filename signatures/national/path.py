"""The certificate path of a DSTU signer: built, verified and checked.

Why our own path validation: certvalidator verifies every certificate's
signature through ``cryptography`` (no DSTU).  The rules follow RFC 5280 6.1
in the subset Ukrainian qualified PKIs use — signer -> QTSP CA -> the central
certification authority's root, or a QTSP CA configured directly as a root:

* issuers are found by name (and key identifier when both sides carry one)
  among the certificates the signature and the document bring and the
  configured roots; each link's DSTU signature is verified.  Brought-along
  certificates are only candidates: the path must end at a configured root
  (same DER);
* every certificate below the root is within its validity at the validation
  time; every issuer below the root is a CA (basicConstraints cA, keyCertSign
  when key usage is present, path length);
* the signer's key usage, when present, allows digitalSignature or
  nonRepudiation;
* a critical extension we do not process rejects the path;
* revocation from CRLs, or OCSP responses where no CRL covers a certificate
  (:mod:`.revocation`), for every certificate below the root: hard-fail
  requires a status, soft-fail tolerates an unknown one; a revocation is never
  tolerated.

The result names the ETSI EN 319 102-1 sub-indication, like
:func:`signatures.context.validate_path_at` does for certvalidator.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import core, crl, ocsp, x509

from signatures.dstu import DSTUError
from signatures.national.certs import (
    ASN1_ERRORS,
    Extension,
    certificate_key,
    certificate_signed_by,
    extensions,
    parse_extension,
)
from signatures.national.revocation import Status, crl_status, ocsp_status, same_name

MAX_PATH_LENGTH = 8
"""Far above the three certificates of a Ukrainian path; bounds hostile input."""

OID_KEY_USAGE = "2.5.29.15"
OID_BASIC_CONSTRAINTS = "2.5.29.19"
OID_SKI = "2.5.29.14"
OID_AKI = "2.5.29.35"
OID_POLICIES = "2.5.29.32"
OID_EKU = "2.5.29.37"
OID_QC_STATEMENTS = "1.3.6.1.5.5.7.1.3"
_PROCESSED_CRITICAL = {
    OID_KEY_USAGE,
    OID_BASIC_CONSTRAINTS,
    OID_POLICIES,  # read for the qualified-certificate policy; no policy constraints apply in these PKIs
    OID_EKU,
    OID_QC_STATEMENTS,
    "2.5.29.9",  # subject directory attributes (identity)
    "2.5.29.16",  # private key usage period (informational)
    "2.5.29.17",  # subject alternative name
}


@dataclass(frozen=True)
class PathResult:
    """A validated path (signer first, root last), or why there is none."""

    problem: str | None
    details: str | None
    path: tuple[x509.Certificate, ...] = ()


@dataclass(frozen=True)
class Trust:
    """What path validation needs from the policy and the document."""

    roots: tuple[x509.Certificate, ...]
    candidates: tuple[x509.Certificate, ...]
    crls: tuple[crl.CertificateList, ...]
    moment: datetime
    hard_fail: bool
    ocsps: tuple[ocsp.OCSPResponse, ...] = ()


def _fail(problem: str, details: str) -> PathResult:
    return PathResult(problem, details)


def _key_identifier(exts: dict[str, Extension], oid: str) -> bytes | None:
    try:
        if oid == OID_SKI:
            value = parse_extension(exts, oid, core.OctetString.load)
        else:
            aki = parse_extension(exts, oid, x509.AuthorityKeyIdentifier.load)
            value = aki["key_identifier"] if aki else None
    except ValueError:
        return None
    return value if isinstance(value, bytes) else None


def _issuers(cert: x509.Certificate, trust: Trust, used: Sequence[x509.Certificate]) -> list[x509.Certificate]:
    """Possible issuers of ``cert``, configured roots first."""
    try:
        aki = _key_identifier(extensions(cert["tbs_certificate"]), OID_AKI)
    except ValueError:
        aki = None
    seen = {c.dump() for c in used}
    out: list[x509.Certificate] = []
    for candidate in (*trust.roots, *trust.candidates):
        der = candidate.dump()
        if der in seen:
            continue
        seen.add(der)
        try:
            if not same_name(cert.issuer, candidate.subject):
                continue
            ski = _key_identifier(extensions(candidate["tbs_certificate"]), OID_SKI)
        except (*ASN1_ERRORS, ValueError):
            continue
        if aki is not None and ski is not None and aki != ski:
            continue
        out.append(candidate)
    return out


def build_path(signer: x509.Certificate, trust: Trust) -> PathResult:
    """Signer -> ... -> a configured root, each link's signature verified."""
    roots = {r.dump() for r in trust.roots}
    if signer.dump() in roots:
        return PathResult(None, None, (signer,))
    path = [signer]
    while len(path) <= MAX_PATH_LENGTH:
        current = path[-1]
        issuer = None
        for candidate in _issuers(current, trust, path):
            try:
                key = certificate_key(candidate)
            except DSTUError:
                continue
            if certificate_signed_by(current, key):
                issuer = candidate
                break
        if issuer is None:
            where = "a configured root" if len(path) == 1 else "beyond a provider CA"
            return _fail("NO_CERTIFICATE_CHAIN_FOUND", f"no DSTU issuer certificate verifies {where}")
        path.append(issuer)
        if issuer.dump() in roots:
            return PathResult(None, None, tuple(path))
    return _fail("NO_CERTIFICATE_CHAIN_FOUND", "path too long")


def _validity(cert: x509.Certificate, moment: datetime) -> str | None:
    try:
        validity = cert["tbs_certificate"]["validity"]
        not_before = validity["not_before"].native
        not_after = validity["not_after"].native
    except ASN1_ERRORS:
        return "CERTIFICATE_CHAIN_GENERAL_FAILURE"
    if moment < not_before:
        return "NOT_YET_VALID"
    if moment > not_after:
        return "OUT_OF_BOUNDS_NO_POE"
    return None


def _constraints(cert: x509.Certificate, exts: dict[str, Extension], *, is_signer: bool, below: int) -> str | None:
    """Why ``cert`` may not hold its place on the path (None when it may)."""
    unknown = sorted(e.oid for e in exts.values() if e.critical and e.oid not in _PROCESSED_CRITICAL)
    if unknown:
        return f"unprocessed critical extension {', '.join(unknown)}"
    usage = parse_extension(exts, OID_KEY_USAGE, x509.KeyUsage.load)
    if is_signer:
        if usage is not None and not usage & {"digital_signature", "non_repudiation"}:
            return "key usage allows neither digitalSignature nor nonRepudiation"
        return None
    bc = parse_extension(exts, OID_BASIC_CONSTRAINTS, x509.BasicConstraints.load)
    if not bc or not bc["ca"]:
        return "an issuer is not a CA"
    if usage is not None and "key_cert_sign" not in usage:
        return "an issuer's key usage lacks keyCertSign"
    limit = bc["path_len_constraint"]
    if limit is not None and below - 1 > limit:
        return "path length constraint exceeded"
    return None


def validate(signer: x509.Certificate, trust: Trust) -> PathResult:
    """Build the path and apply every check in the module docstring."""
    built = build_path(signer, trust)
    if built.problem is not None:
        return built
    path = built.path
    unknown_status: list[str] = []
    for index, cert in enumerate(path[:-1]):  # the root is the anchor: taken as configured
        try:
            exts = extensions(cert["tbs_certificate"])
            problem = _constraints(cert, exts, is_signer=index == 0, below=index)
        except ValueError as exc:
            return _fail("CHAIN_CONSTRAINTS_FAILURE", str(exc))
        if problem is not None:
            return _fail("CHAIN_CONSTRAINTS_FAILURE", problem)
        expiry = _validity(cert, trust.moment)
        if expiry is not None:
            return _fail(expiry, f"certificate {_label(cert)} is not valid at {trust.moment.isoformat()}")
        issuer = path[index + 1]
        issuer_key = certificate_key(issuer)
        status, source = crl_status(cert, exts, index > 0, issuer, issuer_key, trust.crls, trust.moment), "CRL"
        if status is Status.UNKNOWN:
            status, source = ocsp_status(cert, issuer, issuer_key, trust.ocsps, trust.moment), "OCSP"
        if status is Status.REVOKED:
            return _fail("REVOKED_NO_POE", f"certificate {_label(cert)} is revoked ({source})")
        if status is Status.UNKNOWN:
            unknown_status.append(_label(cert))
    if unknown_status and trust.hard_fail:
        return _fail("TRY_LATER", "no current CRL or OCSP response for " + ", ".join(unknown_status))
    details = f"revocation status unknown (soft-fail): {', '.join(unknown_status)}" if unknown_status else None
    return PathResult(None, details, path)


def _label(cert: x509.Certificate) -> str:
    try:
        return f"{cert.subject.human_friendly} (serial {cert.serial_number:X})"
    except ASN1_ERRORS:
        return "?"


def candidates_from(*groups: Iterable[x509.Certificate]) -> tuple[x509.Certificate, ...]:
    """Certificates from several sources, each once (by DER)."""
    seen: set[bytes] = set()
    out: list[x509.Certificate] = []
    for group in groups:
        for cert in group:
            try:
                der = cert.dump()
            except ASN1_ERRORS:
                continue
            if der not in seen:
                seen.add(der)
                out.append(cert)
    return tuple(out)
