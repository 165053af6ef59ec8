from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from backoffice.database import Base
from backoffice.types import UTCDateTime, utcnow


class StoredFile(Base):
    """A file kept in the database (``[storage] backend = "database"``), so every web host reaches it.

    Named, like a file of the folder store, by the SHA-256 of its bytes: ``sha256`` is unique, so a file
    received twice is kept once. It is empty (NULL) only while the writing transaction streams the bytes in and
    the hash is not known yet; no other transaction ever sees such a row.
    """

    __tablename__ = "stored_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    # The size of every piece but the last, as it was when the file was written ([storage] chunk_kb may change
    # later): a reader that seeks finds the piece holding an offset without asking the database.
    chunk_size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StoredChunk(Base):
    """One piece of a :class:`StoredFile`, numbered from 0: files are written and read a piece at a time."""

    __tablename__ = "stored_chunk"

    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
