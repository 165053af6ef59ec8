"""DSTU keys in certificates, and signatures on certificates and CRLs.

Why parse the SubjectPublicKeyInfo ourselves: asn1crypto maps key algorithms
it knows onto key classes and fails (or misreads) on DSTU 4145's OIDs and
parameters.  :func:`spki_key` reads the few fields with the strict reader of
:mod:`signatures.dstu.der` and raises only :class:`DSTUError`.

Why read extensions one by one (:func:`extensions`): asn1crypto's convenience
properties parse every extension of a certificate at once, and real Ukrainian
certificates carry extensions it cannot read (a constructed GeneralizedTime in
PrivateKeyUsagePeriod, for one).  A failure there must not hide the ones we
need, nor crash a verification.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from asn1crypto import core, crl, x509

from signatures.algorithms import is_national_oid
from signatures.dstu import (
    BYTE_ORDER_BY_OID,
    DSTUError,
    PublicKey,
    decode_parameters,
    der,
    digest_function,
    gost34311,
    unwrap_signature,
    verify,
)
from signatures.dstu.dstu4145 import ByteOrder, signature_length
from signatures.dstu.gost28147 import SBox

ASN1_ERRORS = (ValueError, TypeError, KeyError, IndexError, OverflowError, AttributeError)
"""What asn1crypto raises on malformed input (lazily, from deep inside)."""


@dataclass(frozen=True)
class DstuKey:
    """A DSTU 4145 public key with what verifying needs beside the point."""

    key: PublicKey
    sbox: SBox
    """S-box for GOST 34.311 hashes made for this key (the parameters' DKE)."""
    byte_order: ByteOrder


_HASHLIB = {
    "1.3.14.3.2.26": "sha1",
    "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
}


def hash_function(oid: str, sbox: SBox) -> Callable[[bytes], bytes] | None:
    """The hash for a digest algorithm OID: national ones with the key's
    S-box, the SHA-2 family by OID; None when we do not implement it."""
    if is_national_oid(oid):
        try:
            return digest_function(oid, sbox)
        except DSTUError:
            return None
    name = _HASHLIB.get(oid)
    if name is None:
        return None
    return lambda data: hashlib.new(name, data).digest()


def spki_key(spki: bytes) -> DstuKey:
    """Decode a DER SubjectPublicKeyInfo holding a DSTU 4145 key."""
    try:
        return _spki_key(bytes(spki))
    except DSTUError:
        raise
    except (ValueError, TypeError, IndexError, OverflowError) as exc:  # defensive
        raise DSTUError(f"bad DSTU public key: {exc}") from None


@functools.lru_cache(maxsize=256)
def _spki_key(spki: bytes) -> DstuKey:
    # Memoised: decoding validates the point (n*Q = O), ~25 ms at m = 257.
    algorithm, bits = der.read_children(der.expect(der.read_one(spki), der.SEQUENCE, "SubjectPublicKeyInfo"))
    parts = der.read_children(der.expect(algorithm, der.SEQUENCE, "AlgorithmIdentifier"))
    if len(parts) != 2:
        raise DSTUError("a DSTU key algorithm carries parameters")
    oid = der.decode_oid(der.expect(parts[0], der.OID, "key algorithm"))
    order = BYTE_ORDER_BY_OID.get(oid)
    if order is None:
        raise DSTUError(f"not a DSTU 4145 key: {oid}")
    params = decode_parameters(der.encode_tlv(parts[1].tag, parts[1].content), order)
    raw = der.expect(bits, der.BIT_STRING, "subjectPublicKey")
    if not raw or raw[0] != 0:
        raise DSTUError("subjectPublicKey must have no unused bits")
    return DstuKey(PublicKey.from_octet_string(raw[1:], params.curve, order), params.sbox, order)


def certificate_key(cert: x509.Certificate) -> DstuKey:
    """The DSTU key of ``cert``; :class:`DSTUError` for any other key or a malformed one."""
    try:
        spki = cert["tbs_certificate"]["subject_public_key_info"].dump()
    except ASN1_ERRORS as exc:
        raise DSTUError(f"unreadable certificate: {exc}") from None
    return spki_key(spki)


def raw_signature(value: bytes, key: DstuKey) -> bytes:
    """The 2L-byte signature value from a CMS or X.509 signature field.

    Certificates wrap it in a DER OCTET STRING; CMS SignerInfos carry it
    bare or wrapped, depending on the tool.  The two lengths differ, so
    accepting both is unambiguous."""
    if len(value) == signature_length(key.key.curve):
        return value
    return unwrap_signature(value)


@functools.lru_cache(maxsize=512)
def verify_signed(tbs: bytes, algorithm_oid: str, signature: bytes, issuer: DstuKey) -> bool:
    """Whether ``signature`` (algorithm ``algorithm_oid``) by ``issuer`` covers the DER ``tbs``.

    The hash is GOST 34.311 with the issuer's S-box: the signature OIDs of
    DSTU 4145 name that pairing.

    Remembered per process: the same providers' certificates and CRLs come
    with every file the intake's long-lived verifier worker checks, and each
    costs a pure-Python DSTU verification; the answer depends only on these
    arguments, so a remembered one is exactly the one that would be computed."""
    order = BYTE_ORDER_BY_OID.get(algorithm_oid)
    if order is None:
        return False
    try:
        raw = raw_signature(signature, issuer)
    except DSTUError:
        return False
    return verify(issuer.key, gost34311(tbs, sbox=issuer.sbox), raw, order)


def certificate_signed_by(cert: x509.Certificate, issuer: DstuKey) -> bool:
    """Whether ``issuer``'s key signed ``cert``."""
    return _signed_by(cert, "tbs_certificate", "signature_value", issuer)


def crl_signed_by(crl_: crl.CertificateList, issuer: DstuKey) -> bool:
    """Whether ``issuer``'s key signed the CRL."""
    return _signed_by(crl_, "tbs_cert_list", "signature", issuer)


def _signed_by(
    signed: x509.Certificate | crl.CertificateList, tbs_field: str, value_field: str, issuer: DstuKey
) -> bool:
    """A certificate and a CRL are signed the same way; only their fields are named differently."""
    try:
        tbs = signed[tbs_field].dump()
        oid = signed["signature_algorithm"]["algorithm"].dotted
        value = bytes(signed[value_field].native)
    except ASN1_ERRORS:
        return False
    return verify_signed(tbs, oid, value, issuer)


@dataclass(frozen=True)
class Extension:
    """One extension: its OID, criticality and raw value (parsed on demand)."""

    oid: str
    critical: bool
    value: bytes


def extensions(tbs: core.Sequence) -> dict[str, Extension]:
    """The extensions of a TBSCertificate or TBSCertList by OID.

    A repeated extension is an encoding error (RFC 5280 4.2): it raises
    ValueError, as does an unreadable extension list."""
    out: dict[str, Extension] = {}
    try:
        items = tbs["crl_extensions"] if isinstance(tbs, crl.TbsCertList) else tbs["extensions"]
        for ext in items:
            oid = ext["extn_id"].dotted
            if oid in out:
                raise ValueError(f"extension {oid} appears twice")
            out[oid] = Extension(oid, bool(ext["critical"].native), bytes(ext["extn_value"].contents))
    except ASN1_ERRORS as exc:
        raise ValueError(f"unreadable extensions: {exc}") from None
    return out


def parse_extension(exts: dict[str, Extension], oid: str, spec: Callable[[bytes], Any]) -> Any:
    """``spec(value).native`` of one extension, None when absent; ValueError when unreadable."""
    ext = exts.get(oid)
    if ext is None:
        return None
    try:
        return spec(ext.value).native
    except ASN1_ERRORS as exc:
        raise ValueError(f"unreadable extension {oid}: {exc}") from None
