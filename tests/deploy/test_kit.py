"""The deployment kit in deploy/ is what an administrator copies onto a server: it must be valid as shipped.

systemd and nginx each check their own files here, with the paths of this checkout put where the kit says
/opt/backoffice, since that is the only change an administrator makes besides names and certificates.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

from tests.conftest import REPO, unavailable
from tests.services import self_signed

KIT = REPO / "deploy"
UNITS = ("backoffice-web.service", "backoffice-scheduler.service", "backoffice-intake.service")


def _units_here(tmp_path: Path) -> Path:
    """The units and their shared drop-in, pointing at this checkout instead of /opt/backoffice."""
    target = tmp_path / "units"
    shutil.copytree(KIT / "systemd", target)
    for file in [*target.glob("*.service"), *target.glob("*.d/*.conf")]:
        file.write_text(file.read_text().replace("/opt/backoffice", str(REPO)))
    return target


def _verify(units: Path, *names: str) -> str:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        unavailable("systemd-analyze is not installed (Debian: systemd)")
    result = subprocess.run(
        [tool, "verify", *(str(units / n) for n in names)],
        env={"SYSTEMD_UNIT_PATH": f"{units}:", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    # systemd-analyze exits 0 on many problems it only prints: any line about our files is a fault.
    return "\n".join(line for line in (result.stdout + result.stderr).splitlines() if str(units) in line)


def test_the_systemd_units_verify_clean(tmp_path: Path) -> None:
    units = _units_here(tmp_path)
    assert _verify(units, *UNITS) == ""


def test_the_units_run_the_documented_commands_with_the_shared_settings(tmp_path: Path) -> None:
    units = _units_here(tmp_path)
    commands = {n: next(x for x in (units / n).read_text().splitlines() if x.startswith("ExecStart=")) for n in UNITS}
    assert commands == {
        "backoffice-web.service": f"ExecStart={REPO}/.venv/bin/backoffice serve",
        "backoffice-scheduler.service": f"ExecStart={REPO}/.venv/bin/backoffice scheduler run",
        "backoffice-intake.service": f"ExecStart={REPO}/.venv/bin/backoffice intake watch",
    }
    # The drop-in is read for every unit: a fault planted in it is reported against each of them.
    with (units / "backoffice-.service.d" / "common.conf").open("a") as fh:
        fh.write("NoSuchSetting=1\n")
    assert _verify(units, *UNITS).count("NoSuchSetting") == len(UNITS)


def _nginx_test(tmp_path: Path, site: str) -> subprocess.CompletedProcess[str]:
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        unavailable("nginx is not installed (Debian: nginx)")
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{ access_log off; include {tmp_path}/site.conf; }}\n"
    )
    return subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_nginx_site_is_accepted_by_nginx(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path, "portal.example.org")
    site = (KIT / "nginx" / "backoffice.conf").read_text()
    site = site.replace("/etc/ssl/certs/portal.example.org.pem", str(cert))
    site = site.replace("/etc/ssl/private/portal.example.org.key", str(key))
    result = _nginx_test(tmp_path, site)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
    # The check can fail: a broken directive is refused.
    broken = _nginx_test(tmp_path, site.replace("proxy_read_timeout 75s;", "proxy_read_timeout;"))
    assert broken.returncode != 0


def test_the_setup_leaves_every_module_of_the_product_compiled() -> None:
    """The services run on a read-only /opt (``ProtectSystem=strict``) where Python cannot write ``__pycache__``:
    unless ``scripts/setup-env`` compiled them, every web worker, command and intake lane would compile the
    product's modules from source at each start. Checked as Python does: a compiled file counts only if it records
    its source's modification time and size."""
    subprocess.run(["bash", "scripts/setup-env", "--test"], cwd=REPO, check=True, capture_output=True, timeout=600)
    stale = []
    for package in ("backoffice", "workflows", "signatures"):
        for source in sorted((REPO / package).rglob("*.py")):
            compiled = Path(importlib.util.cache_from_source(str(source)))
            header = compiled.read_bytes()[:16] if compiled.exists() else b""
            status = source.stat()
            recorded = (int.from_bytes(header[8:12], "little"), int.from_bytes(header[12:16], "little"))
            if recorded != (int(status.st_mtime) & 0xFFFFFFFF, status.st_size & 0xFFFFFFFF):
                stale.append(str(source.relative_to(REPO)))
    assert not stale, f"not compiled by scripts/setup-env: {stale[:5]}"
