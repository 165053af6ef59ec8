"""One CAdES SignerInfo with a DSTU 4145 signature, verified end to end.

Why this order: everything about the bytes comes first — the message digest
recomputed over the content (GOST 34.311 with the S-box of the signer's key
parameters, or Kupyna by digest OID), the signature over the DER of the
signed attributes, the ESS signing-certificate reference — so that
``integrity`` is settled before, and independently of, any trust question.
Only then the certificate path (:mod:`.path`) decides the indication.

``integrity`` is ``intact`` only when the digest matched *and* the signature
value verified; a step that could not run (no signer certificate, a key or
hash we do not implement) leaves it ``unknown``.

A signature timestamp (CAdES-T) is a CMS of its own, signed by a TSA whose
certificate is DSTU too: it is verified with the same steps (digest, DSTU
signature, ESS reference, the TSA's path to a configured root and CRLs), plus
its message imprint over this signature's value and the TSA's timeStamping
extended key usage. A verified one gives the report its ``timestamp_time`` and
the level B-T, and proves the signature existed at its time: a path that fails
now only because a certificate has since expired or been revoked, or for want
of current revocation data, is validated again as of that time, with
revocation data current then (past signature validation, ETSI EN 319 102-1
5.6.2.4, as the certvalidator path does in :mod:`signatures.ltv`). One that
does not verify is said so in the details and proves nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from asn1crypto import cms, core, tsp, x509

from signatures.context import Evidence, Session
from signatures.dstu import BYTE_ORDER_BY_OID, DSTUError, verify
from signatures.dstu.gost28147 import DEFAULT_SBOX
from signatures.integrity import PASSED, Verdict, trust_code, unsupported_algorithm_verdict
from signatures.ltv import PAST_VALIDATION_CANDIDATES, PAST_VALIDATION_NOTE
from signatures.national.certs import ASN1_ERRORS, DstuKey, certificate_key, hash_function, raw_signature
from signatures.national.path import Trust, candidates_from, validate
from signatures.national.revocation import same_name
from signatures.report import Indication, Integrity

OID_CONTENT_TYPE = "1.2.840.113549.1.9.3"
OID_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
OID_SIGNING_TIME = "1.2.840.113549.1.9.5"
OID_SIGNING_CERTIFICATE = "1.2.840.113549.1.9.16.2.12"
OID_SIGNING_CERTIFICATE_V2 = "1.2.840.113549.1.9.16.2.47"
OID_SIGNATURE_TIMESTAMP = "1.2.840.113549.1.9.16.2.14"
OID_TST_INFO = "1.2.840.113549.1.9.16.1.4"


@dataclass(frozen=True)
class NationalOutcome:
    """A national signature's verdict and what the report shows beside it."""

    verdict: Verdict
    signing_time: datetime | None = None
    #: The time of a signature timestamp that verified to a configured root (None: none, or not verified).
    timestamp_time: datetime | None = None
    #: Set when the path was validated as of ``timestamp_time`` (past signature validation).
    validated_at: datetime | None = None


class _Stop(Exception):
    """Ends the checks with a verdict (keeps the step functions flat)."""

    def __init__(self, verdict: Verdict) -> None:
        super().__init__(verdict.details)
        self.verdict = verdict


def _verdict(indication: Indication, sub: str | None, integrity: Integrity, code: str, details: str) -> _Stop:
    return _Stop(Verdict(indication, sub, integrity, code, details))


def _attributes(signer_info: cms.SignerInfo) -> dict[str, Any]:
    """Signed attributes by OID (each must be single-valued, CMS 11)."""
    attrs = signer_info["signed_attrs"]
    if not isinstance(attrs, cms.CMSAttributes) or not len(attrs):
        raise _verdict(
            Indication.INDETERMINATE,
            "FORMAT_FAILURE",
            Integrity.UNKNOWN,
            "UNREADABLE",
            "CAdES requires signed attributes",
        )
    out: dict[str, Any] = {}
    for attr in attrs:
        oid = attr["type"].dotted
        values = attr["values"]
        if oid in out or len(values) != 1:
            raise _verdict(
                Indication.TOTAL_FAILED,
                "FORMAT_FAILURE",
                Integrity.BROKEN,
                "UNREADABLE",
                f"signed attribute {oid} is repeated or multi-valued",
            )
        out[oid] = values[0]
    return out


def _check_crypto(signer_info: cms.SignerInfo, content: bytes, key: DstuKey, attrs: dict[str, Any]) -> None:
    sig_oid = signer_info["signature_algorithm"]["algorithm"].dotted
    digest_oid = signer_info["digest_algorithm"]["algorithm"].dotted
    order = BYTE_ORDER_BY_OID.get(sig_oid)
    digest = hash_function(digest_oid, key.sbox)
    if order is None or digest is None:
        raise _Stop(unsupported_algorithm_verdict(f"{sig_oid} with {digest_oid}"))
    claimed = attrs.get(OID_MESSAGE_DIGEST)
    if claimed is None:
        raise _verdict(
            Indication.TOTAL_FAILED, "FORMAT_FAILURE", Integrity.BROKEN, "UNREADABLE", "no messageDigest attribute"
        )
    if digest(content) != bytes(claimed.native):
        raise _verdict(
            Indication.TOTAL_FAILED,
            "HASH_FAILURE",
            Integrity.BROKEN,
            "HASH_MISMATCH",
            "the digest of the signed content does not match the signature's messageDigest",
        )
    signed = b"\x31" + signer_info["signed_attrs"].dump()[1:]  # DER of the SET OF, not the [0] tag
    try:
        valid = verify(key.key, digest(signed), raw_signature(bytes(signer_info["signature"].native), key), order)
    except DSTUError:
        valid = False
    if not valid:
        raise _verdict(
            Indication.TOTAL_FAILED,
            "SIG_CRYPTO_FAILURE",
            Integrity.BROKEN,
            "SIGNATURE_CRYPTO_INVALID",
            "the DSTU 4145 signature over the signed attributes does not verify with the signer's key",
        )


def _issuer_serial_matches(issuer_serial: Any, cert: x509.Certificate) -> bool:
    if issuer_serial is None or isinstance(issuer_serial, core.Void):
        return True
    if issuer_serial["serial_number"].native != cert.serial_number:
        return False
    names = [n.chosen for n in issuer_serial["issuer"] if n.name == "directory_name"]
    return any(same_name(name, cert.issuer) for name in names)


def _check_signing_certificate(attrs: dict[str, Any], cert: x509.Certificate, key: DstuKey) -> None:
    """ESS signing-certificate(-v2): the signed reference must name this certificate."""
    der = cert.dump()
    if OID_SIGNING_CERTIFICATE_V2 in attrs:
        first = attrs[OID_SIGNING_CERTIFICATE_V2]["certs"][0]
        oid = first["hash_algorithm"]["algorithm"].dotted
        functions = [hash_function(oid, sbox) for sbox in (key.sbox, DEFAULT_SBOX)]
    elif OID_SIGNING_CERTIFICATE in attrs:
        first = attrs[OID_SIGNING_CERTIFICATE]["certs"][0]
        functions = [hash_function("1.3.14.3.2.26", DEFAULT_SBOX)]
    else:
        raise _verdict(
            Indication.INDETERMINATE,
            "NO_SIGNING_CERTIFICATE_FOUND",
            Integrity.INTACT,
            "SIGNING_CERTIFICATE_NOT_FOUND",
            "no ESS signing-certificate attribute (CAdES requires one)",
        )
    wanted = bytes(first["cert_hash"].native)
    hashes = {f(der) for f in functions if f is not None}
    if wanted not in hashes or not _issuer_serial_matches(first["issuer_serial"], cert):
        raise _verdict(
            Indication.INDETERMINATE,
            "NO_SIGNING_CERTIFICATE_FOUND",
            Integrity.INTACT,
            "SIGNING_CERTIFICATE_NOT_FOUND",
            "the ESS signing-certificate attribute refers to another certificate",
        )


def _signing_time(attrs: dict[str, Any]) -> datetime | None:
    value = attrs.get(OID_SIGNING_TIME)
    if value is None:
        return None
    when = value.native
    return when if isinstance(when, datetime) else None


def _claimed_time_problem(cert: x509.Certificate, when: datetime | None) -> Verdict | None:
    """A claimed signing time outside the certificate's validity is not believable."""
    if when is None:
        return None
    validity = cert["tbs_certificate"]["validity"]
    if validity["not_before"].native <= when <= validity["not_after"].native:
        return None
    sub = "NOT_YET_VALID" if when < validity["not_before"].native else "OUT_OF_BOUNDS_NO_POE"
    return Verdict(
        Indication.INDETERMINATE,
        sub,
        Integrity.INTACT,
        trust_code(sub),
        "the claimed signing time lies outside the signer certificate's validity",
    )


def verify_dstu(
    signed_data: cms.SignedData,
    content: bytes,
    signer_cert: x509.Certificate | None,
    embedded_certs: list[x509.Certificate],
    *,
    session: Session,
    evidence: Evidence,
) -> NationalOutcome:
    """Verify the single SignerInfo of ``signed_data`` over ``content`` (see module docstring)."""
    signer_info = signed_data["signer_infos"][0]
    signing_time: datetime | None = None
    try:
        if signer_cert is None:
            raise _verdict(
                Indication.INDETERMINATE,
                "NO_SIGNING_CERTIFICATE_FOUND",
                Integrity.UNKNOWN,
                "SIGNING_CERTIFICATE_NOT_FOUND",
                "the signer's certificate is not in the signature",
            )
        try:
            key = certificate_key(signer_cert)
        except DSTUError as exc:
            raise _Stop(unsupported_algorithm_verdict(f"key of the signer's certificate ({exc})")) from None
        attrs = _attributes(signer_info)
        signing_time = _signing_time(attrs)
        _check_crypto(signer_info, content, key, attrs)
        _check_signing_certificate(attrs, signer_cert, key)
        verdict = _trust_verdict(signer_cert, embedded_certs, session, evidence)
        if verdict.indication is Indication.TOTAL_PASSED:
            verdict = _claimed_time_problem(signer_cert, signing_time) or verdict
    except _Stop as stop:
        verdict = stop.verdict
    except ASN1_ERRORS as exc:
        verdict = Verdict(
            Indication.INDETERMINATE,
            "FORMAT_FAILURE",
            Integrity.UNKNOWN,
            "VALIDATION_ERROR",
            f"unreadable CMS structure: {type(exc).__name__}: {exc}"[:500],
        )
    timestamp_time = validated_at = None
    token = _timestamp_token(signer_info)
    if token is not None and verdict.integrity is Integrity.INTACT:
        timestamp_time, note = _verify_timestamp(token, signer_info, embedded_certs, session, evidence)
        verdict = replace(verdict, details=_join(verdict.details, note))
        if timestamp_time is not None and signer_cert is not None and _past_candidate(verdict, timestamp_time, session):
            past = _trust_verdict(signer_cert, embedded_certs, session, evidence, moment=timestamp_time)
            if past.indication is Indication.TOTAL_PASSED:
                verdict = _claimed_time_problem(signer_cert, signing_time) or replace(
                    past, details=f"{PAST_VALIDATION_NOTE} {timestamp_time.isoformat()}"
                )
                validated_at = timestamp_time if verdict.indication is Indication.TOTAL_PASSED else None
    elif token is not None:
        verdict = replace(verdict, details=_join(verdict.details, "signature timestamp not checked"))
    return NationalOutcome(verdict, signing_time, timestamp_time, validated_at)


def _past_candidate(verdict: Verdict, proof: datetime, session: Session) -> bool:
    """Whether a proof of existence at ``proof`` could resolve ``verdict``: an intact signature whose path fails
    for a reason time can explain, proven to exist before the validation time."""
    now = session.policy.validation_time or datetime.now(UTC)
    return (
        verdict.indication is Indication.INDETERMINATE
        and verdict.integrity is Integrity.INTACT
        and verdict.sub_indication in PAST_VALIDATION_CANDIDATES
        and proof < now
    )


def _trust_verdict(
    signer_cert: x509.Certificate,
    embedded: list[x509.Certificate],
    session: Session,
    evidence: Evidence,
    *,
    moment: datetime | None = None,
) -> Verdict:
    """The path's verdict as of ``moment`` (the validation time unless told)."""
    policy = session.policy
    trust = Trust(
        roots=session.roots,
        candidates=candidates_from(embedded, evidence.certs),
        crls=(*session.crls, *evidence.crls),
        moment=moment or policy.validation_time or datetime.now(UTC),
        hard_fail=policy.revocation_mode == "hard-fail",
        ocsps=(*session.ocsps, *evidence.ocsps),
    )
    result = validate(signer_cert, trust)
    if result.problem is not None:
        return Verdict(
            Indication.INDETERMINATE, result.problem, Integrity.INTACT, trust_code(result.problem), result.details
        )
    note = "DSTU 4145 signature, certificate path and CRLs verified"
    return Verdict(PASSED.indication, None, Integrity.INTACT, PASSED.message_code, _join(note, result.details))


def _timestamp_token(signer_info: cms.SignerInfo) -> cms.ContentInfo | None:
    """The first signature timestamp token among the unsigned attributes, if any."""
    try:
        unsigned = signer_info["unsigned_attrs"]
        if not isinstance(unsigned, cms.CMSAttributes):
            return None
        for attr in unsigned:
            if attr["type"].dotted == OID_SIGNATURE_TIMESTAMP and len(attr["values"]):
                token: cms.ContentInfo = attr["values"][0]
                return token
    except ASN1_ERRORS:
        return None
    return None


def _verify_timestamp(
    token: cms.ContentInfo,
    signer_info: cms.SignerInfo,
    embedded: list[x509.Certificate],
    session: Session,
    evidence: Evidence,
) -> tuple[datetime | None, str]:
    """The token's time when it verifies to a configured root, and a sentence for the details either way."""
    try:
        signed = token["content"]
        encap = signed["encap_content_info"]
        if encap["content_type"].dotted != OID_TST_INFO:
            return None, "signature timestamp does not verify: it holds no TSTInfo"
        tst_der = bytes(encap["content"].contents)
        tst = tsp.TSTInfo.load(tst_der)
        tsa_info = signed["signer_infos"][0]
        tsa_cert = _tsa_certificate(tsa_info, [*_certificates(signed), *embedded, *evidence.certs])
        if tsa_cert is None:
            return None, "signature timestamp not verified: the TSA's certificate is not in the signature"
        key = certificate_key(tsa_cert)
        attrs = _attributes(tsa_info)
        _check_crypto(tsa_info, tst_der, key, attrs)
        _check_signing_certificate(attrs, tsa_cert, key)
        imprint = tst["message_imprint"]
        digest_oid = imprint["hash_algorithm"]["algorithm"].dotted
        value = bytes(signer_info["signature"].native)
        digests = {f(value) for f in (hash_function(digest_oid, s) for s in (key.sbox, DEFAULT_SBOX)) if f}
        if bytes(imprint["hashed_message"].native) not in digests:
            return None, "signature timestamp does not verify: it was made for another signature"
        purposes = tsa_cert.extended_key_usage_value
        if purposes is None or "time_stamping" not in purposes.native:
            return None, "signature timestamp does not verify: the certificate is not a TSA's (no timeStamping)"
        when = tst["gen_time"].native
        trust = _trust_verdict(tsa_cert, [*_certificates(signed), *embedded], session, evidence)
        if trust.indication is not Indication.TOTAL_PASSED:
            return None, f"signature timestamp of {when.isoformat()} not trusted: {trust.details}"
        return when, f"signature timestamp verified: {when.isoformat()}"
    except _Stop as stop:
        return None, f"signature timestamp does not verify: {stop.verdict.details}"
    except (DSTUError, *ASN1_ERRORS) as exc:
        return None, f"signature timestamp unreadable: {type(exc).__name__}"


def _certificates(signed: cms.SignedData) -> list[x509.Certificate]:
    found = signed["certificates"]
    if not isinstance(found, cms.CertificateSet):
        return []
    return [c.chosen for c in found if c.name == "certificate"]


def _tsa_certificate(tsa_info: cms.SignerInfo, certs: list[x509.Certificate]) -> x509.Certificate | None:
    """The certificate the token's SignerInfo names, by issuer and serial or by subject key identifier."""
    sid = tsa_info["sid"]
    for cert in certs:
        if sid.name == "issuer_and_serial_number":
            wanted = sid.chosen
            if wanted["serial_number"].native == cert.serial_number and same_name(wanted["issuer"], cert.issuer):
                return cert
        elif cert.key_identifier is not None and bytes(sid.chosen.native) == cert.key_identifier:
            return cert
    return None


def _join(*parts: str | None) -> str:
    return "; ".join(p for p in parts if p)
