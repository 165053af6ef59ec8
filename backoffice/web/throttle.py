"""Throttles, not locks, for guessing a secret of high entropy: registration codes and passwords.

A lock counted per identifier (five wrong tries and the code or the login is shut) lets anyone who knows the
identifier shut its owner out, and an EDRPOU, an OGRN or a staff login is no secret. A secret of ~2^59.5 (the
code) or a 12-character password gains nothing from a lock that a throttle does not give, so guessing is slowed
here in ways that never refuse the owner's try from the owner's own address:

* **per address and per network** (/24 for IPv4, /64 for IPv6): Flask-Limiter limits on the pages, keyed by
  :func:`address` and :func:`network`; they slow the guesser's machines, not the owner's;
* **exponential back-off per (identifier, address)**: after :attr:`Policy.free_tries` wrong tries from one
  address, each further wrong try from that address makes it wait twice as long (up to
  :attr:`Policy.max_wait_seconds`) before the next one is checked; a right answer clears it. An attacker
  elsewhere cannot slow the owner;
* **a ceiling per identifier** (:attr:`Policy.ceiling` wrong tries within :attr:`Policy.window_seconds`, from
  all addresses together): reaching it is logged as an alert and written to the audit trail, where the
  supervisors' dashboard shows it. From then on, until the window has passed, back-off starts at the first wrong
  try from an address and waits minutes, not seconds; the first try from an address that has not failed is
  still checked, so the owner still gets in with the right answer.

Counters live in the rate-limit storage (``[site] rate_limit_storage_uri``), shared by every web process when
that is Redis. Arithmetic: docs/security.md.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import format_timedelta
from flask_limiter.util import get_remote_address
from limits.storage import Storage
from sqlalchemy.orm import Session

from backoffice.actors import Actor
from backoffice.audit.trail import record
from backoffice.monitoring.counters import count_throttled
from backoffice.validation.identifiers import compact
from backoffice.web import limiter

log = logging.getLogger(__name__)

#: The audit action of a reached ceiling; the supervisors' dashboard lists these.
ALERT_ACTION = "guessing_alert"
#: While an identifier is over its ceiling, back-off waits are this many times longer.
ATTACKED_FACTOR = 60


@dataclass(frozen=True)
class Policy:
    """How guessing one kind of secret is slowed. Waits grow 1, 2, 4 … seconds after the free tries."""

    scope: str
    free_tries: int = 5
    max_wait_seconds: int = 3600
    ceiling: int = 1000
    window_seconds: int = 86400


@dataclass(frozen=True)
class Subject:
    """What the audit row of an alert is about, so staff find it beside the application, account or operator."""

    kind: str
    id: int | None


def address() -> str:
    return get_remote_address() or "-"


def network(ip: str | None = None) -> str:
    """The client's network: /24 for IPv4, /64 for IPv6 (one household or one small hosting customer)."""
    raw = ip if ip is not None else address()
    try:
        parsed = ipaddress.ip_address(raw)
    except ValueError:
        return raw
    prefix = 24 if parsed.version == 4 else 64
    return str(ipaddress.ip_network(f"{parsed}/{prefix}", strict=False))


def identifier_key(text: str) -> str:
    """A national identifier as the checks read it: NFKC, no separators, every Unicode digit as ASCII."""
    return "".join(str(unicodedata.decimal(ch)) for ch in compact(text) if ch.isdecimal())[:20]


def login_key(text: str) -> str:
    """A login as the login page looks it up; a login made of digits and separators (Flow B's OGRN, SNILS) is
    compacted like an identifier, so ``112-233-445 95`` and ``11223344595`` share one key."""
    normal = unicodedata.normalize("NFKC", text or "").strip().lower()
    digits = identifier_key(normal)
    return digits if digits and len(digits) == len(compact(normal)) else normal[:64]


def _storage() -> Storage:
    storage: Storage = limiter.limiter.storage
    return storage


def _keys(policy: Policy, identifier: str, ip: str) -> tuple[str, str, str]:
    base = f"throttle/{policy.scope}/{identifier}"
    return f"{base}/failed/{ip}", f"{base}/gate/{ip}", f"{base}/all"


def under_attack(policy: Policy, identifier: str) -> bool:
    return wrong_tries(policy, identifier) >= policy.ceiling


def wrong_tries(policy: Policy, identifier: str) -> int:
    """Wrong tries on this identifier from every address within the window."""
    return int(_storage().get(_keys(policy, identifier, "-")[2]))


def wait_seconds(policy: Policy, identifier: str, ip: str | None = None) -> int:
    """How long this address must wait before its next try on this identifier is checked (0: go ahead)."""
    storage = _storage()
    _failed, gate, _all = _keys(policy, identifier, ip or address())
    if not storage.get(gate):
        return 0
    count_throttled(policy.scope)
    return max(1, int(storage.get_expiry(gate) - time.time() + 0.999))


def failed(
    session: Session, policy: Policy, identifier: str, subject: Subject, ip: str | None = None
) -> None:
    """Count a wrong try; when it reaches the ceiling, log the alert and write it to the audit trail (the caller
    commits)."""
    storage = _storage()
    ip = ip or address()
    failed_key, gate, all_key = _keys(policy, identifier, ip)
    total = storage.incr(all_key, policy.window_seconds)
    mine = storage.incr(failed_key, policy.window_seconds)
    attacked = total >= policy.ceiling
    free = 0 if attacked else policy.free_tries
    if mine > free:
        unit = ATTACKED_FACTOR if attacked else 1
        cap = policy.window_seconds if attacked else policy.max_wait_seconds
        wait = min(unit * 2 ** min(mine - free - 1, 40), cap)
        storage.clear(gate)
        storage.incr(gate, int(wait))
    if total == policy.ceiling:
        log.warning(
            "security alert: %d wrong tries on %s %r within %d s; the last from %s",
            total, policy.scope, identifier, policy.window_seconds, ip,
        )
        record(
            session,
            Actor.system("throttle"),
            subject.kind,
            subject.id,
            ALERT_ACTION,
            reason=policy.scope,
            changes={"identifier": identifier, "wrong_tries": total, "window_seconds": policy.window_seconds},
        )


def succeeded(policy: Policy, identifier: str, ip: str | None = None) -> None:
    """The right answer from this address: its back-off for this identifier starts again from nothing."""
    storage = _storage()
    failed_key, gate, _all = _keys(policy, identifier, ip or address())
    storage.clear(failed_key)
    storage.clear(gate)


def limit_wait_seconds() -> int:
    """How long until the Flask-Limiter limit this request broke lets the next one through: the 429 pages say it,
    so the person knows whether to wait a minute or come back tomorrow (0 when no limit was broken)."""
    current = limiter.current_limit
    if current is None or not current.breached:
        return 0
    return max(1, current.reset_at - int(time.time()))


def wait_words(seconds: int) -> str:
    """A wait in the page's language ("80 seconds", "3 minutes", "2 hours"), never shorter than the real one:
    rounded up to whole minutes from two minutes on and to whole hours from two hours on, so that whoever comes
    back when it says is let in."""
    if seconds >= 7200:
        seconds = math.ceil(seconds / 3600) * 3600
    elif seconds >= 120:
        seconds = math.ceil(seconds / 60) * 60
    return str(format_timedelta(timedelta(seconds=max(1, seconds)), threshold=2))
