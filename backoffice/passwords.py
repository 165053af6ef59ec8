"""Slow hashes (argon2id) for secrets people choose: passwords and the code word."""

from __future__ import annotations

import unicodedata
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

#: The shortest password anyone (staff or customer) may choose.
MIN_PASSWORD = 12

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


def verify_secret(stored_hash: str, candidate: str) -> bool:
    if not stored_hash:
        return False
    try:
        return _hasher.verify(stored_hash, candidate)
    except (VerificationError, InvalidHashError):
        return False


#: A hash of a phrase nobody types, with the hasher's parameters: written out here rather than made at import,
#: because an argon2id hash takes 64 MiB and a fraction of a second, and every process that imports this module
#: (the intake, the scheduler, each CLI command) paid for it although only a login ever needs it.
_DUMMY_LITERAL = "$argon2id$v=19$m=65536,t=3,p=4$KnsVM4XqUgX3s9WPbhp3Lw$wBzq/CR1yqVC+gL41gwsBrZINfLt5JJDZkik8dujILY"


@cache
def _dummy_hash() -> str:
    """Verified against when there is no account to check, so an unknown login costs the same time as a wrong
    password and the answer's timing does not tell which logins exist. Should the hasher's parameters change, the
    literal would cost less than a real hash: then a fresh one is made (once), so the costs stay equal."""
    if _hasher.check_needs_rehash(_DUMMY_LITERAL):
        return hash_secret("no such login: this hash only makes the answer take as long")
    return _DUMMY_LITERAL


def verify_or_dummy(stored_hash: str | None, candidate: str) -> bool:
    """Check a password against an account's hash, or against a dummy hash of the same cost when there is no
    account (``None``): either way one argon2id verification, and False for no account."""
    if stored_hash is None:
        verify_secret(_dummy_hash(), candidate)
        return False
    return verify_secret(stored_hash, candidate)


def normalise_code_word(code_word: str) -> str:
    """What the caller says is typed by an operator: case, accents written differently and spacing don't count."""
    text = unicodedata.normalize("NFKC", code_word).casefold()
    return " ".join(text.replace("’", "'").replace("ʼ", "'").split())


def hash_code_word(code_word: str) -> str:
    return hash_secret(normalise_code_word(code_word))


def code_word_could_be_password(code_word: str, min_password: int) -> bool:
    return len(normalise_code_word(code_word)) >= min_password


def code_word_matches(stored_hash: str, spoken: str) -> bool:
    return verify_secret(stored_hash, normalise_code_word(spoken))
