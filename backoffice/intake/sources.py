"""Where messages wait: a Maildir folder or an IMAP mailbox. Both hand out raw bytes and move what was taken.

A source never deletes: a handled message is moved to the processed folder (``[intake] processed_folder``),
and only after the back office has stored it and recorded it, so a crash in between leaves it where it was
(the next poll stores nothing new: the message key is already known) and never loses it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Protocol

from backoffice.documents.storage import CHUNK
from backoffice.settings import Settings

log = logging.getLogger(__name__)
#: How often a waiting IMAP IDLE is renewed, so that a watcher told to stop stops within this many seconds.
STOP_CHECK_SECONDS = 5.0
IMAP_CHUNK = 4 * 1024 * 1024
_LITERAL_SIZE = re.compile(rb"\{(\d+)\}$")


class Unreadable(Exception):
    """One message in the source cannot be read, though the source itself can (a Maildir file without read
    permission, a directory or a dangling link where a file should be, a message the IMAP server refuses).

    Deliberately not an ``OSError``: an ``OSError`` means the whole mailbox is away and the poll stops, while
    this is one message's trouble: it gets a quarantine row with the reason, stays where it is for a later
    poll to try again, and the others are taken in the same run.
    """

    def __init__(self, ref: str, reason: str) -> None:
        self.ref = ref
        self.reason = reason
        super().__init__(f"{ref}: {reason}")


class Gone(Exception):
    """The message left the source between being listed and being read (another poller took it): nothing to do."""


@dataclass(frozen=True)
class Waiting:
    """One message in the source: ``ref`` names it there (file name, UID)."""

    ref: str


class Source(Protocol):
    name: str

    def __enter__(self) -> Source: ...
    def __exit__(self, *exc: object) -> None: ...
    def waiting(self) -> Iterator[Waiting]: ...
    def chunks(self, item: Waiting) -> Iterator[bytes]: ...
    def done(self, item: Waiting) -> None: ...


class MaildirSource:
    """A Maildir (``new/``, ``cur/``); handled messages go to the Maildir++ subfolder ``.<processed_folder>``."""

    name = "maildir"

    def __init__(self, root: Path, processed_folder: str = "Processed") -> None:
        self.root = Path(root)
        self.processed = self.root / f".{processed_folder}"

    def __enter__(self) -> MaildirSource:
        for sub in ("tmp", "new", "cur"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
            (self.processed / sub).mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def waiting(self) -> Iterator[Waiting]:
        for sub in ("new", "cur"):
            folder = self.root / sub
            names = sorted(n for n in os.listdir(folder) if not n.startswith("."))
            for name in names:
                yield Waiting(f"{sub}/{name}")

    def chunks(self, item: Waiting) -> Iterator[bytes]:
        """The file's bytes. A file that cannot be opened or read raises :class:`Unreadable` (its own trouble)
        unless its folder cannot be read either (then the mailbox is away, and the ``OSError`` says so)."""
        path = self.root / item.ref
        try:
            fh = path.open("rb")
        except FileNotFoundError as exc:
            if not os.path.lexists(path):
                raise Gone(item.ref) from exc
            raise self._unreadable(item, exc) from exc  # a link to nothing: only a person can mend it
        except OSError as exc:
            raise self._unreadable(item, exc) from exc
        with fh:
            while True:
                try:
                    chunk = fh.read(CHUNK)
                except OSError as exc:
                    raise self._unreadable(item, exc) from exc
                if not chunk:
                    return
                yield chunk

    def _unreadable(self, item: Waiting, exc: OSError) -> Unreadable:
        os.listdir(self.root / item.ref.split("/", 1)[0])  # the folder itself gone or locked: the mailbox is away
        return Unreadable(item.ref, f"{type(exc).__name__}: {exc.strerror or exc}")

    def done(self, item: Waiting) -> None:
        name = item.ref.split("/", 1)[1]
        if ":2," not in name:
            name += ":2,S"  # Maildir: a message in cur/ carries its flags; S = seen
        with contextlib.suppress(FileNotFoundError):  # another poller moved it first
            os.replace(self.root / item.ref, self.processed / "cur" / name)


class ImapSource:
    """An IMAP mailbox over TLS (or STARTTLS; plain only on loopback for tests), read with imap-tools."""

    name = "imap"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.imap = settings.imap
        self.processed = settings.intake.processed_folder
        self.mailbox = None

    def __enter__(self) -> ImapSource:
        self.mailbox = connect(self.settings)
        assert self.mailbox is not None
        if not self.mailbox.folder.exists(self.processed):
            self.mailbox.folder.create(self.processed)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.mailbox is not None:
            try:
                self.mailbox.logout()
            except Exception:  # a dead connection needs no goodbye
                log.debug("IMAP logout failed", exc_info=True)
            self.mailbox = None

    def waiting(self) -> Iterator[Waiting]:
        assert self.mailbox is not None
        for uid in self.mailbox.uids("ALL"):
            yield Waiting(uid)

    def chunks(self, item: Waiting) -> Iterator[bytes]:
        """The message in slices (``BODY.PEEK[]<offset.length>``): never the whole of a big one in memory."""
        assert self.mailbox is not None
        client = self.mailbox.client
        offset = 0
        while True:
            status, data = client.uid("FETCH", item.ref, f"(BODY.PEEK[]<{offset}.{IMAP_CHUNK}>)")
            if status != "OK":  # the server answered, about this message: the connection is fine
                raise Unreadable(item.ref, f"IMAP FETCH {item.ref} failed: {status} {_said(data)}")
            chunk = _literal(data)
            if chunk is None:
                if offset == 0:
                    raise Gone(item.ref)  # expunged by another client since it was listed
                return
            if chunk:
                yield chunk
            offset += len(chunk)
            if len(chunk) < IMAP_CHUNK:
                return

    def done(self, item: Waiting) -> None:
        assert self.mailbox is not None
        self.mailbox.move(item.ref, self.processed)

    def wait_for_mail(self, seconds: float, should_stop: Callable[[], bool] = lambda: False) -> bool:
        """Block in IMAP IDLE until the server announces mail or ``seconds`` pass; False without IDLE.

        IDLE announces only what arrives after the folder was selected, so a letter that came between the last
        poll and this connection would otherwise wait out the whole interval: if anything is in the folder
        already, return at once. The search itself tells the server what this connection has seen, so a letter
        arriving after it is announced by the IDLE that follows. The IDLE is renewed every
        ``STOP_CHECK_SECONDS`` (searching again first), so a watcher told to stop stops within that, not after
        the whole wait.
        """
        assert self.mailbox is not None
        if "IDLE" not in self.mailbox.client.capabilities:
            return False
        deadline = time.monotonic() + min(seconds, 29 * 60)
        while not self.mailbox.uids("ALL"):
            left = deadline - time.monotonic()
            if left <= 0 or should_stop():
                break
            if self.mailbox.idle.wait(timeout=min(left, STOP_CHECK_SECONDS)):
                break
        return True


def connect(settings: Settings):  # type: ignore[no-untyped-def]  # imap-tools has no stubs for its classes
    from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted

    imap = settings.imap
    timeout = float(imap.timeout_seconds)
    if imap.security == "none":
        mailbox = MailBoxUnencrypted(imap.host, imap.port, timeout=timeout)
    else:
        context = ssl.create_default_context(cafile=str(imap.ca_file) if imap.ca_file else None)
        if imap.security == "starttls":
            mailbox = MailBoxStartTls(imap.host, imap.port, timeout=timeout, ssl_context=context)
        else:
            mailbox = MailBox(imap.host, imap.port, timeout=timeout, ssl_context=context)
    try:
        mailbox.login(imap.username, imap.password, initial_folder=imap.folder)
    except (TimeoutError, OSError):
        raise
    return mailbox


def _literal(data: list[object]) -> bytes | None:
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    for item in data:  # an empty slice comes back as a quoted "" rather than a literal
        if isinstance(item, bytes) and b"BODY[]" in item:
            return b""
    return None


def _said(data: list[object]) -> str:
    """What the IMAP server said with a refusal, as text (it may be bytes or nothing)."""
    words = [d.decode("utf-8", "replace") if isinstance(d, bytes) else str(d) for d in data if d]
    return " ".join(words)[:300]


def open_source(settings: Settings) -> MaildirSource | ImapSource:
    if settings.intake.source == "imap":
        return ImapSource(settings)
    return MaildirSource(settings.maildir, settings.intake.processed_folder)
