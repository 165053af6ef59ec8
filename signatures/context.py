"""Trust setup, validation contexts and small pyhanko helpers shared by the format modules.

Why a :class:`Session`: everything a verification needs besides the file —
parsed trust anchors, the trust manager, parsed offline revocation data, the
revocation rule — depends only on the policy, so it is built once per
:func:`signatures.verify` call, or once for the lifetime of a
:class:`signatures.Verifier`.  Those parts are immutable once built.

Why still a fresh ``ValidationContext`` per signature: pyhanko-certvalidator
caches paths, revocation results and every certificate a document brings
along inside the context; sharing one across files would let one customer's
file influence the verdict on another's.  Building one from the session's
pre-parsed parts costs a few dozen microseconds.

The trust manager is always built from the policy's roots, so the operating
system's store is never consulted (``trust_roots=None`` would fall back to it).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from asn1crypto import crl, ocsp, x509
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import (
    ExpiredError,
    InsufficientRevinfoError,
    NotYetValidError,
    PathBuildingError,
    RevokedError,
)
from pyhanko_certvalidator.path import ValidationPath
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)
from pyhanko_certvalidator.registry import SimpleTrustManager

from signatures.identity import identity_from_certificate
from signatures.policy import VerificationPolicy
from signatures.report import SignerIdentity

T = TypeVar("T")

_IDENTITY_CACHE_SIZE = 4096


@dataclass(frozen=True)
class Evidence:
    """Validation material a document carries itself (PAdES-LT/LTA, CAdES).

    Revocation data and certificates from the PDF's DSS, from the
    ``adbe-revocationInfoArchival`` signed attribute and from the CMS
    ``crls`` field.  None of it is ever a trust anchor: CRLs and OCSP
    responses are verified by certvalidator against the configured roots,
    certificates are only path-building candidates.
    """

    crls: tuple[crl.CertificateList, ...] = ()
    ocsps: tuple[ocsp.OCSPResponse, ...] = ()
    certs: tuple[x509.Certificate, ...] = ()

    def __add__(self, other: Evidence) -> Evidence:
        return Evidence(self.crls + other.crls, self.ocsps + other.ocsps, self.certs + other.certs)

    def __bool__(self) -> bool:
        return bool(self.crls or self.ocsps or self.certs)


NO_EVIDENCE = Evidence()


@dataclass
class Session:
    """What verifying under one policy needs, built once (see module docstring)."""

    policy: VerificationPolicy
    _identities: dict[bytes, SignerIdentity] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        policy = self.policy
        rule = (
            RevocationCheckingRule.CRL_OR_OCSP_REQUIRED
            if policy.revocation_mode == "hard-fail"
            else RevocationCheckingRule.CHECK_IF_DECLARED_SOFT
        )
        self.revinfo_policy = CertRevTrustPolicy(
            RevocationCheckingPolicy(ee_certificate_rule=rule, intermediate_ca_cert_rule=rule)
        )
        self.roots = tuple(x509.Certificate.load(der) for der in policy.trust_roots)
        """Parsed trust anchors, shared by certvalidator and the DSTU path builder."""
        self.trust_manager = SimpleTrustManager.build(trust_roots=self.roots)
        self.crls = tuple(crl.CertificateList.load(der) for der in policy.crls)
        self.ocsps = tuple(ocsp.OCSPResponse.load(der) for der in policy.ocsp_responses)

    def validation_context(
        self,
        evidence: Evidence = NO_EVIDENCE,
        *,
        moment: datetime | None = None,
        other_certs: Iterable[x509.Certificate] = (),
    ) -> ValidationContext:
        """A fresh context that knows only the policy and this document's evidence.

        Revocation: 'hard-fail' requires an OCSP response or CRL for every
        non-root certificate on the path (status unknown -> INDETERMINATE);
        'soft-fail' checks what is declared and available and tolerates the
        rest.  Online fetching is impossible with a fixed validation time
        (certvalidator refuses the combination), so a fixed time means
        offline.  ``moment`` overrides the policy's time (past signature
        validation); revocation data must then be current at that moment.
        """
        policy = self.policy
        when = moment or policy.validation_time
        return ValidationContext(
            trust_manager=self.trust_manager,
            other_certs=[*evidence.certs, *other_certs],
            crls=[*self.crls, *evidence.crls],
            ocsps=[*self.ocsps, *evidence.ocsps],
            allow_fetching=policy.allow_online_fetch and when is None,
            revinfo_policy=self.revinfo_policy,
            moment=when,
        )

    def identity(self, cert: x509.Certificate) -> SignerIdentity:
        """:func:`identity_from_certificate`, memoised by the certificate's DER.

        A pure function of the certificate, so a batch that sees the same
        signer again (the common case for one company's documents) reads the
        subject and extensions once."""
        key = cert.dump()
        cached = self._identities.get(key)
        if cached is None:
            cached = identity_from_certificate(cert)
            if len(self._identities) >= _IDENTITY_CACHE_SIZE:
                self._identities.clear()
            self._identities[key] = cached
        return cached


def run(coro: Awaitable[T], *contexts: ValidationContext) -> T:
    """Run a pyhanko coroutine, then release any HTTP sessions it opened."""

    async def _wrapped() -> T:
        try:
            return await coro
        finally:
            for vc in contexts:
                await vc.aclose()  # type: ignore[no-untyped-call]

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_wrapped())
    # Called from code that already runs an event loop in this thread (an async server, a browser driver, a
    # process forked from one): pyhanko's coroutine gets a loop of its own in a helper thread.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, _wrapped()).result()


def diagnose_chain(
    session: Session,
    cert: x509.Certificate,
    other_certs: Iterable[x509.Certificate],
    evidence: Evidence = NO_EVIDENCE,
) -> str | None:
    """Name the ETSI sub-indication pyhanko folded into
    CERTIFICATE_CHAIN_GENERAL_FAILURE.  Only called on that failure path, so
    the extra path validation costs nothing for good signatures."""
    return validate_path_at(session, cert, other_certs, evidence)[0]


def validate_path_at(
    session: Session,
    cert: x509.Certificate,
    other_certs: Iterable[x509.Certificate],
    evidence: Evidence = NO_EVIDENCE,
    *,
    moment: datetime | None = None,
) -> tuple[str | None, ValidationPath | None]:
    """Validate ``cert``'s path (at ``moment``, default the policy's time).

    Returns (None, path) when it is sound, else (ETSI sub-indication, None)."""
    vc = session.validation_context(evidence, moment=moment, other_certs=other_certs)
    validator = CertificateValidator(cert, validation_context=vc)
    try:
        path = run(validator.async_validate_usage(set()), vc)  # type: ignore[no-untyped-call]
    except RevokedError:
        return "REVOKED_NO_POE", None
    except InsufficientRevinfoError:
        return "TRY_LATER", None
    except ExpiredError:
        return "OUT_OF_BOUNDS_NO_POE", None
    except NotYetValidError:
        return "NOT_YET_VALID", None
    except PathBuildingError:
        return "NO_CERTIFICATE_CHAIN_FOUND", None
    except Exception:  # anything else: keep the generic answer
        return "CERTIFICATE_CHAIN_GENERAL_FAILURE", None
    return None, path
