from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backoffice.applications.models import Document
from backoffice.database import Base
from backoffice.types import UTCDateTime, utcnow


class SignatureCheck(Base):
    """One run of the signature verifier over a document, kept whole so the operator sees why.

    A document may be checked again (new trust roots, a revocation list that was missing): each run is a row,
    the newest one counts.
    """

    __tablename__ = "signature_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), index=True)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # ETSI EN 319 102-1 main indication: TOTAL_PASSED, TOTAL_FAILED or INDETERMINATE.
    indication: Mapped[str] = mapped_column(String(40))
    sub_indication: Mapped[str | None] = mapped_column(String(80), default=None)
    # Whether the signed bytes are unchanged (intact / broken / unknown); None when no signature was found.
    integrity: Mapped[str | None] = mapped_column(String(20), default=None)
    # The verifier's report as JSON (docs/signatures.md); without the verifier only what was detected.
    report: Mapped[dict[str, Any]] = mapped_column(default=dict)

    document: Mapped[Document] = relationship()


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
