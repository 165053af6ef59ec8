"""Running the signature verifier over received documents and keeping its reports.

Everything the back office asks of ``signatures/`` goes through :func:`verify_file`, so the verifier is wired
in at exactly one place. Checks run after the intake has committed the application (a slow or crashing
verification never holds up or undoes an arrival) and are picked up again until each signed document has its
:class:`SignatureCheck`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import signatures
from backoffice.actors import Actor
from backoffice.applications import services
from backoffice.applications.models import (
    SIGNED_KINDS,
    UNCHECKED_SIGNED_SQL,
    Application,
    Channel,
    Document,
    DocumentKind,
    SignatureCheck,
)
from backoffice.audit.trail import record
from backoffice.documents.storage import Storage, open_storage
from backoffice.settings import Settings
from backoffice.types import utcnow
from backoffice.validation.identifiers import IdentifierKind
from workflows.accession import AccessionState
from workflows.engine import WorkflowError
from workflows.i18n import N_

log = logging.getLogger(__name__)
VERIFIER = Actor.system("verifier")
_SIGNATURE_SUFFIXES = (".p7s", ".p7m", ".sig")


@dataclass(frozen=True)
class CheckResult:
    indication: str
    sub_indication: str | None
    integrity: str | None
    report: dict[str, Any]
    evidence: tuple[signatures.SignedFile, ...] = ()


def expected_signer(app: Application) -> signatures.ExpectedSigner | None:
    """What the application says about the signer, for the verifier's signer match."""
    if not app.identifier:
        return None
    kind = app.identifier_kind.value if app.identifier_kind else ""
    return signatures.ExpectedSigner(
        edrpou=app.identifier if kind == IdentifierKind.EDRPOU.value else None,
        rnokpp=app.identifier if kind == IdentifierKind.RNOKPP.value else None,
        signatory_tax_number=(app.contract.signatory_tax_number if app.contract else "") or None,
    )


def verify_file(
    verifier: signatures.Verifier,
    path: Path,
    *,
    filename: str,
    detached_content: Path | None = None,
    expected: signatures.ExpectedSigner | None = None,
) -> signatures.FileReport:
    """The verifier's report on one stored file (and the file a detached signature signs)."""
    if detached_content is not None:
        return verifier.verify(
            detached_content.read_bytes(),
            detached_signature=path.read_bytes(),
            filename=_content_name(filename),
            expected=expected,
        )
    return verifier.verify(path.read_bytes(), filename=filename, expected=expected)


def policy_of(settings: Settings) -> signatures.VerificationPolicy | None:
    """The verifier's policy from the settings; None (logged) while they are wrong: the checks wait for the next
    run, when the settings may have been fixed."""
    try:
        return signatures.VerificationPolicy.from_settings(settings.signatures)
    except signatures.PolicyError as exc:
        log.error("signature verification is not configured correctly: %s", exc)
        return None


def batch_verifier(settings: Settings, pending: Sequence[object]) -> signatures.Verifier | None:
    """The one verifier of a batch of checks (its isolated worker started), to be closed by the caller (``with``);
    None, with nothing started, when nothing waits or the settings are wrong (:func:`policy_of`)."""
    if not pending:
        return None
    policy = policy_of(settings)
    return signatures.Verifier(policy) if policy is not None else None


def check_pending(session: Session, settings: Settings, *, limit: int = 20) -> int:
    """Verify signed documents that have no check yet; returns how many were checked. The caller commits.

    One :class:`signatures.Verifier` serves the whole batch: trust roots are read once and one isolated
    worker process checks every file, under the time and memory bounds of the settings.
    """
    storage = open_storage(settings, session)
    documents = session.scalars(
        select(Document).where(UNCHECKED_SIGNED_SQL).order_by(Document.id).limit(limit)
    ).all()
    verifier = batch_verifier(settings, documents)
    if verifier is None:
        return 0
    done = 0
    with verifier:
        for document in documents:
            app = document.application
            result = _check(verifier, storage, document, app)
            now = utcnow()
            document.signature_checked_at = document.signature_checked_at or now
            session.add(
                SignatureCheck(
                    document_id=document.id,
                    checked_at=now,
                    indication=result.indication,
                    sub_indication=result.sub_indication,
                    integrity=result.integrity,
                    report=result.report,
                )
            )
            for evidence in result.evidence:
                _store_evidence(session, storage, app, document, evidence)
            record(
                session,
                VERIFIER,
                "application",
                app.id,
                "signature_checked",
                changes={"document": document.filename, "indication": result.indication},
            )
            done += 1
    session.flush()
    for app in {d.application for d in documents}:
        for document in app.documents:
            session.expire(document, ["checks"])
        _accept_if_verified(session, app, settings)
    return done


#: Titles of a company's head in certificates ("Директор", "Генеральний директор", "Керівник", "Голова правління");
#: a deputy's title names the head too, so it is excluded first.
_HEAD = re.compile(r"директор|керівник|голова|director|head|chief executive", re.IGNORECASE)
_DEPUTY = re.compile(r"заступник|в\.?\s*о\.|deputy|acting", re.IGNORECASE)


def _company_signer(app: Application, report: dict[str, Any]) -> bool:
    """Is every signer of this file the company's own: the contract's signatory (the verifier compared tax
    numbers with the contract registry, or with the customer's own when the customer is a person), or, where the
    registry names no signatory, the company's head by the certificate's company code and title? A seal, another
    person or another company leaves it to an operator."""
    signatures_ = [s for s in report.get("signatures", []) if s.get("kind", "signature") == "signature"]
    if report.get("signer_match") != "match" or not signatures_:
        return False
    if app.identifier_kind == IdentifierKind.RNOKPP or (app.contract and app.contract.signatory_tax_number):
        return True  # the verifier compared the signer's tax number with the customer's or the signatory's
    return all(
        _HEAD.search(title := s.get("title") or "") and not _DEPUTY.search(title) for s in signatures_
    )


def _accept_if_verified(session: Session, app: Application, settings: Settings) -> None:
    """Move a qualified application to the confirmation call, the verifier acting, when its signatures need no
    person: every signed file passed and names the company's own signer. Anything less waits for an operator,
    who sees the report; the workflow's own guards (complete data among them) still decide."""
    if not (
        settings.workflow.auto_accept_verified_signatures
        and app.channel == Channel.EMAIL_QUALIFIED
        and app.state == AccessionState.AWAITING_SIGNATURE_CHECK
        and app.signature_verdict == "passed"
        and all(_company_signer(app, d.checks[-1].report) for d in app.documents if d.kind in SIGNED_KINDS)
    ):
        return
    try:
        with session.begin_nested():
            services.fire(session, app, "accept_signature", VERIFIER, reason="verified signature", settings=settings)
    except WorkflowError as exc:
        log.info("application %s waits for an operator: %s", app.number, exc)


def _store_evidence(
    session: Session, storage: Storage, app: Application, signed: Document, evidence: signatures.SignedFile
) -> None:
    """Keep what the signer actually signed (the signed revision, the document inside a .p7s) beside the file.

    Identical bytes are stored once; a document already kept under the same hash is not added again.
    """
    stored = storage.put_bytes(evidence.data)
    if any(d.sha256 == stored.sha256 for d in app.documents):
        return
    app.documents.append(
        Document(
            kind=DocumentKind.SIGNED_EVIDENCE,
            filename=evidence.name or signed.filename,
            content_type=evidence.media_type or "application/octet-stream",
            size=stored.size,
            sha256=stored.sha256,
            storage_path=stored.path,
        )
    )


def _check(verifier: signatures.Verifier, storage: Storage, document: Document, app: Application) -> CheckResult:
    try:
        return _verify_document(verifier, storage, document, app)
    except OSError as exc:
        # The stored file cannot be read (storage moved, disk error): say so on the application, never pass,
        # and go on with the rest of the batch.
        log.error("cannot read %s for the signature check: %s", document.storage_path, exc)
        report = {
            "indication": "INDETERMINATE",
            "sub_indication": "FILE_UNREADABLE",
            "integrity": None,
            "message": N_("Збережений файл не вдалося прочитати: підпис не перевірено, перевірте документ вручну."),
            "filename": document.filename,
        }
        return CheckResult("INDETERMINATE", "FILE_UNREADABLE", None, report)


def _verify_document(
    verifier: signatures.Verifier, storage: Storage, document: Document, app: Application
) -> CheckResult:
    expected = expected_signer(app)
    if document.kind == DocumentKind.DETACHED_SIGNATURE:
        content = _signed_content(document, app)
        if content is None:
            report = {
                "indication": "INDETERMINATE",
                "sub_indication": "SIGNED_DATA_NOT_FOUND",
                "integrity": None,
                "message": N_("Файл, який підписує цей відокремлений підпис, не надійшов разом із ним."),
                "filename": document.filename,
            }
            return CheckResult("INDETERMINATE", "SIGNED_DATA_NOT_FOUND", None, report)
        with storage.local_file(document.storage_path) as path, storage.local_file(content.storage_path) as signed:
            result = verify_file(verifier, path, filename=document.filename, detached_content=signed, expected=expected)
    else:
        with storage.local_file(document.storage_path) as path:
            result = verify_file(verifier, path, filename=document.filename, expected=expected)
    data = result.to_json()
    return CheckResult(
        indication=str(data.get("indication")),
        sub_indication=data.get("sub_indication"),
        integrity=data.get("integrity"),
        report=data,
        # What each signer signed, also when the file was changed afterwards: that is what they are bound by.
        evidence=result.evidence or tuple(f for sig in result.signatures for f in sig.signed_files),
    )


def _signed_content(signature: Document, app: Application) -> Document | None:
    """The document a detached signature signs: the same name without ``.p7s``, else the only candidate."""
    others = [d for d in app.documents if d.id != signature.id and d.kind not in SIGNED_KINDS]
    others = [d for d in others if d.kind != DocumentKind.EMAIL_ORIGINAL]
    target = _content_name(signature.filename)
    for doc in others:
        if doc.filename == target:
            return doc
    return others[0] if len(others) == 1 else None


def _content_name(filename: str) -> str:
    lower = filename.lower()
    for suffix in _SIGNATURE_SUFFIXES:
        if lower.endswith(suffix) and len(filename) > len(suffix):
            return filename[: -len(suffix)]
    return filename
