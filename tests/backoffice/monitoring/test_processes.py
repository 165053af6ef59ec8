"""The scheduler and the intake watcher, run as an administrator runs them, report to /readyz through heartbeats
and write JSON log lines."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from backoffice.database import Database
from backoffice.monitoring import heartbeat
from backoffice.types import utcnow
from tests.conftest import TEST_CODE_KEY, TEST_SECRET

#: The scheduler and the intake watcher run as processes of their own.
pytestmark = pytest.mark.committed


def _run(command: list[str], database_url: str, folder: Path, **settings: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKOFFICE_")}
    env.update(
        BACKOFFICE_DATABASE_URL=database_url,
        BACKOFFICE_SITE_INSTANCE_DIR=str(folder / "instance"),
        BACKOFFICE_SECRET_KEY=TEST_SECRET,
        BACKOFFICE_CODE_KEY=TEST_CODE_KEY,
        **settings,
    )
    with (folder / "process.log").open("wb") as log:
        return subprocess.Popen(
            [str(Path(sys.executable).with_name("backoffice")), *command], env=env, stdout=log, stderr=subprocess.STDOUT
        )


def _wait_for_beat(db: Database, name: str, process: subprocess.Popen[bytes], folder: Path) -> heartbeat.Heartbeat:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, (folder / "process.log").read_text()
        with db.session() as s:
            beat = heartbeat.read(s, [name]).get(name)
        if beat is not None:
            return beat
        time.sleep(0.2)
    raise AssertionError(f"no heartbeat {name}:\n{(folder / 'process.log').read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _json_lines(folder: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (folder / "process.log").read_text().splitlines() if line.startswith("{")]


@pytest.mark.parametrize("command", [["scheduler", "run"], ["intake", "watch"]])
def test_the_process_reports_its_heartbeat_and_logs_in_json(
    command: list[str], migrated: str, db: Database, tmp_path: Path
) -> None:
    started = utcnow()
    process = _run(command, migrated, tmp_path, BACKOFFICE_INTAKE_POLL_INTERVAL_SECONDS="1")
    try:
        name = heartbeat.SCHEDULER if command[0] == "scheduler" else heartbeat.INTAKE
        beat = _wait_for_beat(db, name, process, tmp_path)
        assert beat.beat_at >= started and beat.outcome == "ok"
        assert beat.process.endswith(f":{process.pid}")
        if command[0] == "scheduler":
            lines = _json_lines(tmp_path)
            assert any(line.get("job") == "deliver_letters" and line["outcome"] == "ok" for line in lines)
            with db.session() as s:
                assert heartbeat.read(s)["job:deliver_letters"].succeeded_at is not None
    finally:
        _stop(process)
    assert process.returncode == 0
