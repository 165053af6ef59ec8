"""A pytest plugin that fails any test which tries to reach a machine other than this one.

The suite drives real servers (PostgreSQL, Dovecot, SMTP, gunicorn, Chromium), all on loopback or Unix sockets.
A connection anywhere else means a test depends on the network (and may leak test data to it): the attempt is
refused before any packet leaves, and the test fails naming the address, even when the code under test catches
the error (a transport that retries, a health check that reports "down").

Only this process is guarded: the servers and CLI processes a test starts are held to loopback by their own
settings.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

#: Names that always mean this machine; any other name would need a DNS lookup, which is itself the network.
LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", ""})


class NetworkAccessDenied(Exception):
    """A test tried to connect to a machine other than this one.

    Not an ``OSError``: code that retries on connection errors must not swallow it as "server unreachable".
    """


_attempts: list[str] = []
_attempts_lock = threading.Lock()
_originals: dict[str, Callable[..., Any]] = {}


def is_local(host: str) -> bool:
    """Loopback (127.0.0.0/8, ::1, also IPv4-mapped), the unspecified address (this machine) or localhost."""
    host = host.split("%", 1)[0]  # an IPv6 scope ("fe80::1%eth0") is not part of the address
    if host.lower() in LOCAL_NAMES:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback or address.is_unspecified


def _refuse_remote(address: Any) -> None:
    """Raise (and remember, for the test's teardown) if ``address`` is an Internet address not on this machine."""
    if not isinstance(address, tuple) or not address or not isinstance(address[0], str | bytes):
        return  # a Unix socket's path, or a family with no host (netlink…)
    host = address[0].decode() if isinstance(address[0], bytes) else address[0]
    if is_local(host):
        return
    message = f"the test tried to connect to {host}:{address[1] if len(address) > 1 else '?'}, which is not loopback"
    with _attempts_lock:
        _attempts.append(message)
    raise NetworkAccessDenied(message)


def _connect(self: socket.socket, address: Any) -> None:
    _refuse_remote(address)
    _originals["connect"](self, address)


def _connect_ex(self: socket.socket, address: Any) -> int:
    _refuse_remote(address)
    result: int = _originals["connect_ex"](self, address)
    return result


def _create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
    _refuse_remote(address)  # before the name is looked up: resolving a remote name is already the network
    sock: socket.socket = _originals["create_connection"](address, *args, **kwargs)
    return sock


def pytest_configure(config: pytest.Config) -> None:
    """Guard the whole run, session fixtures included, from the start."""
    if _originals:
        return
    _originals.update(
        connect=socket.socket.connect,
        connect_ex=socket.socket.connect_ex,
        create_connection=socket.create_connection,
    )
    socket.socket.connect = _connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign,assignment]
    socket.create_connection = _create_connection  # type: ignore[assignment]


def pytest_unconfigure(config: pytest.Config) -> None:
    if not _originals:
        return
    socket.socket.connect = _originals.pop("connect")  # type: ignore[method-assign]
    socket.socket.connect_ex = _originals.pop("connect_ex")  # type: ignore[method-assign]
    socket.create_connection = _originals.pop("create_connection")


@pytest.fixture(autouse=True)
def network_attempts() -> Iterator[list[str]]:
    """The refused attempts of this test; any left at the end fails it, even if the code caught the error.

    A test that makes an attempt on purpose (to prove the guard) clears the list.
    """
    with _attempts_lock:
        _attempts.clear()
    yield _attempts
    with _attempts_lock:
        left, _attempts[:] = list(_attempts), []
    if left:
        pytest.fail("; ".join(left), pytrace=False)
