"""Structured logs: configured once at the start of each long-running process (serve, scheduler, intake watch).

One JSON object per line (python-json-logger) on standard error, or readable text. The product's loggers
(``backoffice``, ``workflows``, ``signatures``) write at ``[logging] level``; libraries stay at WARNING whatever
the level, because at DEBUG they write what must never reach a log (SQLAlchemy prints statement parameters).
Whatever still slips into a record, the keys and passwords of the settings are blanked before it is written.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from typing import IO

from pythonjsonlogger.json import JsonFormatter

from backoffice.settings import LoggingSettings, Settings

PRODUCT_LOGGERS = ("backoffice", "workflows", "signatures")
LIBRARY_LEVEL = logging.WARNING
REDACTED = "[redacted]"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JSON_FIELDS = "%(levelname)s %(name)s %(process)d %(message)s"
#: The attribute marking the handler this module installed, so configuring again replaces it.
_MARK = "_backoffice_handler"


class Redact(logging.Filter):
    """Blanks the settings' secrets wherever they appear in a record: message, arguments, traceback, extras.

    A safety net, not the rule: the product never logs a secret on purpose (passwords, codes and code words are
    not logged at all, and cannot be listed here since every customer has their own).
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # Short values would blank ordinary words; every real key and token is long.
        self.secrets = sorted({s for s in secrets if s and len(s) >= 8}, key=len, reverse=True)

    def _clean(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        record.msg, record.args = self._clean(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._clean(record.exc_text)
        for key, value in list(vars(record).items()):
            if isinstance(value, str) and key not in {"msg", "exc_text"}:
                setattr(record, key, self._clean(value))
        return True


def secrets_of(settings: Settings) -> list[str]:
    return [
        settings.secret_key,
        settings.code_key,
        *settings.secret_key_fallbacks,
        settings.server.metrics_token,
        settings.smtp.password,
        settings.imap.password,
    ]


def formatter(config: LoggingSettings) -> logging.Formatter:
    if config.format == "text":
        return logging.Formatter(TEXT_FORMAT)
    return JsonFormatter(
        JSON_FIELDS,
        rename_fields={"levelname": "level", "name": "logger", "process": "pid"},
        timestamp="time",  # ISO 8601 in UTC, whatever the server's time zone
        json_ensure_ascii=False,
    )


def configured() -> bool:
    """Whether this process's log records go through :func:`configure`'s handler (a process it starts, such as an
    intake lane, then logs the same way)."""
    return any(getattr(h, _MARK, False) for h in logging.getLogger().handlers)


def configure(settings: Settings, *, stream: IO[str] | None = None) -> logging.Handler:
    """Send every log record of this process through one handler, formatted as ``[logging]`` says.

    Safe to call again (a test, a reloaded config): the handler installed before is replaced, not doubled.
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter(settings.logging))
    handler.addFilter(Redact(secrets_of(settings)))
    setattr(handler, _MARK, True)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(LIBRARY_LEVEL)
    for name in PRODUCT_LOGGERS:
        product = logging.getLogger(name)
        product.setLevel(settings.logging.level)
        product.propagate = True
        for old in [h for h in product.handlers if not getattr(h, _MARK, False)]:
            product.removeHandler(old)  # e.g. the embedded scheduler's own line format: one format per process
    return handler

