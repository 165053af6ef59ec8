"""Validation context and small pyhanko helpers shared by the format modules.

Why a fresh context per verification: pyhanko-certvalidator caches paths and
revocation results inside a ``ValidationContext``; sharing one across files
would make one customer's file influence another's verdict.  The trust manager
is always built from the policy's roots, so the operating system's store is
never consulted (passing ``trust_roots=None`` would fall back to it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from typing import TypeVar

from asn1crypto import x509
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import (
    ExpiredError,
    InsufficientRevinfoError,
    NotYetValidError,
    PathBuildingError,
    RevokedError,
)
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)
from pyhanko_certvalidator.registry import SimpleTrustManager

from signatures.policy import VerificationPolicy

T = TypeVar("T")


def build_validation_context(
    policy: VerificationPolicy, other_certs: Iterable[x509.Certificate] = ()
) -> ValidationContext:
    """A validation context that knows only what the policy says.

    Revocation: 'hard-fail' requires an OCSP response or CRL for every
    non-root certificate on the path (status unknown -> INDETERMINATE);
    'soft-fail' checks what is declared and available and tolerates the rest.
    Online fetching is impossible with a fixed validation time (certvalidator
    refuses the combination), so a fixed time means offline.
    """
    rule = (
        RevocationCheckingRule.CRL_OR_OCSP_REQUIRED
        if policy.revocation_mode == "hard-fail"
        else RevocationCheckingRule.CHECK_IF_DECLARED_SOFT
    )
    revinfo_policy = CertRevTrustPolicy(
        RevocationCheckingPolicy(ee_certificate_rule=rule, intermediate_ca_cert_rule=rule)
    )
    roots = [x509.Certificate.load(der) for der in policy.trust_roots]
    return ValidationContext(
        trust_manager=SimpleTrustManager.build(trust_roots=roots),
        other_certs=list(other_certs),
        crls=list(policy.crls),
        ocsps=list(policy.ocsp_responses),
        allow_fetching=policy.allow_online_fetch and policy.validation_time is None,
        revinfo_policy=revinfo_policy,
        moment=policy.validation_time,
    )


def run(coro: Awaitable[T], *contexts: ValidationContext) -> T:
    """Run a pyhanko coroutine, then release any HTTP sessions it opened."""

    async def _wrapped() -> T:
        try:
            return await coro
        finally:
            for vc in contexts:
                await vc.aclose()  # type: ignore[no-untyped-call]

    return asyncio.run(_wrapped())


def diagnose_chain(
    policy: VerificationPolicy,
    cert: x509.Certificate,
    other_certs: Iterable[x509.Certificate],
) -> str | None:
    """Name the ETSI sub-indication pyhanko folded into
    CERTIFICATE_CHAIN_GENERAL_FAILURE.  Only called on that failure path, so
    the extra path validation costs nothing for good signatures."""
    vc = build_validation_context(policy, other_certs)
    validator = CertificateValidator(cert, validation_context=vc)
    try:
        run(validator.async_validate_usage(set()), vc)  # type: ignore[no-untyped-call]
    except RevokedError:
        return "REVOKED_NO_POE"
    except InsufficientRevinfoError:
        return "TRY_LATER"
    except ExpiredError:
        return "OUT_OF_BOUNDS_NO_POE"
    except NotYetValidError:
        return "NOT_YET_VALID"
    except PathBuildingError:
        return "NO_CERTIFICATE_CHAIN_FOUND"
    except Exception:  # diagnosis only; keep the generic answer
        return None
    return None
