"""The request id of the work in progress, readable by services without importing Flask.

The web layer binds the id of each request (``X-Request-ID`` or a fresh one), the scheduler one per job run; the
audit trail copies it into every row it writes, so a log line and the audit rows of the same request find each
other. A ``ContextVar`` keeps threads (gunicorn's gthread workers) apart.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

#: What an incoming ``X-Request-ID`` may look like to be kept: what proxies and load balancers generate (hex,
#: UUIDs, base64url), nothing that could break a log line or smuggle text into it.
WELL_FORMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+/=-]{0,63}")

#: The WSGI environ key the request's matched route is left under for gunicorn's access log (never the raw path:
#: it may carry tokens).
ROUTE_KEY = "backoffice.route"

_current: ContextVar[str | None] = ContextVar("backoffice_request_id", default=None)


def new_id() -> str:
    return uuid.uuid4().hex


def accept(header: str | None) -> str:
    """The caller's id if it is well-formed, else a new one (a malformed id is never echoed back)."""
    if header and WELL_FORMED.fullmatch(header):
        return header
    return new_id()


def current() -> str | None:
    return _current.get()


def bind(request_id: str) -> Token[str | None]:
    return _current.set(request_id)


def unbind(token: Token[str | None]) -> None:
    _current.reset(token)


@contextmanager
def bound(request_id: str) -> Iterator[str]:
    token = bind(request_id)
    try:
        yield request_id
    finally:
        unbind(token)
