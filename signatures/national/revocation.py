"""Revocation status of a certificate from CRLs signed with DSTU 4145.

Why not certvalidator: it verifies CRL signatures through ``cryptography``,
which cannot verify DSTU.  The rules here are the conservative subset of RFC
5280 6.3 that complete CRLs of Ukrainian providers need:

* the CRL names the certificate's issuer, and the issuer's key (the next
  certificate on the verified path) signed it; a CA whose key usage lacks
  cRLSign signs no CRL we accept;
* it is current at the validation time (thisUpdate <= T <= nextUpdate);
* it is a complete CRL for this certificate: no delta CRLs, no indirect or
  reason-partitioned CRLs, an issuingDistributionPoint only when its scope
  (user/CA certificates, distribution point name) covers the certificate,
  no critical extension we do not process.

Anything else is not evidence: the status stays unknown (TRY_LATER under
hard-fail).  A listed serial is revoked, whatever its entry extensions say.

OCSP responses (RFC 6960) signed with DSTU are read the same conservative way,
for a certificate no usable CRL covers: the response is signed by the issuer's
own key, or by a responder certificate the issuer signed that carries
id-kp-OCSPSigning and is valid at the time; its single response names the
certificate by serial and by the hashes of the issuer's name and key (SHA-1,
SHA-2 or GOST 34.311); and it is current (thisUpdate <= T <= nextUpdate, a
response without nextUpdate is not).  "revoked" is revoked, "good" is good,
anything else proves nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime

from asn1crypto import crl, ocsp, x509

from signatures.dstu.gost28147 import DEFAULT_SBOX
from signatures.national.certs import (
    ASN1_ERRORS,
    DstuKey,
    Extension,
    certificate_key,
    certificate_signed_by,
    crl_signed_by,
    extensions,
    hash_function,
    parse_extension,
    verify_signed,
)

OID_CRL_NUMBER = "2.5.29.20"
OID_DELTA_CRL = "2.5.29.27"
OID_IDP = "2.5.29.28"
OID_AKI = "2.5.29.35"
OID_CRL_DP = "2.5.29.31"
_UNDERSTOOD_CRL_EXTENSIONS = {OID_CRL_NUMBER, OID_IDP, OID_AKI}


class Status(enum.Enum):
    """Revocation status established from CRLs."""

    GOOD = "good"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


def same_name(a: x509.Name, b: x509.Name) -> bool:
    """Name equality: identical DER, else RFC 5280 comparison (asn1crypto's)."""
    try:
        return a.dump() == b.dump() or bool(a == b)
    except ASN1_ERRORS:
        return False


def _full_names(value: object) -> set[str]:
    """URIs / names of a DistributionPointName's fullName, as comparable strings."""
    if not isinstance(value, list):
        return set()
    return {repr(name) for name in value}


def _covers(idp: Extension | None, cert_exts: dict[str, Extension], is_ca: bool) -> bool:
    if idp is None:
        return True
    try:
        scope = crl.IssuingDistributionPoint.load(idp.value).native
        if scope["indirect_crl"] or scope["only_some_reasons"] or scope["only_contains_attribute_certs"]:
            return False
        if (scope["only_contains_user_certs"] and is_ca) or (scope["only_contains_ca_certs"] and not is_ca):
            return False
        point = scope["distribution_point"]
        if point is None:
            return True
        wanted = _full_names(point)
        dps = parse_extension(cert_exts, OID_CRL_DP, x509.CRLDistributionPoints.load) or []
        offered: set[str] = set()
        for dp in dps:
            offered |= _full_names(dp["distribution_point"])
    except (*ASN1_ERRORS, TypeError):
        return False
    return bool(wanted & offered)


def _usable(
    candidate: crl.CertificateList,
    cert: x509.Certificate,
    cert_exts: dict[str, Extension],
    is_ca: bool,
    issuer: x509.Certificate,
    issuer_key: DstuKey,
    moment: datetime,
) -> bool:
    try:
        tbs = candidate["tbs_cert_list"]
        if not same_name(tbs["issuer"], issuer.subject):
            return False
        this_update = tbs["this_update"].native
        next_update = tbs["next_update"].native
        exts = extensions(tbs)
    except ASN1_ERRORS:
        return False
    if next_update is None or not this_update <= moment <= next_update:
        return False
    if OID_DELTA_CRL in exts or any(e.critical and e.oid not in _UNDERSTOOD_CRL_EXTENSIONS for e in exts.values()):
        return False
    if not _covers(exts.get(OID_IDP), cert_exts, is_ca):
        return False
    return crl_signed_by(candidate, issuer_key)


def crl_status(
    cert: x509.Certificate,
    cert_exts: dict[str, Extension],
    is_ca: bool,
    issuer: x509.Certificate,
    issuer_key: DstuKey,
    crls: Iterable[crl.CertificateList],
    moment: datetime,
) -> Status:
    """The status of ``cert`` at ``moment`` from the usable CRLs among ``crls``.

    Revoked if any usable CRL lists its serial number; good if at least one
    usable CRL exists and none lists it; unknown otherwise."""
    try:
        serial = cert.serial_number
    except ASN1_ERRORS:
        return Status.UNKNOWN
    found = False
    for candidate in crls:
        if not _usable(candidate, cert, cert_exts, is_ca, issuer, issuer_key, moment):
            continue
        found = True
        try:
            entries = candidate["tbs_cert_list"]["revoked_certificates"]
            if any(entry["user_certificate"].native == serial for entry in entries):
                return Status.REVOKED
        except ASN1_ERRORS:
            return Status.UNKNOWN  # a CRL we cannot read to the end proves nothing
    return Status.GOOD if found else Status.UNKNOWN


def ocsp_status(
    cert: x509.Certificate,
    issuer: x509.Certificate,
    issuer_key: DstuKey,
    responses: Iterable[ocsp.OCSPResponse],
    moment: datetime,
) -> Status:
    """The status of ``cert`` at ``moment`` from the acceptable OCSP responses among ``responses``."""
    found = False
    for response in responses:
        status = _ocsp_answer(response, cert, issuer, issuer_key, moment)
        if status is Status.REVOKED:
            return Status.REVOKED
        found = found or status is Status.GOOD
    return Status.GOOD if found else Status.UNKNOWN


def _ocsp_answer(
    response: ocsp.OCSPResponse, cert: x509.Certificate, issuer: x509.Certificate, issuer_key: DstuKey, moment: datetime
) -> Status:
    try:
        if response["response_status"].native != "successful":
            return Status.UNKNOWN
        basic = response["response_bytes"]["response"].parsed
        tbs = basic["tbs_response_data"]
        responder = _responder_key(basic, issuer, issuer_key, moment)
        oid = basic["signature_algorithm"]["algorithm"].dotted
        if responder is None or not verify_signed(tbs.dump(), oid, bytes(basic["signature"].native), responder):
            return Status.UNKNOWN
        for single in tbs["responses"]:
            if not _names(single["cert_id"], cert, issuer):
                continue
            this_update, next_update = single["this_update"].native, single["next_update"].native
            if next_update is None or not this_update <= moment <= next_update:
                continue
            if single["cert_status"].name == "revoked":
                return Status.REVOKED
            if single["cert_status"].name == "good":
                return Status.GOOD
    except ASN1_ERRORS:
        return Status.UNKNOWN
    return Status.UNKNOWN


def _key_bits(cert: x509.Certificate) -> bytes:
    """The subjectPublicKey BIT STRING's value, which a CertID and a responder's key id hash."""
    return bytes(cert["tbs_certificate"]["subject_public_key_info"]["public_key"].contents[1:])


def _hashes(data: bytes, oids: Iterable[str]) -> set[bytes]:
    return {f(data) for f in (hash_function(oid, DEFAULT_SBOX) for oid in oids) if f is not None}


def _names(cert_id: ocsp.CertId, cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Whether the CertID is ``cert``'s: its serial, and the hashes of its issuer's name and key."""
    if cert_id["serial_number"].native != cert.serial_number:
        return False
    algorithm = cert_id["hash_algorithm"]["algorithm"].dotted
    return bytes(cert_id["issuer_name_hash"].native) in _hashes(issuer.subject.dump(), [algorithm]) and bytes(
        cert_id["issuer_key_hash"].native
    ) in _hashes(_key_bits(issuer), [algorithm])


#: How a responder's key may be hashed in its ResponderID: SHA-1 as RFC 6960 says, GOST 34.311 as some do.
_KEY_ID_HASHES = ("1.3.14.3.2.26", "1.2.804.2.1.1.1.1.2.1")


def _is_responder(responder_id: ocsp.ResponderId, cert: x509.Certificate) -> bool:
    if responder_id.name == "by_name":
        return same_name(responder_id.chosen, cert.subject)
    return bytes(responder_id.chosen.native) in _hashes(_key_bits(cert), _KEY_ID_HASHES)


def _responder_key(
    basic: ocsp.BasicOCSPResponse, issuer: x509.Certificate, issuer_key: DstuKey, moment: datetime
) -> DstuKey | None:
    """The issuer's own key, or a delegated responder's that the issuer authorised; None for anyone else."""
    responder_id = basic["tbs_response_data"]["responder_id"]
    if _is_responder(responder_id, issuer):
        return issuer_key
    offered = basic["certs"]
    for candidate in offered if isinstance(offered, ocsp.Certificates) else ():
        if not _is_responder(responder_id, candidate) or not same_name(candidate.issuer, issuer.subject):
            continue
        purposes = candidate.extended_key_usage_value
        validity = candidate["tbs_certificate"]["validity"]
        if (
            purposes is not None
            and "ocsp_signing" in purposes.native
            and validity["not_before"].native <= moment <= validity["not_after"].native
            and certificate_signed_by(candidate, issuer_key)
        ):
            return certificate_key(candidate)
    return None
