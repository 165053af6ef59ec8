from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
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
