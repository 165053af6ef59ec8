"""Real servers that tests start for themselves on loopback, shared by every test folder that needs one."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from flask import Flask
from freezegun import freeze_time

from backoffice.web import limiter
from tests.conftest import REPO, TEST_CODE_KEY, TEST_SECRET, unavailable
from tests.ports import free_port, wait_for_port


@pytest.fixture
def redis_server() -> Iterator[str]:
    """A Redis server of this test's own, on a free loopback port, keeping nothing on disk; its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        unavailable("redis-server is not installed (Debian: redis-server)")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def cli_environment(database_url: str, instance_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of a ``backoffice`` command run as its own process, as a deployment gives it: this
    process's environment without any ``BACKOFFICE_`` variable of its own, the test keys, the database and the
    instance folder, then ``settings`` as ``BACKOFFICE_<SECTION>_<KEY>`` (``intake_maildir="…"``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKOFFICE_")}
    env.update(
        BACKOFFICE_CONFIG=str(REPO / "config.toml"),
        BACKOFFICE_SECRET_KEY=TEST_SECRET,
        BACKOFFICE_CODE_KEY=TEST_CODE_KEY,
        BACKOFFICE_DATABASE_URL=database_url,
        BACKOFFICE_SITE_INSTANCE_DIR=str(instance_dir),
    )
    env.update({f"BACKOFFICE_{key.upper()}": value for key, value in settings.items()})
    return env


def self_signed(folder: Path, name: str = "127.0.0.1") -> tuple[Path, Path]:
    """A certificate and key (PEM files in ``folder``) for ``name``, made for this run, usable as its own CA; an
    IP address also goes into the subject alternative names, as TLS clients check it there."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    try:
        alt: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        alt = x509.DNSName(name)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([alt]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_file.chmod(0o600)
    return cert_file, key_file


@pytest.fixture
def fresh_limits(app: Flask) -> Iterator[None]:
    """Rate-limit and throttle counters live in the process (or its Redis): each test starts with none."""
    with app.app_context():
        limiter.reset()
    yield
    with app.app_context():
        limiter.reset()


def throttle_clock() -> Any:
    """A frozen clock for tests of throttles, an hour ahead of the real one.

    The rate limiter's memory store drops expired keys from a thread of its own, and freezegun leaves threads on
    the real clock. Frozen at the real "now", a one-second back-off would vanish as soon as the machine took a
    second between two requests; frozen an hour ahead, nothing the test sets expires behind its back, while the
    test still moves its own clock with ``tick``.
    """
    return freeze_time(dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
