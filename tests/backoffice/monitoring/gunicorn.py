"""A real ``backoffice serve`` (gunicorn) started by a test on a free loopback port, and HTTP requests to it."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conftest import TEST_CODE_KEY, TEST_SECRET
from tests.ports import free_port

METRICS_TOKEN = "metrics-token-" + "z" * 32
SAMPLE = re.compile(r"^(?P<name>[a-z_]+)(?:\{(?P<labels>[^}]*)\})? (?P<value>\S+)$")


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Served:
    """One gunicorn master and its workers; its standard error (the JSON log) goes to ``log_file``."""

    process: subprocess.Popen[bytes]
    port: int
    log_file: Path
    cookies: http.cookiejar.CookieJar = field(default_factory=http.cookiejar.CookieJar)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(
        self, path: str, *, headers: dict[str, str] | None = None, data: dict[str, str] | None = None
    ) -> Answer:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, headers=headers or {})
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect())
        try:
            with opener.open(req, timeout=30) as response:
                return Answer(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            return Answer(error.code, dict(error.headers), error.read())

    def metrics(self, **kwargs: Any) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
        answer = self.request("/metrics", **kwargs)
        assert answer.status == 200, answer.status
        return parse_metrics(answer.text)

    def log_lines(self) -> list[dict[str, Any]]:
        lines = []
        for line in self.log_file.read_text().splitlines():
            if line.startswith("{"):
                lines.append(json.loads(line))
        return lines

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def parse_metrics(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    samples = {}
    for line in text.splitlines():
        match = SAMPLE.match(line)
        if match:
            labels = frozenset(re.findall(r'(\w+)="([^"]*)"', match["labels"] or ""))
            samples[(match["name"], labels)] = float(match["value"])
    return samples


def value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def serve(database_url: str, folder: Path, *, environment: dict[str, str] | None = None, **server: Any) -> Served:
    """``backoffice serve`` with [server] keys given as environment variables, as an administrator would;
    ``environment`` sets any other ``BACKOFFICE_*`` key."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKOFFICE_") and k != "PROMETHEUS_MULTIPROC_DIR"}
    env.update(
        BACKOFFICE_DATABASE_URL=database_url,
        BACKOFFICE_SITE_INSTANCE_DIR=str(folder / "instance"),
        BACKOFFICE_SECRET_KEY=TEST_SECRET,
        BACKOFFICE_CODE_KEY=TEST_CODE_KEY,
        BACKOFFICE_METRICS_TOKEN=METRICS_TOKEN,
        BACKOFFICE_SERVER_BIND=f"127.0.0.1:{port}",
    )
    for key, setting in server.items():
        env[f"BACKOFFICE_SERVER_{key.upper()}"] = str(setting)
    env.update(environment or {})
    log_file = folder / "serve.log"
    command = [str(Path(sys.executable).with_name("backoffice")), "serve"]
    with log_file.open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=folder)
    served = Served(process, port, log_file)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"backoffice serve ended with {process.returncode}:\n{log_file.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            if served.request("/healthz").status == 200:
                return served
        except OSError:
            time.sleep(0.1)
    served.stop()
    raise AssertionError(f"backoffice serve did not answer within a minute:\n{log_file.read_text()}")
