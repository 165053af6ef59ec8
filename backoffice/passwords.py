"""How the secrets people choose are kept: passwords as argon2id, the code word as a keyed hash.

Why the code word is not hashed as a password: it is checked by the product alone, never by a login page a
stranger can try (an operator types what the caller says; a new password is compared with it), and its owner
chose it to be said on the phone, so a slow hash bought little against a stolen database and cost a lot where
users wait. Each argon2id hash takes 64 MiB and 0.2-1.9 s on a shared two-core server: every filled form taken
from the mailbox, every code word an operator checks during a call, every new password when the code word is long.
An HMAC-SHA256 under the code key (``BACKOFFICE_CODE_KEY``, which the database never holds, as for the
registration codes) gives a stolen database nothing to try words against at all, which a slow hash of a short
word does not; whoever holds the key as well could derive every registration code anyway.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import unicodedata
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

#: The shortest password anyone (staff or customer) may choose.
MIN_PASSWORD = 12

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
#: The memory one hash takes, in bytes (``monitoring.server.reuse_hash_memory`` keeps that much for the next).
HASH_MEMORY = _hasher.memory_cost * 1024


#: One argon2id computation at a time in a process. A web worker runs several threads; hashes that overlapped in
#: one worker each needed a 64 MiB block of their own, and only one block is kept for the next hash
#: (``monitoring.server.reuse_hash_memory``), so the others were mapped and zeroed afresh each time, and a burst
#: of logins took a block per thread. In turn, every hash reuses the kept block and a worker holds one: code
#: redemptions through gunicorn ran 1.13x as many a second (docs/benchmarks.md). The two cores stay as busy: the
#: workers hash side by side, as many at once as there are workers.
_one_hash_at_a_time = threading.Lock()


def hash_secret(secret: str) -> str:
    with _one_hash_at_a_time:
        return _hasher.hash(secret)


def verify_secret(stored_hash: str, candidate: str) -> bool:
    if not stored_hash:
        return False
    try:
        with _one_hash_at_a_time:
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


#: How a stored code word that is a keyed hash begins; anything else is an argon2id hash stored before.
CODE_WORD_SCHEME = "hmac-sha256$"


def hash_code_word(code_key: str, code_word: str, salt: str | None = None) -> str:
    """The code word as it is stored: ``hmac-sha256$<salt>$<mac>``, HMAC-SHA256 under the code key of a random
    salt and the word's normal form (see the module). The salt keeps two applications with the same word from
    showing it in the table."""
    if not code_key:
        raise ValueError("the code key is not set (BACKOFFICE_CODE_KEY)")
    salt = secrets.token_hex(8) if salt is None else salt
    message = f"code-word/{salt}/{normalise_code_word(code_word)}".encode()
    return f"{CODE_WORD_SCHEME}{salt}${hmac.new(code_key.encode(), message, hashlib.sha256).hexdigest()}"


def code_word_could_be_password(code_word: str, min_password: int) -> bool:
    return len(normalise_code_word(code_word)) >= min_password


def code_word_matches(code_key: str, stored_hash: str, spoken: str) -> bool:
    """Whether ``spoken`` is the stored code word. A code word stored before the keyed hash is an argon2id hash,
    still checked as one: a hash cannot be turned into another, and those applications must still be confirmed."""
    if not stored_hash:
        return False
    if stored_hash.startswith(CODE_WORD_SCHEME):
        salt = stored_hash[len(CODE_WORD_SCHEME) :].partition("$")[0]
        return hmac.compare_digest(stored_hash, hash_code_word(code_key, spoken, salt))
    return verify_secret(stored_hash, normalise_code_word(spoken))


def code_word_is_slow(stored_hash: str) -> bool:
    """An argon2id code word of before the keyed hash: checking a password against it costs a slow hash."""
    return bool(stored_hash) and not stored_hash.startswith(CODE_WORD_SCHEME)
