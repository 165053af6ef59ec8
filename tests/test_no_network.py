"""The suite's network guard (``tests/no_network.py``) refuses addresses off this machine, before any packet."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.no_network import NetworkAccessDenied, is_local

REPO = Path(__file__).resolve().parent.parent
TEST_NET = "192.0.2.1"  # RFC 5737: documentation only, never routed


def _connect(family: socket.AddressFamily, address: tuple[str, int], *, ex: bool = False) -> None:
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        (sock.connect_ex if ex else sock.connect)(address)


@pytest.mark.parametrize(
    "connect",
    [
        lambda: socket.create_connection((TEST_NET, 9), timeout=0.1),
        lambda: _connect(socket.AF_INET, (TEST_NET, 9)),
        lambda: _connect(socket.AF_INET, (TEST_NET, 9), ex=True),
        lambda: _connect(socket.AF_INET6, ("2001:db8::1", 9)),
        lambda: socket.create_connection(("example.com", 443), timeout=0.1),
    ],
    ids=["create_connection", "connect", "connect_ex", "ipv6", "by name"],
)
def test_a_remote_address_is_refused_and_named(connect: object, network_attempts: list[str]) -> None:
    with pytest.raises(NetworkAccessDenied, match="not loopback") as refused:
        connect()  # type: ignore[operator]
    assert any(host in str(refused.value) for host in (TEST_NET, "2001:db8::1", "example.com"))
    network_attempts.clear()  # the attempt was this test's point


def test_loopback_and_unix_sockets_are_allowed(tmp_path: Path) -> None:
    for host in ("127.0.0.1", "127.3.2.1", "::1", "localhost", "::ffff:127.0.0.1", "0.0.0.0"):
        assert is_local(host), host
    for host in (TEST_NET, "10.0.0.1", "2001:db8::1", "example.com", "::ffff:192.0.2.1"):
        assert not is_local(host), host
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        socket.create_connection(server.getsockname(), timeout=5).close()
    path = str(tmp_path / "s")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(path)
        server.listen()
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.connect(path)


def test_a_swallowed_attempt_still_fails_the_test(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """Code that catches every error (a retrying transport, a health check) cannot hide the attempt."""
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    pytester.makepyfile(
        f"""
        import socket

        def test_reaches_out():
            try:
                socket.create_connection(("{TEST_NET}", 25), timeout=0.1)
            except Exception:
                pass  # "mail server down, will retry"
        """
    )
    result = pytester.runpytest_subprocess("-p", "tests.no_network", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines([f"*the test tried to connect to {TEST_NET}:25, which is not loopback*"])
