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
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime

from asn1crypto import crl, x509

from signatures.national.certs import ASN1_ERRORS, DstuKey, Extension, crl_signed_by, extensions, parse_extension

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
