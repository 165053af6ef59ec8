"""The stored signature report, turned into what an operator reads: a colour, a sentence, who signed, for whom.

The verifier (``signatures/``) decides; this module only presents its stored JSON (``FileReport.to_json``,
documented in docs/signatures.md). Green only for a passed, intact signature whose signer matches the contract;
red for a failed or modified one; amber for everything a person has to check by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

import signatures
from backoffice.applications.models import Document, SignatureCheck

GREEN, RED, AMBER = "green", "red", "amber"


@dataclass
class SignerLine:
    name: str
    organization: str
    edrpou: str
    tax_number: str
    title: str
    when: datetime | None
    is_seal: bool
    match: str
    match_text: str


@dataclass
class ReportView:
    document_id: int | None
    filename: str
    colour: str
    verdict: str
    message: str
    details: str
    signers: list[SignerLine] = field(default_factory=list)
    checked_at: datetime | None = None


def verdict(report: dict[str, Any]) -> tuple[str, str]:
    indication = report.get("indication")
    integrity = report.get("integrity")
    if indication == "TOTAL_FAILED" or integrity in {"modified", "broken"}:
        return RED, _("Signature is not valid")
    if indication == "TOTAL_PASSED" and integrity == "intact":
        if report.get("manual_review") or report.get("signer_match") not in {"match", "not_checked", None}:
            return AMBER, _("Signature is valid, but check the signer by hand")
        return GREEN, _("Signature is valid")
    return AMBER, _("Could not be verified automatically: check by hand")


def _match_text(match: str | None) -> str:
    return {
        "match": _("The signer is the contract's signatory"),
        "edrpou_mismatch": _("The EDRPOU in the certificate differs from the application's"),
        "signatory_mismatch": _("The signer is not the person who signed the contract"),
        "seal": _("An organisation's seal, not a person's signature"),
        "unknown": _("The certificate does not say who the signer is"),
        "not_checked": _("Not compared with the contract"),
    }.get(match or "not_checked", match or "")


def _sentence(report: dict[str, Any]) -> str:
    """The verifier's sentence in the operator's language.

    The stored report keeps the sentence in Ukrainian, the verifier's source language, beside its stable code; the
    code picks today's sentence for it (a report stored before a sentence was reworded reads like a new one), and
    gettext translates it. A sentence without a known code is translated as stored.
    """
    stored = report.get("message") or ""
    sentence = signatures.MESSAGES.get(report.get("message_code") or "", stored)
    return _(sentence) if sentence else ""


def _when(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def present(
    report: dict[str, Any], *, document_id: int | None = None, checked_at: datetime | None = None
) -> ReportView:
    colour, text = verdict(report)
    signers = [
        SignerLine(
            name=s.get("name") or "",
            organization=s.get("organization") or "",
            edrpou=s.get("edrpou") or "",
            tax_number=s.get("tax_number") or "",
            title=s.get("title") or "",
            when=_when(s.get("best_signing_time") or s.get("signing_time")),
            is_seal=bool(s.get("is_seal")),
            match=s.get("signer_match") or "not_checked",
            match_text=_match_text(s.get("signer_match")),
        )
        for s in report.get("signatures") or []
        if s.get("kind", "signature") == "signature"
    ]
    return ReportView(
        document_id=document_id,
        filename=report.get("filename") or "",
        colour=colour,
        verdict=text,
        message=_sentence(report),
        details=report.get("details") or "",
        signers=signers,
        checked_at=checked_at,
    )


def for_application(session: Session, application_id: int) -> list[ReportView]:
    """The newest stored report of each of an application's documents (none before the verifier ran)."""
    rows = session.scalars(
        select(SignatureCheck)
        .join(Document, Document.id == SignatureCheck.document_id)
        .where(Document.application_id == application_id)
        .order_by(SignatureCheck.id.desc())
    )
    out: list[ReportView] = []
    seen: set[int] = set()
    for row in rows:
        if row.document_id in seen or not isinstance(row.report, dict):
            continue
        seen.add(row.document_id)
        out.append(present(row.report, document_id=row.document_id, checked_at=row.checked_at))
    return out
