"""Registration codes: unambiguous to type, never stored in clear, cheap to check.

A code is derived from a random per-code nonce with the code key (HMAC; `BACKOFFICE_CODE_KEY`, apart from the
session key so that rotating one leaves the other alone), so neither the database nor the
outbox ever holds it: the code letter is rendered at send time from the nonce. What the database keeps to
check a typed code is another keyed hash. A keyed hash is fast, and that is fine here: guessing is bounded by
the rate limits and the back-off throttles, not by hashing cost (see docs/security.md).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

#: No 0/O, 1/I/L: what the customer reads in the letter is what they type.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 12  # 31**12 ≈ 7.9e17 ≈ 2**59.5 codes
GROUP = 4


def new_nonce() -> str:
    return secrets.token_hex(16)


def derive(secret_key: str, nonce: str) -> str:
    """The code for a nonce, formatted ABCD-EFGH-JKMN."""
    digest = hmac.new(secret_key.encode(), b"registration-code/" + nonce.encode(), hashlib.sha256).digest()
    value = int.from_bytes(digest, "big")
    chars = []
    for _ in range(LENGTH):
        value, index = divmod(value, len(ALPHABET))
        chars.append(ALPHABET[index])
    code = "".join(chars)
    return "-".join(code[i : i + GROUP] for i in range(0, LENGTH, GROUP))


def normalise(typed: str) -> str:
    """What the customer typed, without spaces, dashes and case."""
    return "".join(ch for ch in typed.upper() if ch.isascii() and ch.isalnum())


def code_hash(secret_key: str, code: str) -> str:
    canonical = normalise(code)
    return hmac.new(
        secret_key.encode(), b"registration-code-hash/" + canonical.encode(), hashlib.sha256
    ).hexdigest()
