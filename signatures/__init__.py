"""Qualified electronic signature (КЕП) verification for the back office.

One entry point, :func:`verify`, takes the received bytes and a
:class:`VerificationPolicy` and returns a frozen :class:`FileReport` with an
ETSI EN 319 102-1 indication, an integrity verdict, the signer's Ukrainian
identity and a sentence for the operator.  No Flask, no global state; this
package is the only place in the project that imports pyhanko.
"""

# Before pyHanko is first imported: see the module.
from signatures import upstream_warnings  # noqa: F401
from signatures.algorithms import AlgorithmInfo, NationalCryptoBackend, NationalVerdict
from signatures.api import Verifier, verify
from signatures.cms import enveloped_content
from signatures.identity import ExpectedSigner
from signatures.messages import MESSAGES
from signatures.policy import PolicyError, VerificationPolicy, load_certificates
from signatures.report import (
    FileReport,
    Indication,
    Integrity,
    SignatureReport,
    SignedFile,
    SignerIdentity,
    SignerMatch,
)

__all__ = [
    "MESSAGES",
    "AlgorithmInfo",
    "ExpectedSigner",
    "FileReport",
    "Indication",
    "Integrity",
    "NationalCryptoBackend",
    "NationalVerdict",
    "PolicyError",
    "SignatureReport",
    "SignedFile",
    "SignerIdentity",
    "SignerMatch",
    "VerificationPolicy",
    "Verifier",
    "enveloped_content",
    "load_certificates",
    "verify",
]
