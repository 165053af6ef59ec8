"""Algorithm detection, and the seam for a future national-crypto backend.

Why detect before pyhanko: many Ukrainian qualified signatures use DSTU 4145
with GOST 34.311-95 or Kupyna (DSTU 7564) hashes (OIDs under
1.2.804.2.1.1.1.1).  The Python crypto stack cannot verify them; handed to
pyhanko they end in an exception or a misleading "crypto failure".  The honest
answer is INDETERMINATE / UNSUPPORTED_ALGORITHM with the signer as the
certificate claims, so the operator verifies by hand.

The seam: a :class:`NationalCryptoBackend` (for example a wrapper around a
certified IIT/Cipher library) can be put into ``VerificationPolicy.
national_backends``; when one accepts the algorithm, it verifies instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from asn1crypto import cms, x509

if TYPE_CHECKING:
    from signatures.policy import VerificationPolicy
    from signatures.report import Indication

UA_NATIONAL_ARC = "1.2.804.2.1.1.1.1"
"""Arc of the Ukrainian national cryptographic algorithms."""

_UA_NAMES: tuple[tuple[str, str], ...] = (
    # Longest prefixes first: the first match wins.
    ("1.2.804.2.1.1.1.1.2.2", "dstu7564-kupyna"),
    ("1.2.804.2.1.1.1.1.2.1", "gost34311"),
    ("1.2.804.2.1.1.1.1.3.1", "dstu4145"),
    ("1.2.804.2.1.1.1.1.3", "dstu4145"),
    ("1.2.804.2.1.1.1.1.1", "gost28147"),
    (UA_NATIONAL_ARC, "ua-national"),
)

_SIG_NAMES = {
    "rsassa_pkcs1v15": "rsa",
    "rsassa_pss": "rsa-pss",
    "ecdsa": "ecdsa",
    "ed25519": "ed25519",
    "ed448": "ed448",
    "dsa": "dsa",
}


def is_national_oid(oid: str) -> bool:
    """True for any OID in the Ukrainian national algorithm arc."""
    return oid == UA_NATIONAL_ARC or oid.startswith(UA_NATIONAL_ARC + ".")


def national_name(oid: str) -> str:
    """Short readable name of a national algorithm OID."""
    for prefix, name in _UA_NAMES:
        if oid == prefix or oid.startswith(prefix + "."):
            return name
    return oid


@dataclass(frozen=True)
class AlgorithmInfo:
    """What a signer info uses, in words fit for the report."""

    digest_oid: str
    signature_oid: str
    key_oid: str | None
    national: bool
    name: str


def _oid(value: object) -> str:
    dotted = getattr(value, "dotted", None)
    return str(dotted) if dotted is not None else str(value)


def describe(signer_info: cms.SignerInfo, cert: x509.Certificate | None) -> AlgorithmInfo:
    """Describe the algorithms of ``signer_info``; never raises on odd OIDs.

    The certificate's key algorithm counts too: a DSTU key with a standard
    hash OID is still nothing we can verify.
    """
    digest_oid = _oid(signer_info["digest_algorithm"]["algorithm"])
    sig_oid = _oid(signer_info["signature_algorithm"]["algorithm"])
    key_oid: str | None = None
    if cert is not None:
        try:
            key_oid = _oid(cert["tbs_certificate"]["subject_public_key_info"]["algorithm"]["algorithm"])
        except (ValueError, KeyError, TypeError):
            key_oid = None
    oids = [digest_oid, sig_oid] + ([key_oid] if key_oid else [])
    national = any(is_national_oid(o) for o in oids)
    if national:
        sig_part = next(
            (national_name(o) for o in (sig_oid, key_oid or "") if is_national_oid(o)),
            "dstu4145",
        )
        digest_part = national_name(digest_oid) if is_national_oid(digest_oid) else _digest_name(signer_info)
        return AlgorithmInfo(digest_oid, sig_oid, key_oid, True, f"{sig_part}-{digest_part}")
    sig_native = str(signer_info["signature_algorithm"]["algorithm"].native)
    digest = _digest_name(signer_info)
    if sig_native.endswith(("_ecdsa", "_rsa", "_dsa")):
        # combined OIDs such as sha256_ecdsa / sha256_rsa
        hash_part, _, sig_part = sig_native.partition("_")
        name = f"{_SIG_NAMES.get(sig_part, sig_part)}-{hash_part}"
    else:
        name = f"{_SIG_NAMES.get(sig_native, sig_native)}-{digest}"
    return AlgorithmInfo(digest_oid, sig_oid, key_oid, False, name)


def _digest_name(signer_info: cms.SignerInfo) -> str:
    return str(signer_info["digest_algorithm"]["algorithm"].native)


@dataclass(frozen=True)
class NationalVerdict:
    """What a national-crypto backend concludes about one CMS signature.

    It covers what pyhanko would have: the content digest, the signature value
    and the certificate chain against the policy's trust roots.  Integrity of
    the surrounding PDF (coverage, later revisions) stays with this library.
    """

    indication: Indication
    sub_indication: str | None
    digest_matches: bool
    signature_valid: bool
    details: str | None = None


@runtime_checkable
class NationalCryptoBackend(Protocol):
    """Plug-in verifier for DSTU 4145 / GOST 34.311 / Kupyna signatures."""

    name: str

    def supports(self, algorithm: AlgorithmInfo) -> bool:
        """Whether this backend can verify signatures with ``algorithm``."""
        ...

    def verify(
        self,
        signed_data: bytes,
        content: bytes,
        *,
        policy: VerificationPolicy,
    ) -> NationalVerdict:
        """Verify DER ``signed_data`` (a CMS ContentInfo) over ``content``."""
        ...


def select_backend(
    backends: tuple[NationalCryptoBackend, ...], algorithm: AlgorithmInfo
) -> NationalCryptoBackend | None:
    """First backend that declares support for ``algorithm``, if any."""
    for backend in backends:
        if backend.supports(algorithm):
            return backend
    return None
