"""How letters leave: ``.eml`` files in a folder (the embedded default) or an SMTP server.

A transport tells apart three outcomes, because the sender treats them differently:

* the letter was accepted;
* :class:`Refused` — the server refused this letter (``permanent`` for a 5xx answer: retrying cannot help);
* :class:`Unavailable` — the transport itself cannot be used now (server down, login refused, TLS broken):
  that is not the letter's fault, so it uses up none of the letter's tries.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from backoffice.errors import BackofficeError
from backoffice.settings import Settings


class Refused(BackofficeError):
    """The letter was not accepted; the message is the server's own words."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class Unavailable(BackofficeError):
    """The transport cannot deliver anything right now."""


class Connection(Protocol):
    def send(self, message: EmailMessage, envelope_from: str, recipient: str) -> None: ...


class Transport(Protocol):
    name: str

    def connect(self) -> AbstractContextManager[Connection]: ...


class FolderTransport:
    """Each letter becomes ``<message id>.eml`` in a folder, a file a person can open in any mail program.

    The file is written under a temporary name and renamed, so a reader never sees half a letter, and a
    resend after a crash (same Message-ID) replaces the file instead of adding a second one.
    """

    name = "folder"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @contextmanager
    def connect(self) -> Iterator[FolderTransport]:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise Unavailable(f"cannot create the outbox folder {self.folder}: {exc}") from None
        yield self

    def send(self, message: EmailMessage, envelope_from: str, recipient: str) -> None:
        name = str(message["Message-ID"]).strip("<>").split("@")[0] + ".eml"
        data = message.as_bytes()
        try:
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, self.folder / name)
        except OSError as exc:
            raise Refused(f"cannot write {name}: {exc}", permanent=False) from None


class SmtpTransport:
    """An SMTP server: STARTTLS, implicit TLS or plain (loopback only), optional login, a timeout.

    One connection serves a batch of letters; a connection that drops is reopened once.
    """

    name = "smtp"

    def __init__(self, settings: Settings) -> None:
        self.smtp = settings.smtp

    def _tls(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.smtp.ca_file) if self.smtp.ca_file else None)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        return context

    def _open(self) -> smtplib.SMTP:
        smtp = self.smtp
        try:
            client: smtplib.SMTP
            if smtp.security == "tls":
                client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout_seconds, context=self._tls())
            else:
                client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds)
            try:
                client.ehlo()
                if smtp.security == "starttls":
                    if not client.has_extn("starttls"):
                        raise Unavailable(f"{smtp.host}:{smtp.port} does not offer STARTTLS")
                    client.starttls(context=self._tls())
                    client.ehlo()
                if smtp.username:
                    client.login(smtp.username, smtp.password)
            except BaseException:
                client.close()
                raise
        except Unavailable:
            raise
        except smtplib.SMTPAuthenticationError as exc:
            raise Unavailable(f"{smtp.host}:{smtp.port} refused the login: {_answer(exc)}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise Unavailable(f"cannot reach the SMTP server {smtp.host}:{smtp.port}: {_describe(exc)}") from None
        return client

    @contextmanager
    def connect(self) -> Iterator[_SmtpConnection]:
        connection = _SmtpConnection(self)
        try:
            yield connection
        finally:
            connection.close()


class _SmtpConnection:
    def __init__(self, transport: SmtpTransport) -> None:
        self.transport = transport
        self.client: smtplib.SMTP | None = transport._open()

    def send(self, message: EmailMessage, envelope_from: str, recipient: str) -> None:
        if self.client is None:
            self.client = self.transport._open()
        try:
            refused = self.client.send_message(message, from_addr=envelope_from, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            self._reset()
            raise Refused(f"{code} {_text(text)}", permanent=code >= 500) from None
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            self._reset()
            raise Refused(_answer(exc), permanent=exc.smtp_code >= 500) from None
        except (smtplib.SMTPException, OSError) as exc:
            # The connection broke in the middle: the letter may or may not have arrived. It is retried (with
            # the same Message-ID); the next letter gets a fresh connection.
            self.close()
            raise Refused(f"connection lost while sending: {_describe(exc)}", permanent=False) from None
        if refused:
            code, text = next(iter(refused.values()))
            raise Refused(f"{code} {_text(text)}", permanent=code >= 500)

    def _reset(self) -> None:
        try:
            if self.client is not None:
                self.client.rset()
        except (smtplib.SMTPException, OSError):
            self.close()

    def close(self) -> None:
        client, self.client = self.client, None
        if client is None:
            return
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()


def from_settings(settings: Settings) -> FolderTransport | SmtpTransport:
    if settings.mail.transport == "smtp":
        return SmtpTransport(settings)
    return FolderTransport(settings.outbox_dir)


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _answer(exc: smtplib.SMTPResponseException) -> str:
    return f"{exc.smtp_code} {_text(exc.smtp_error)}"


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return _answer(exc)
    return str(exc) or exc.__class__.__name__
