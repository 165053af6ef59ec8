"""A private PostgreSQL cluster, for tests that stop and restart the database under a running process.

The PostgreSQL the suite runs on (``BACKOFFICE_TEST_DATABASE_URL``) is shared by every test and every person on
the machine and must never be stopped. A test that needs an outage starts a cluster of its own: ``initdb`` into a
throwaway folder, ``pg_ctl`` on a free loopback port (no Unix socket), stopped and removed afterwards.

PostgreSQL refuses to run as root. Run as root (CI, the Debian set-up of ``scripts/test``), the cluster belongs
to the ``postgres`` account the server package creates and its programs run through ``runuser``; its folder is
then made outside pytest's temporary folder, which is private to root and which that account cannot enter.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.ports import free_port

#: Where Debian and Ubuntu install the server programs (one folder per major version); PATH and pg_config first.
_DEBIAN_BINARIES = Path("/usr/lib/postgresql")


class ClusterUnavailable(RuntimeError):
    """The server programs are missing or the cluster would not start; the message says which and why."""


def server_binaries() -> Path:
    """The folder holding ``initdb`` and ``pg_ctl``: on PATH, where ``pg_config`` says, else the newest Debian one."""
    found = shutil.which("pg_ctl")
    if found and Path(found).with_name("initdb").exists():
        return Path(found).parent
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False).stdout.strip()
        if out and (Path(out) / "initdb").exists():
            return Path(out)
    versions = sorted(
        (p for p in _DEBIAN_BINARIES.glob("*/bin") if (p / "initdb").exists() and p.parent.name.isdigit()),
        key=lambda p: int(p.parent.name),
    )
    if versions:
        return versions[-1]
    raise ClusterUnavailable("initdb and pg_ctl were not found (Debian: the postgresql package)")


class PgCluster:
    """One PostgreSQL server of its own: :meth:`start`, :meth:`stop`, :meth:`restart`, and its :attr:`url`.

    The port is chosen once, so a client keeps the same URL across restarts (as it would across a restart of a
    production server). Durability is switched off (``fsync``): the machine itself never crashes in a test, and
    a stop in ``immediate`` mode (a crash of the server) still loses nothing that was committed.
    """

    def __init__(self, *, database: str = "postgres") -> None:
        self.bin = server_binaries()
        self.port = free_port()
        self.database = database
        self.owner: str | None = None
        if os.geteuid() == 0:
            try:
                self.owner = pwd.getpwnam("postgres").pw_name
            except KeyError:
                raise ClusterUnavailable("running as root, and no postgres account to own the cluster") from None
        self.base = Path(tempfile.mkdtemp(prefix="backoffice-pgcluster-"))
        self.base.chmod(0o755)
        self.data = self.base / "data"
        self.data.mkdir()
        if self.owner:
            owner = pwd.getpwnam(self.owner)
            os.chown(self.data, owner.pw_uid, owner.pw_gid)
        self.log = self.data / "server.log"
        self._initialised = False

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the cluster's database (trust authentication on loopback, user postgres)."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{self.database}"

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.owner:
            command = ["runuser", "-u", self.owner, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False, cwd=self.base)

    def _check(self, result: subprocess.CompletedProcess[str], what: str) -> None:
        if result.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise ClusterUnavailable(f"{what} failed ({result.returncode}): {result.stdout}{result.stderr}\n{log}")

    def start(self) -> PgCluster:
        """Create the cluster the first time, then start the server and wait until it accepts connections."""
        if not self._initialised:
            self._check(
                self._run(
                    "initdb",
                    "-D",
                    str(self.data),
                    "-A",
                    "trust",
                    "-U",
                    "postgres",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                    "--no-sync",
                ),
                "initdb",
            )
            self._initialised = True
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories='' -c fsync=off "
            "-c shared_buffers=16MB -c max_connections=40"
        )
        self._check(
            self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start"), "pg_ctl start"
        )
        return self

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: ``fast`` (what a restart by the administrator does: sessions are cut off) or
        ``immediate`` (as if it crashed; it recovers at the next start)."""
        self._check(self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop"), f"pg_ctl stop -m {mode}")

    def restart(self, mode: str = "fast") -> None:
        self.stop(mode)
        self.start()

    @property
    def running(self) -> bool:
        return self._initialised and self._run("pg_ctl", "-D", str(self.data), "status").returncode == 0

    def destroy(self) -> None:
        """Stop the server if it runs and remove every file of the cluster."""
        try:
            if self.running:
                self.stop("immediate")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)
