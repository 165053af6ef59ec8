"""The verification policy: everything a verification depends on besides the file.

Why an explicit object instead of module settings: the same process verifies
with different trust roots in tests, the CLI and intake; nothing is read from
the environment or the operating system's certificate store.  The object is
frozen so a verification cannot change the policy of the next one.

Settings in ``config.toml`` (section ``[signatures]``) map onto it through
:meth:`VerificationPolicy.from_settings`.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from asn1crypto import cms, crl, x509

if TYPE_CHECKING:
    from signatures.algorithms import NationalCryptoBackend

RevocationMode = Literal["hard-fail", "soft-fail"]
REVOCATION_MODES: tuple[str, ...] = ("hard-fail", "soft-fail")

_MIB = 1024 * 1024
_PEM_CERT = re.compile(
    rb"-----BEGIN (?:TRUSTED |X509 )?CERTIFICATE-----(.+?)-----END (?:TRUSTED |X509 )?CERTIFICATE-----",
    re.DOTALL,
)
_CERT_SUFFIXES = {".pem", ".crt", ".cer", ".der", ".p7b", ".p7c"}


class PolicyError(ValueError):
    """A policy setting or trust-root file is unusable (an admin must fix it)."""


@dataclass(frozen=True)
class VerificationPolicy:
    """How to verify: trust, revocation, bounds and (for tests) the clock.

    Defaults are the safe ones: no trust roots (so nothing passes until an
    administrator configures the qualified providers' CAs), revocation status
    required ("hard-fail"), no network access.
    """

    trust_roots: tuple[bytes, ...] = ()
    """DER-encoded trust anchors. Never the OS store; never fetched certs."""

    revocation_mode: RevocationMode = "hard-fail"
    """'hard-fail': unknown revocation status gives INDETERMINATE.
    'soft-fail' (explicit opt-in): unknown status is tolerated, a known
    revocation still fails."""

    allow_online_fetch: bool = False
    """Fetch OCSP responses / CRLs (and missing intermediates, which are never
    trusted by themselves) over the network."""

    crls: tuple[bytes, ...] = ()
    """Offline CRLs (DER) supplied by the caller."""

    ocsp_responses: tuple[bytes, ...] = ()
    """Offline OCSP responses (DER) supplied by the caller."""

    max_file_bytes: int = 20 * _MIB
    max_pages: int = 500
    timeout_seconds: float = 30.0
    max_memory_bytes: int | None = 1024 * _MIB
    """Extra address space a verification may use (process isolation only)."""

    validation_time: datetime | None = None
    """Validate "as of" this moment (tests, re-checks); None means now."""

    isolate: bool = True
    """Run each verification in a forked child so a hostile file cannot hang or
    exhaust the caller.  Only tests of the in-process path turn it off."""

    national_backends: tuple[NationalCryptoBackend, ...] = field(default=())
    """Verifiers for DSTU 4145 & co. (see :mod:`signatures.algorithms`)."""

    def __post_init__(self) -> None:
        if self.revocation_mode not in REVOCATION_MODES:
            raise PolicyError(f"revocation_mode must be one of {REVOCATION_MODES}, got {self.revocation_mode!r}")
        if self.max_file_bytes <= 0 or self.max_pages <= 0:
            raise PolicyError("max_file_bytes and max_pages must be positive")
        if self.timeout_seconds <= 0:
            raise PolicyError("timeout_seconds must be positive")
        if self.validation_time is not None and self.validation_time.utcoffset() is None:
            raise PolicyError("validation_time must be timezone-aware")

    @classmethod
    def from_paths(
        cls,
        trust_roots: Iterable[str | Path] = (),
        *,
        crls: Iterable[str | Path] = (),
        ocsp_responses: Iterable[str | Path] = (),
        **kwargs: Any,
    ) -> VerificationPolicy:
        """Build a policy from files: each trust-root path may be a directory,
        a PEM bundle, a DER certificate or a PKCS#7 ``.p7b`` bundle (the form
        in which the central certification authority publishes its list)."""
        roots: list[bytes] = []
        for path in trust_roots:
            roots.extend(load_certificates(path))
        return cls(
            trust_roots=tuple(roots),
            crls=tuple(_read_der_or_pem(Path(p)) for p in crls),
            ocsp_responses=tuple(Path(p).read_bytes() for p in ocsp_responses),
            **kwargs,
        )

    @classmethod
    def from_settings(cls, settings: Any, **overrides: Any) -> VerificationPolicy:
        """Map the ``[signatures]`` settings section onto a policy.

        ``settings`` may be an object with attributes or a mapping with keys
        ``trust_roots`` (directory or bundle path), ``crl_dir`` (a folder of
        CRL files, DER or PEM, e.g. the providers' CRLs downloaded daily),
        ``revocation_mode``,
        ``allow_online_fetch``, ``max_file_mb``, ``max_pages``,
        ``timeout_seconds``.  Missing keys keep the safe defaults.
        """

        def get(name: str) -> Any:
            if isinstance(settings, Mapping):
                return settings.get(name)
            return getattr(settings, name, None)

        kwargs: dict[str, Any] = {}
        roots = get("trust_roots")
        if isinstance(roots, (str, Path)) and str(roots).strip() in ("", "."):
            roots = None  # an empty setting means "no trust roots", not the cwd
        if roots:
            paths = [roots] if isinstance(roots, (str, Path)) else list(roots)
            kwargs["trust_roots"] = tuple(der for p in paths for der in load_certificates(p))
        crl_dir = get("crl_dir")
        if isinstance(crl_dir, (str, Path)) and str(crl_dir).strip() not in ("", "."):
            kwargs["crls"] = load_crls(crl_dir)
        if get("revocation_mode") is not None:
            kwargs["revocation_mode"] = get("revocation_mode")
        if get("allow_online_fetch") is not None:
            kwargs["allow_online_fetch"] = bool(get("allow_online_fetch"))
        if get("max_file_mb") is not None:
            kwargs["max_file_bytes"] = int(float(get("max_file_mb")) * _MIB)
        if get("max_pages") is not None:
            kwargs["max_pages"] = int(get("max_pages"))
        if get("timeout_seconds") is not None:
            kwargs["timeout_seconds"] = float(get("timeout_seconds"))
        kwargs.update(overrides)
        return cls(**kwargs)


def load_certificates(path: str | Path) -> tuple[bytes, ...]:
    """Load certificates (as DER) from a directory, PEM bundle, DER file or
    PKCS#7 bundle.  Anything unparsable is an error rather than silently
    skipped: a typo in the trust store must not quietly drop a provider."""
    p = Path(path)
    if p.is_dir():
        out: list[bytes] = []
        for child in sorted(p.iterdir()):
            if child.is_file() and child.suffix.lower() in _CERT_SUFFIXES:
                out.extend(certificates_from_bytes(child.read_bytes(), child))
        return tuple(out)
    if not p.is_file():
        raise PolicyError(f"trust root path does not exist: {p}")
    return certificates_from_bytes(p.read_bytes(), p)


def certificates_from_bytes(data: bytes, origin: Path) -> tuple[bytes, ...]:
    """DER certificates from a PEM bundle, a DER certificate or a PKCS#7 bundle (``origin`` names it in errors)."""
    try:
        pem_blocks = _PEM_CERT.findall(data)
        if pem_blocks:
            ders = [base64.b64decode(b"".join(block.split())) for block in pem_blocks]
        elif data.lstrip().startswith(b"-----BEGIN PKCS7-----"):
            ders = _certs_from_pkcs7(_pem_body(data))
        else:
            try:
                check_certificate(data)
                ders = [data]
            except (ValueError, TypeError, KeyError):
                ders = _certs_from_pkcs7(data)
        for der in ders:
            check_certificate(der)
    except (ValueError, TypeError, KeyError) as exc:
        raise PolicyError(f"cannot read certificates from {origin}: {exc}") from exc
    if not ders:
        raise PolicyError(f"no certificates in {origin}")
    return tuple(ders)


def load_crls(path: str | Path) -> tuple[bytes, ...]:
    """Every CRL file (``.crl``, ``.der``, ``.pem``) in a folder, as DER.

    An unreadable file is an error, like a bad trust root: silently
    dropping a provider's CRL would turn a revocation into "status unknown"."""
    folder = Path(path)
    if not folder.is_dir():
        raise PolicyError(f"CRL folder does not exist: {folder}")
    out: list[bytes] = []
    for child in sorted(folder.iterdir()):
        if child.is_file() and child.suffix.lower() in {".crl", ".der", ".pem"}:
            der = _read_der_or_pem(child)
            try:
                crl.CertificateList.load(der)["tbs_cert_list"]["issuer"].native  # noqa: B018
            except (ValueError, TypeError, KeyError) as exc:
                raise PolicyError(f"cannot read CRL {child}: {exc}") from exc
            out.append(der)
    return tuple(out)


def check_certificate(der: bytes) -> None:
    """Raise ValueError/TypeError/KeyError unless ``der`` is a certificate we can use.

    Why not asn1crypto's full ``.native``: real Ukrainian certificates carry
    extensions it cannot read (a constructed GeneralizedTime in
    PrivateKeyUsagePeriod) and DSTU keys it does not know; neither matters for
    an anchor.  What is read here is what path validation needs."""
    tbs = x509.Certificate.load(der)["tbs_certificate"]
    for name in ("serial_number", "issuer", "subject", "validity"):
        tbs[name].native  # noqa: B018 - force the parse
    tbs["subject_public_key_info"]["algorithm"]["algorithm"].dotted  # noqa: B018


def _certs_from_pkcs7(data: bytes) -> list[bytes]:
    info = cms.ContentInfo.load(data)
    if info["content_type"].native != "signed_data":
        raise ValueError("PKCS#7 bundle is not SignedData")
    return [c.chosen.dump() for c in info["content"]["certificates"]]


def _pem_body(data: bytes) -> bytes:
    lines = [line for line in data.splitlines() if line and not line.startswith(b"-----")]
    return base64.b64decode(b"".join(lines))


def _read_der_or_pem(path: Path) -> bytes:
    data = path.read_bytes()
    if data.lstrip().startswith(b"-----BEGIN"):
        return _pem_body(data)
    return data
