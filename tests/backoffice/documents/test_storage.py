"""Document storage, on both backends: what goes in comes out byte for byte, once, and never whole in memory."""

from __future__ import annotations

import hashlib
import math
import os
import threading
import time
import tracemalloc
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from backoffice.database import Database
from backoffice.documents.models import StoredChunk, StoredFile
from backoffice.documents.storage import Storage, Stored, TooLarge, open_storage
from backoffice.settings import Settings, StorageSettings
from tests.conftest import STORAGE_BACKENDS

MB = 1024 * 1024
both_backends = pytest.mark.parametrize("storage_backend", STORAGE_BACKENDS)
database_backend = pytest.mark.parametrize("storage_backend", ["database"])


@pytest.fixture
def storage(settings: Settings, db: Database) -> Storage:
    """The storage the web app and the intake get: each write commits on its own."""
    return open_storage(settings, db)


def _piece_size(settings: Settings) -> int:
    return settings.storage.chunk_kb * 1024


def _slices(data: bytes, size: int) -> Iterator[bytes]:
    return (data[i : i + size] for i in range(0, len(data), size))


def _copies(settings: Settings, db: Database) -> tuple[int, int]:
    """How many files the store holds, and how many pieces (the database) or temporary files (the folder)."""
    if settings.storage.backend == "database":
        with db.sessions() as s:
            files = s.scalar(select(func.count()).select_from(StoredFile))
            pieces = s.scalar(select(func.count()).select_from(StoredChunk))
        return int(files or 0), int(pieces or 0)
    root = settings.documents_dir
    files = [p for p in (root / "sha256").rglob("*") if p.is_file()] if (root / "sha256").exists() else []
    leftovers = list((root / "tmp").iterdir()) if (root / "tmp").exists() else []
    return len(files), len(leftovers)


@both_backends
def test_a_file_of_many_pieces_comes_back_byte_for_byte(storage: Storage, settings: Settings) -> None:
    piece = _piece_size(settings)
    data = os.urandom(5 * piece + 12345)
    digest = hashlib.sha256(data).hexdigest()

    stored = storage.put_chunks(_slices(data, 100_000))  # pieces of the stream do not line up with stored ones

    assert stored == Stored(digest, len(data), f"sha256/{digest[:2]}/{digest}")
    assert storage.read(stored.path) == data
    with storage.open(stored.path) as fh:
        fh.seek(3 * piece - 10)
        assert fh.read(20) == data[3 * piece - 10 : 3 * piece + 10]  # across the border of two pieces
        fh.seek(-5, os.SEEK_END)
        assert fh.read() == data[-5:]
    with storage.local_file(stored.path) as path:
        assert path.read_bytes() == data
    empty = storage.put_bytes(b"")
    assert storage.read(empty.path) == b"" and empty.size == 0


@both_backends
def test_a_file_stored_twice_is_stored_once(storage: Storage, settings: Settings, db: Database) -> None:
    data = os.urandom(3 * _piece_size(settings) + 1)

    first = storage.put_bytes(data)
    again = storage.put_chunks(_slices(data, 4096))

    assert again == first
    files, extra = _copies(settings, db)
    assert files == 1
    if settings.storage.backend == "database":
        assert extra == math.ceil(len(data) / _piece_size(settings))  # the pieces of one copy, none left over
    else:
        assert extra == 0  # no temporary file left behind
    assert storage.read(first.path) == data


@both_backends
def test_a_file_over_its_limit_leaves_nothing_behind(storage: Storage, settings: Settings, db: Database) -> None:
    kept = storage.put_bytes(b"a small scan")
    with pytest.raises(TooLarge):
        storage.put_chunks(_slices(os.urandom(2 * _piece_size(settings)), 10_000), limit=_piece_size(settings))
    assert _copies(settings, db)[0] == 1
    assert storage.read(kept.path) == b"a small scan"


@both_backends
def test_removed_files_are_gone_and_paths_outside_the_store_are_never_found(storage: Storage) -> None:
    stored = storage.put_bytes(b"%PDF-1.4 to be removed")
    other = storage.put_bytes(b"%PDF-1.4 to be kept")

    storage.remove(stored.path)

    assert not storage.exists(stored.path) and storage.exists(other.path)
    for path in (stored.path, "../../etc/passwd", "/etc/passwd", "sha256/zz/" + "0" * 64, ""):
        with pytest.raises(FileNotFoundError):
            storage.open(path)
        with pytest.raises(FileNotFoundError), storage.local_file(path):
            pass
        storage.remove(path)  # nothing there: nothing happens
    assert storage.read(other.path) == b"%PDF-1.4 to be kept"


@both_backends
def test_memory_stays_bounded_storing_and_reading_a_50_mb_file(storage: Storage, settings: Settings) -> None:
    size = 50 * MB
    source = hashlib.sha256()

    def stream() -> Iterator[bytes]:
        for _ in range(size // MB):
            chunk = os.urandom(MB)
            source.update(chunk)
            yield chunk

    tracemalloc.start()
    try:
        stored = storage.put_chunks(stream())
        _, stored_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        read = hashlib.sha256()
        with storage.open(stored.path) as fh:
            while chunk := fh.read(MB):
                read.update(chunk)
        with storage.local_file(stored.path) as path:
            local_size = path.stat().st_size
        _, read_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert stored.size == size == local_size
    assert read.hexdigest() == source.hexdigest() == stored.sha256
    # A piece or two (256 KB), the caller's 1 MB chunks and the library's own: a few MB, not the 50 MB file.
    assert stored_peak < 8 * MB, stored_peak
    assert read_peak < 8 * MB, read_peak


@both_backends
def test_the_folder_store_is_the_default_and_the_database_store_needs_the_database(
    settings: Settings, db: Database
) -> None:
    assert StorageSettings().backend == "folder"
    if settings.storage.backend == "database":
        with pytest.raises(ValueError, match="needs a session or the database"):
            open_storage(settings)
    else:
        stored = open_storage(settings).put_bytes(b"scan")
        assert (settings.documents_dir / stored.path).read_bytes() == b"scan"


# -- the database backend in the caller's transaction ------------------------------------------------------------


@pytest.mark.committed  # a reader on another connection must not see it
@database_backend
def test_in_the_callers_transaction_a_file_is_stored_only_if_the_transaction_commits(
    settings: Settings, db: Database
) -> None:
    data = os.urandom(_piece_size(settings) + 7)
    outside = open_storage(settings, db)
    with db.sessions() as session:
        inside = open_storage(settings, session)
        stored = inside.put_bytes(data)
        assert inside.read(stored.path) == data  # the transaction reads what it has just stored
        assert not outside.exists(stored.path)  # nobody else sees it before the commit
        session.rollback()
    assert not outside.exists(stored.path)
    assert _copies(settings, db) == (0, 0)

    with db.sessions() as session:
        inside = open_storage(settings, session)
        inside.put_bytes(data)
        with pytest.raises(TooLarge):  # a failed write takes only its own rows with it
            inside.put_chunks(_slices(os.urandom(3 * _piece_size(settings)), 50_000), limit=_piece_size(settings))
        session.commit()
    assert outside.read(stored.path) == data
    assert _copies(settings, db) == (1, 2)


@pytest.mark.committed  # a second writer in a thread waits on the first
@database_backend
def test_two_writers_of_the_same_file_at_once_leave_one_copy(settings: Settings, db: Database) -> None:
    data = os.urandom(2 * _piece_size(settings))
    results: list[Stored | BaseException] = []

    def second_writer() -> None:
        try:
            results.append(open_storage(settings, db).put_bytes(data))
        except BaseException as exc:  # handed to the test's thread, which fails with it
            results.append(exc)

    with db.sessions() as session:
        first = open_storage(settings, session).put_bytes(data)
        thread = threading.Thread(target=second_writer)
        thread.start()
        _wait_until_blocked(session, thread)
        session.commit()  # while the second writer waits for this transaction's rows
    thread.join(timeout=60)
    assert results == [first]
    assert _copies(settings, db) == (1, 2)


def _wait_until_blocked(session: Session, thread: threading.Thread) -> None:
    """PostgreSQL: until the other writer waits on this transaction's lock (it has written its pieces and tries
    to name its file with the same hash). SQLite lets one writer in at a time: the other waits at its first row."""
    deadline = time.monotonic() + 20
    if session.get_bind().dialect.name != "postgresql":
        time.sleep(0.5)
        return
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    while time.monotonic() < deadline and thread.is_alive():
        with session.get_bind().connect() as conn:
            if conn.execute(waiting).scalar_one():
                return
        time.sleep(0.02)
    raise AssertionError("the second writer never waited for the first")
