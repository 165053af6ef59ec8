"""Content-addressed storage of received files: each file is named by the SHA-256 of its bytes.

Why content addressing: the intake may write the same attachment again after a crash or a re-delivered
message; with the name derived from the content, a second write lands on the same file and nothing is ever
overwritten with something else. Files are written by streaming through a temporary file and renamed into
place only when complete, so a reader never sees half a file and a 25 MB attachment is never held in memory.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 1024 * 1024


class TooLarge(Exception):
    """The stream went past the size it was allowed; nothing was stored."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"larger than {limit} bytes")
        self.limit = limit


@dataclass(frozen=True)
class Stored:
    sha256: str
    size: int
    #: Relative to the storage root (what ``Document.storage_path`` keeps).
    path: str


class Storage:
    """Files under one root folder: ``sha256/ab/abcdef…`` plus a ``tmp/`` folder for writes in progress."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def absolute(self, relative: str) -> Path:
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"{relative!r} is outside the storage folder")
        return path

    def open(self, relative: str) -> BinaryIO:
        return self.absolute(relative).open("rb")

    def read(self, relative: str) -> bytes:
        return self.absolute(relative).read_bytes()

    def writer(self, *, limit: int | None = None) -> Writer:
        return Writer(self, limit)

    def put_chunks(self, chunks: Iterable[bytes], *, limit: int | None = None) -> Stored:
        with self.writer(limit=limit) as w:
            for chunk in chunks:
                w.write(chunk)
        return w.stored

    def put_file(self, fh: BinaryIO, *, limit: int | None = None) -> Stored:
        return self.put_chunks(iter(lambda: fh.read(CHUNK), b""), limit=limit)

    def put_bytes(self, data: bytes) -> Stored:
        return self.put_chunks([data])

    def _commit(self, tmp: Path, digest: str, size: int) -> Stored:
        relative = f"sha256/{digest[:2]}/{digest}"
        final = self.root / relative
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists() and final.stat().st_size == size:
            tmp.unlink()
        else:
            os.replace(tmp, final)
            _fsync_dir(final.parent)
        return Stored(digest, size, relative)


class Writer:
    """A file being written: hashed as it goes, moved into place on a clean exit, removed otherwise."""

    def __init__(self, storage: Storage, limit: int | None) -> None:
        self.storage = storage
        self.limit = limit
        self.size = 0
        self._hash = hashlib.sha256()
        tmp_dir = storage.root / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        self._tmp = tmp_dir / f"{os.getpid()}-{secrets.token_hex(8)}"
        self._fh: BinaryIO = self._tmp.open("wb")
        self._stored: Stored | None = None

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.limit is not None and self.size > self.limit:
            raise TooLarge(self.limit)
        self._hash.update(chunk)
        self._fh.write(chunk)

    @property
    def stored(self) -> Stored:
        if self._stored is None:
            raise RuntimeError("the file is not complete yet")
        return self._stored

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        try:
            if exc_type is None:
                self._fh.flush()
                os.fsync(self._fh.fileno())
        finally:
            self._fh.close()
        if exc_type is not None:
            self._tmp.unlink(missing_ok=True)
            return
        self._stored = self.storage._commit(self._tmp, self._hash.hexdigest(), self.size)


def _fsync_dir(path: Path) -> None:
    """Make the rename durable: after a power cut the file is either there whole or not at all."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
