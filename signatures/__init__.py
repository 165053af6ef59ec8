"""Qualified electronic signature (КЕП) verification for the back office.

One entry point, :func:`verify`, takes the received bytes and a
:class:`VerificationPolicy` and returns a frozen :class:`FileReport` with an
ETSI EN 319 102-1 indication, an integrity verdict, the signer's Ukrainian
identity and a sentence for the operator.  No Flask, no global state; this
package is the only place in the project that imports pyhanko.

The names below are loaded from their modules when first used (PEP 562), not
when the package is imported: a process that only shows stored reports (a web
worker reads :data:`MESSAGES`) would otherwise load pyHanko, its certificate
validator and aiohttp for nothing (about 26 MB and half a second a process,
docs/benchmarks.md).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Before pyHanko is first imported: see the module (it imports nothing of pyHanko itself).
from signatures import upstream_warnings  # noqa: F401

if TYPE_CHECKING:  # the same names, for type checkers (``X as X``: re-exported)
    from signatures.algorithms import AlgorithmInfo as AlgorithmInfo
    from signatures.algorithms import NationalCryptoBackend as NationalCryptoBackend
    from signatures.algorithms import NationalVerdict as NationalVerdict
    from signatures.api import Verifier as Verifier
    from signatures.api import verify as verify
    from signatures.cms import enveloped_content as enveloped_content
    from signatures.identity import ExpectedSigner as ExpectedSigner
    from signatures.messages import MESSAGES as MESSAGES
    from signatures.policy import PolicyError as PolicyError
    from signatures.policy import VerificationPolicy as VerificationPolicy
    from signatures.policy import load_certificates as load_certificates
    from signatures.report import FileReport as FileReport
    from signatures.report import Indication as Indication
    from signatures.report import Integrity as Integrity
    from signatures.report import SignatureReport as SignatureReport
    from signatures.report import SignedFile as SignedFile
    from signatures.report import SignerIdentity as SignerIdentity
    from signatures.report import SignerMatch as SignerMatch

#: Each public name and the module it lives in.
_HOMES = {
    "AlgorithmInfo": "algorithms",
    "NationalCryptoBackend": "algorithms",
    "NationalVerdict": "algorithms",
    "Verifier": "api",
    "verify": "api",
    "enveloped_content": "cms",
    "ExpectedSigner": "identity",
    "MESSAGES": "messages",
    "PolicyError": "policy",
    "VerificationPolicy": "policy",
    "load_certificates": "policy",
    "FileReport": "report",
    "Indication": "report",
    "Integrity": "report",
    "SignatureReport": "report",
    "SignedFile": "report",
    "SignerIdentity": "report",
    "SignerMatch": "report",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'signatures' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"signatures.{home}"), name)
    globals()[name] = value  # the next use finds it directly
    return value
