"""Content-addressed storage of received files: each file is named by the SHA-256 of its bytes.

Why content addressing: the intake may write the same attachment again after a crash or a re-delivered
message; with the name derived from the content, a second write lands on the same file and nothing is ever
overwritten with something else. The name (``sha256/ab/abcdef…``, what ``Document.storage_path`` keeps) is the
same whichever backend holds the bytes.

Two backends, chosen by ``[storage] backend`` through :func:`open_storage` (the only way callers get one):

* ``folder`` (:class:`FolderStorage`): files under ``documents_dir``, streamed through a temporary file and
  renamed into place only when complete, so a reader never sees half a file. One web host, or a shared disk.
* ``database`` (:class:`DatabaseStorage`): files inside the database in pieces of ``chunk_kb``, so that every
  web host reaches them with no shared disk.

Neither holds a whole file in memory: writes are streamed piece by piece, :meth:`Storage.open` gives a file
object that reads piece by piece, and code that needs a real file on disk (parsers, pyhanko, zipfile) asks for
one with :meth:`Storage.local_file`, which for the database streams the file to a temporary one.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import secrets
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, BinaryIO, Union

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from backoffice.database import Database
from backoffice.documents.models import StoredChunk, StoredFile
from backoffice.errors import BackofficeError
from backoffice.types import utcnow

if TYPE_CHECKING:
    from backoffice.settings import Settings

CHUNK = 1024 * 1024

#: What the database backend is given to reach the database: a session (work in the caller's transaction), or
#: the process's database or a session factory (each write in a transaction of its own, each read a short one).
Bind = Union[Session, Database, Callable[[], Session]]  # noqa: UP007 - a runtime alias, not an annotation

_PATH = re.compile(r"sha256/([0-9a-f]{2})/([0-9a-f]{64})")


class TooLarge(BackofficeError):
    """The stream went past the size it was allowed; nothing was stored."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"larger than {limit} bytes")
        self.limit = limit


@dataclass(frozen=True)
class Stored:
    sha256: str
    size: int
    #: The file's name in storage (what ``Document.storage_path`` keeps): ``sha256/ab/abcdef…``.
    path: str


def path_of(digest: str) -> str:
    return f"sha256/{digest[:2]}/{digest}"


def open_storage(settings: Settings, bind: Bind | None = None) -> Storage:
    """The storage ``[storage] backend`` names; every caller gets its storage here.

    ``bind`` is used by the database backend only. Given the caller's session, files are written in its
    transaction (what the caller rolls back is not stored either) and a file it has just stored can be read
    before the commit. Given the :class:`Database` (or a session factory), each write commits on its own and each
    read is a short statement: for code that holds no transaction, such as a download streamed after the view
    has returned.
    """
    if settings.storage.backend == "database":
        if bind is None:
            raise ValueError('[storage] backend = "database" needs a session or the database to reach it')
        return DatabaseStorage(bind, chunk_size=settings.storage.chunk_kb * 1024)
    return FolderStorage(settings.documents_dir)


class Storage(ABC):
    """What every backend offers. Paths are storage paths (``sha256/ab/…``), never filesystem paths."""

    @abstractmethod
    def writer(self, *, limit: int | None = None) -> Writer:
        """A file to stream bytes into; stored (under its hash) when the ``with`` block ends without error."""

    @abstractmethod
    def open(self, path: str) -> BinaryIO:
        """The stored file for reading (seekable); :class:`FileNotFoundError` when nothing is stored there."""

    @abstractmethod
    def local_file(self, path: str) -> AbstractContextManager[Path]:
        """A real file with the stored bytes for as long as the ``with`` block runs, for libraries that want a
        path (parsers, pyhanko, zipfile); :class:`FileNotFoundError` when nothing is stored there."""

    @abstractmethod
    def exists(self, path: str) -> bool: ...

    @abstractmethod
    def remove(self, path: str) -> None:
        """Delete the stored file (nothing happens when there is none). The caller checks nobody else uses it:
        with content addressing, two documents with the same bytes share one stored file."""

    def read(self, path: str) -> bytes:
        """The whole file in memory: for small files (and tests) only; documents are streamed with :meth:`open`."""
        with self.open(path) as fh:
            return fh.read()

    def put_chunks(self, chunks: Iterable[bytes], *, limit: int | None = None) -> Stored:
        with self.writer(limit=limit) as w:
            for chunk in chunks:
                w.write(chunk)
        return w.stored

    def put_file(self, fh: IO[bytes], *, limit: int | None = None) -> Stored:
        return self.put_chunks(iter(lambda: fh.read(CHUNK), b""), limit=limit)

    def put_bytes(self, data: bytes) -> Stored:
        return self.put_chunks([data])


class Writer(ABC):
    """A file being written: hashed and counted as it goes, stored on a clean exit, discarded otherwise."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.size = 0
        self._hash = hashlib.sha256()
        self._stored: Stored | None = None

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.limit is not None and self.size > self.limit:
            raise TooLarge(self.limit)
        self._hash.update(chunk)
        self._write(chunk)

    @property
    def stored(self) -> Stored:
        if self._stored is None:
            raise RuntimeError("the file is not complete yet")
        return self._stored

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        if exc is not None:
            self._discard(exc)
            return
        try:
            self._stored = self._finish(self._hash.hexdigest(), self.size)
        except BaseException as error:
            self._discard(error)
            raise

    @abstractmethod
    def _write(self, chunk: bytes) -> None: ...

    @abstractmethod
    def _finish(self, digest: str, size: int) -> Stored:
        """Put the complete file in place under ``digest`` (or find it already there)."""

    @abstractmethod
    def _discard(self, exc: BaseException) -> None:
        """Leave nothing of an incomplete file behind."""


# -- folder ----------------------------------------------------------------------------------------------------


class FolderStorage(Storage):
    """Files under one root folder: ``sha256/ab/abcdef…`` plus a ``tmp/`` folder for writes in progress."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def absolute(self, relative: str) -> Path:
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"{relative!r} is outside the storage folder")
        return path

    def writer(self, *, limit: int | None = None) -> Writer:
        return _FolderWriter(self, limit)

    def open(self, path: str) -> BinaryIO:
        return self._file(path).open("rb")

    @contextmanager
    def local_file(self, path: str) -> Iterator[Path]:
        yield self._file(path)  # the stored file itself: nothing to copy

    def exists(self, path: str) -> bool:
        try:
            return self.absolute(path).is_file()
        except ValueError:
            return False

    def remove(self, path: str) -> None:
        try:
            file = self._file(path)
        except FileNotFoundError:
            return  # gone already, or never a file of ours (the root, a folder, a path outside it)
        file.unlink(missing_ok=True)

    def _file(self, path: str) -> Path:
        try:
            file = self.absolute(path)
        except ValueError:
            raise FileNotFoundError(path) from None
        if not file.is_file():
            raise FileNotFoundError(path)
        return file

    def _commit(self, tmp: Path, digest: str, size: int) -> Stored:
        relative = path_of(digest)
        final = self.root / relative
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists() and final.stat().st_size == size:
            tmp.unlink()
        else:
            os.replace(tmp, final)
            _fsync_dir(final.parent)
        return Stored(digest, size, relative)


class _FolderWriter(Writer):
    def __init__(self, storage: FolderStorage, limit: int | None) -> None:
        super().__init__(limit)
        self.storage = storage
        tmp_dir = storage.root / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        self._tmp = tmp_dir / f"{os.getpid()}-{secrets.token_hex(8)}"
        self._fh: BinaryIO = self._tmp.open("wb")

    def _write(self, chunk: bytes) -> None:
        self._fh.write(chunk)

    def _finish(self, digest: str, size: int) -> Stored:
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        return self.storage._commit(self._tmp, digest, size)

    def _discard(self, exc: BaseException) -> None:
        self._fh.close()
        self._tmp.unlink(missing_ok=True)


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


# -- database --------------------------------------------------------------------------------------------------

class DatabaseStorage(Storage):
    """Files in the ``stored_file`` and ``stored_chunk`` tables, a piece of ``chunk_size`` bytes per row.

    Rows are written and read with statements run on the connection, never loaded as ORM objects, so a session's
    identity map never collects the pieces of a file.
    """

    def __init__(self, bind: Bind, *, chunk_size: int) -> None:
        self.chunk_size = chunk_size
        self._session = bind if isinstance(bind, Session) else None
        self._sessions: Callable[[], Session] | None = (
            None if isinstance(bind, Session) else bind.sessions if isinstance(bind, Database) else bind
        )

    def writer(self, *, limit: int | None = None) -> Writer:
        return _DatabaseWriter(self, limit)

    def open(self, path: str) -> BinaryIO:
        digest = _digest(path)
        if digest is None:
            raise FileNotFoundError(path)
        with self._connection() as conn:
            row = conn.execute(
                select(StoredFile.id, StoredFile.size, StoredFile.chunk_size).where(StoredFile.sha256 == digest)
            ).first()
        if row is None:
            raise FileNotFoundError(path)
        file_id, size, chunk_size = row

        def piece(seq: int) -> bytes:
            with self._connection() as conn:
                data = conn.scalar(
                    select(StoredChunk.data).where(StoredChunk.file_id == file_id, StoredChunk.seq == seq)
                )
            if data is None:
                raise OSError(f"{path}: piece {seq} is missing from the database")
            return bytes(data)

        return io.BufferedReader(_PieceReader(piece, size, chunk_size), buffer_size=min(chunk_size, CHUNK))

    @contextmanager
    def local_file(self, path: str) -> Iterator[Path]:
        with self.open(path) as src, tempfile.TemporaryDirectory(prefix="backoffice-") as folder:
            local = Path(folder) / "file"
            with local.open("wb") as out:
                shutil.copyfileobj(src, out, self.chunk_size)
            yield local

    def exists(self, path: str) -> bool:
        digest = _digest(path)
        if digest is None:
            return False
        with self._connection() as conn:
            return conn.scalar(select(StoredFile.id).where(StoredFile.sha256 == digest)) is not None

    def remove(self, path: str) -> None:
        digest = _digest(path)
        if digest is None:
            return
        with self._transaction() as conn:
            named = select(StoredFile.id).where(StoredFile.sha256 == digest)
            conn.execute(delete(StoredChunk).where(StoredChunk.file_id.in_(named)))
            conn.execute(delete(StoredFile).where(StoredFile.sha256 == digest))

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        """The caller's transaction, or a short one of our own (ended at once: nothing stays open between the
        pieces of a download a slow client takes minutes over)."""
        if self._session is not None:
            yield self._session.connection()
            return
        assert self._sessions is not None
        with self._sessions() as session:
            yield session.connection()

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        """The caller's transaction (the caller commits), or one of our own committed when the block ends."""
        if self._session is not None:
            yield self._session.connection()
            return
        assert self._sessions is not None
        with self._sessions() as session, session.begin():
            yield session.connection()


def _digest(path: str) -> str | None:
    """The hash a storage path names; None for anything else (such a path is simply not stored)."""
    match = _PATH.fullmatch(path)
    if match is None or not match.group(2).startswith(match.group(1)):
        return None
    return match.group(2)


class _DatabaseWriter(Writer):
    """Pieces go to the database as they fill, under a row whose hash is set once the last piece is in.

    In its own transaction (the storage was given the database), a failure rolls everything back. In the
    caller's, the rows written so far are deleted, unless the failure was the database's own: then the caller's
    transaction is lost anyway and its rollback takes the rows with it.
    """

    def __init__(self, storage: DatabaseStorage, limit: int | None) -> None:
        super().__init__(limit)
        self.storage = storage
        self._own: Session | None = None
        if storage._session is not None:
            self._conn = storage._session.connection()
        else:
            assert storage._sessions is not None
            self._own = storage._sessions()
            self._own.begin()
            self._conn = self._own.connection()
        self._buffer = bytearray()
        self._seq = 0
        self._file_id: int | None = None

    def _write(self, chunk: bytes) -> None:
        # Whole pieces are cut straight from what the caller gives; only a remainder waits in the buffer.
        size = self.storage.chunk_size
        rest = memoryview(chunk)
        if self._buffer:
            taken = size - len(self._buffer)
            self._buffer += rest[:taken]
            rest = rest[taken:]
            if len(self._buffer) < size:
                return
            self._put(bytes(self._buffer))
            self._buffer.clear()
        while len(rest) >= size:
            self._put(bytes(rest[:size]))
            rest = rest[size:]
        self._buffer += rest

    def _put(self, piece: bytes) -> None:
        if self._file_id is None:
            pending = insert(StoredFile).values(
                sha256=None, size=0, chunk_size=self.storage.chunk_size, created_at=utcnow()
            )
            key = self._conn.execute(pending).inserted_primary_key
            assert key is not None
            self._file_id = int(key[0])
        if piece:
            self._conn.execute(insert(StoredChunk).values(file_id=self._file_id, seq=self._seq, data=piece))
            self._seq += 1

    def _finish(self, digest: str, size: int) -> Stored:
        self._put(bytes(self._buffer))
        self._buffer.clear()
        known = self._conn.scalar(select(StoredFile.id).where(StoredFile.sha256 == digest))
        if known is None:
            try:
                with self._conn.begin_nested():
                    named = update(StoredFile).where(StoredFile.id == self._file_id).values(sha256=digest, size=size)
                    self._conn.execute(named)
            except IntegrityError:  # another process stored the same bytes a moment ago
                known = self._conn.scalar(select(StoredFile.id).where(StoredFile.sha256 == digest))
        if known is not None:  # stored once: the copy just written goes
            self._delete_pending()
        if self._own is not None:
            self._own.commit()
            self._own.close()
        return Stored(digest, size, path_of(digest))

    def _discard(self, exc: BaseException) -> None:
        if self._own is not None:
            self._own.rollback()
            self._own.close()
        elif not isinstance(exc, SQLAlchemyError):
            self._delete_pending()

    def _delete_pending(self) -> None:
        if self._file_id is not None:
            self._conn.execute(delete(StoredChunk).where(StoredChunk.file_id == self._file_id))
            self._conn.execute(delete(StoredFile).where(StoredFile.id == self._file_id))


class _PieceReader(io.RawIOBase):
    """A stored file as a seekable raw stream that holds one piece at a time, fetched when it is reached."""

    def __init__(self, piece: Callable[[int], bytes], size: int, chunk_size: int) -> None:
        super().__init__()
        self._piece = piece
        self._size = size
        self._chunk_size = chunk_size
        self._pos = 0
        self._seq = -1
        self._data = b""

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise OSError("negative seek position")
        self._pos = base + offset
        return self._pos

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        if self._pos >= self._size:
            return 0
        seq, offset = divmod(self._pos, self._chunk_size)
        if seq != self._seq:
            self._data, self._seq = b"", -1  # the old piece is let go before the next one arrives
            self._data = self._piece(seq)
            self._seq = seq
        n = min(len(buffer), len(self._data) - offset, self._size - self._pos)
        if n <= 0:
            raise OSError(f"piece {seq} is shorter than the file says")
        buffer[:n] = self._data[offset : offset + n]
        self._pos += n
        return n
