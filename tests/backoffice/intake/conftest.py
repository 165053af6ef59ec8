"""Intake fixtures: a Maildir to drop messages into, settings pointing at it, and a real Dovecot IMAP server.

Dovecot is started by the test on a loopback port with a throwaway mailbox and a certificate made for the
run (TLS as in production). With CI=true it must start, else the test fails; locally it skips when missing.
"""

from __future__ import annotations

import getpass
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask

from backoffice.database import Database
from backoffice.settings import Settings
from tests.conftest import IN_CI, STORAGE_BACKENDS, app_on
from tests.ports import free_port
from tests.services import self_signed

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


@dataclass
class Maildir:
    root: Path

    def drop(self, data: bytes, name: str | None = None) -> Path:
        """Deliver like a local mail server: write into tmp/, then rename into new/."""
        name = name or f"{time.time_ns()}.{uuid.uuid4().hex[:8]}.test"
        for sub in ("tmp", "new", "cur"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        tmp = self.root / "tmp" / name
        tmp.write_bytes(data)
        target = self.root / "new" / name
        tmp.rename(target)
        return target

    def waiting(self) -> list[Path]:
        return sorted(p for sub in ("new", "cur") for p in (self.root / sub).glob("*") if p.is_file())

    def processed(self) -> list[Path]:
        return sorted((self.root / ".Processed" / "cur").glob("*"))


@pytest.fixture(params=STORAGE_BACKENDS)
def storage_backend(request: pytest.FixtureRequest) -> str:
    """Every intake test runs with documents in a folder and in the database."""
    return str(request.param)


@pytest.fixture
def intake_settings(settings: Settings, tmp_path: Path) -> Settings:
    return settings.replace(
        intake={"source": "maildir", "maildir": str(tmp_path / "maildir")},
        mail={"sender": "Back office <noreply@supplier.example.ua>"},
    )


@pytest.fixture
def maildir(intake_settings: Settings) -> Maildir:
    return Maildir(intake_settings.maildir)


@pytest.fixture
def intake_db(db: Database) -> Database:
    return db


@pytest.fixture
def app(intake_settings: Settings, db: Database) -> Iterator[Flask]:
    """The web app on the intake's settings; its own engine is closed afterwards (no connection left open)."""
    flask_app = app_on(intake_settings, db)
    flask_app.config.update(TESTING=True)
    yield flask_app
    flask_app.extensions["backoffice.db"].dispose()


# -- Dovecot -----------------------------------------------------------------------------------------------------


@dataclass
class DovecotServer:
    host: str
    port: int
    username: str
    password: str
    ca_file: Path
    home: Path

    def settings_for(self, settings: Settings) -> Settings:
        return settings.replace(
            intake={"source": "imap"},
            imap={
                "host": self.host,
                "port": self.port,
                "security": "tls",
                "ca_file": str(self.ca_file),
                "username": self.username,
                "password": self.password,
                "folder": "INBOX",
                "timeout_seconds": 20,
                "idle_seconds": 5,
            },
        )


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"Dovecot is required in CI: {reason}")
    pytest.skip(f"Dovecot not available: {reason}")


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    if not Path(DOVECOT).exists():
        _unavailable(f"{DOVECOT} is not installed (Debian: dovecot-imapd)")
    # Dovecot's own processes (user dovecot when run as root) must reach the files: pytest's temporary folder
    # is private to us, so the server gets a folder of its own, removed afterwards.
    base = Path(tempfile.mkdtemp(prefix="backoffice-dovecot-"))
    base.chmod(0o755)
    home = base / "home"
    home.mkdir()
    run_dir = base / "run"
    run_dir.mkdir()
    cert, key = self_signed(base)
    user = getpass.getuser()
    uid, gid = os.getuid(), os.getgid()
    if uid == 0:  # Dovecot refuses to let root own a mailbox: the throwaway one belongs to "nobody"
        nobody = pwd.getpwnam("nobody")
        uid, gid = nobody.pw_uid, nobody.pw_gid
        os.chown(home, uid, gid)
    password = uuid.uuid4().hex
    (base / "users").write_text(f"intake:{{PLAIN}}{password}:{uid}:{gid}::{home}\n")
    port = free_port()
    internal = user if os.getuid() != 0 else "dovecot"
    login_user = user if os.getuid() != 0 else "dovenull"
    conf = base / "dovecot.conf"
    conf.write_text(
        f"""
protocols = imap
listen = 127.0.0.1
base_dir = {run_dir}
state_dir = {base / "state"}
log_path = {base / "dovecot.log"}
info_log_path = {base / "dovecot.log"}
ssl = required
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = yes
auth_mechanisms = plain login
default_internal_user = {internal}
default_login_user = {login_user}
first_valid_uid = 0
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%n {base / "users"}
}}
userdb {{
  driver = passwd-file
  args = username_format=%n {base / "users"}
}}
service imap-login {{
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
protocol imap {{
  mail_max_userip_connections = 50
}}
"""
    )
    (base / "state").mkdir()
    proc = subprocess.Popen([DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
            log = (base / "dovecot.log").read_text(errors="replace") if (base / "dovecot.log").exists() else ""
            _unavailable(f"dovecot exited: {out} {log}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        _unavailable("dovecot did not listen in time")
    try:
        yield DovecotServer("127.0.0.1", port, "intake", password, cert, home)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()
        shutil.rmtree(base, ignore_errors=True)
