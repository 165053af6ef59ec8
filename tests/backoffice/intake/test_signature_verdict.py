"""The verifier's verdict moves a qualified application: a DSTU-signed one that passes goes on to the confirmation
call by itself, anything less waits for an operator, who needs a reason to accept against the verdict.

The DSTU 4145 PKI is built here around today's date (the signature tests' own one is frozen in 2025, and its CRLs
have long expired), with the signature tests' issuing and CAdES helpers; the mail goes through the real intake.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.applications.models import Application, Channel
from backoffice.audit.models import AuditEvent
from backoffice.database import Database
from backoffice.intake.service import poll
from backoffice.settings import Settings
from tests.backoffice.admin.conftest import Staff, log_in, password_hash, post, staff  # noqa: F401 - fixtures
from tests.backoffice.intake import corpus
from tests.backoffice.intake.conftest import Maildir
from tests.signatures.conftest import DIRECTOR_TIN, EDRPOU, TestPKI, pki, replace_pdf_signature  # noqa: F401
from tests.signatures.dstu_pki import DIRECTOR_SUBJECT, DParty, cades, issue, make_crl
from workflows.accession import AccessionState as S

NOW = datetime.now(UTC).replace(microsecond=0)
DIRECTOR = DIRECTOR_SUBJECT
FORM = {
    "consumer_name": 'ТОВ "Ромашка"',
    "identifier": EDRPOU,
    "email": "office@romashka.example.ua",
    "phones": "067 123 45 67",
    "code_word": "Кобзар",
    "contact_name": "Шевченко Тарас Григорович",
}


@dataclass(frozen=True)
class CurrentPKI:
    director: DParty
    deputy: DParty
    roots: Path
    crls: Path


@pytest.fixture(scope="module")
def current_pki(tmp_path_factory: pytest.TempPathFactory) -> CurrentPKI:
    """A root, a qualified provider and two signers of one company, valid now, with CRLs current now."""
    year = timedelta(days=365)
    root = issue(
        {"common_name": "Тестовий ЦЗО", "country_name": "UA"},
        None,
        serial=1,
        ca=True,
        not_before=NOW - year,
        not_after=NOW + 10 * year,
    )
    ca = issue(
        {"common_name": "Тестовий КНЕДП", "country_name": "UA"},
        root,
        serial=10,
        ca=True,
        not_before=NOW - year,
        not_after=NOW + 5 * year,
    )
    valid = {"not_before": NOW - year, "not_after": NOW + year}
    director = issue(DIRECTOR, ca, serial=100, sda=(DIRECTOR_TIN, EDRPOU), **valid)
    deputy_subject = {**DIRECTOR, "title": "Заступник директора", "serial_number": "TINUA-2222222228"}
    deputy = issue(deputy_subject, ca, serial=101, sda=("2222222228", EDRPOU), **valid)
    folder = tmp_path_factory.mktemp("current-pki")
    (folder / "roots").mkdir()
    (folder / "roots" / "root.cer").write_bytes(root.cert.dump())
    (folder / "crls").mkdir()
    for n, issuer in enumerate((root, ca)):
        crl = make_crl(issuer, [], this_update=NOW - timedelta(days=1), next_update=NOW + timedelta(days=29))
        (folder / "crls" / f"{n}.crl").write_bytes(crl)
    return CurrentPKI(director, deputy, folder / "roots", folder / "crls")


@pytest.fixture
def verifying(intake_settings: Settings, current_pki: CurrentPKI) -> Settings:
    return intake_settings.replace(
        signatures={"trust_roots": str(current_pki.roots), "crl_dir": str(current_pki.crls)}
    )


def _detached(signer: DParty, form: bytes) -> bytes:
    p7s = cades(signer, form, signing_time=NOW - timedelta(hours=1))
    return corpus.with_attachments(
        [
            ("application/pdf", form, 'Content-Disposition: attachment; filename="zayava.pdf"'),
            ("application/pkcs7-signature", p7s, 'Content-Disposition: attachment; filename="zayava.pdf.p7s"'),
        ]
    )


def _signed_pdf(pki: TestPKI, signer: DParty, form: bytes) -> bytes:
    """The filled form signed inside the PDF (PAdES) with a DSTU 4145 CMS: pyHanko lays out the signature, whose
    CMS is then replaced by the DSTU one over the same bytes."""
    meta = signers.PdfSignatureMetadata(
        field_name="Signature1", subfilter=SigSeedSubFilter.PADES, md_algorithm="sha256"
    )
    laid_out = signers.PdfSigner(meta, signer=pki.director.signer()).sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(form)), bytes_reserved=16384
    )
    signed = replace_pdf_signature(
        laid_out.getvalue(), lambda covered: cades(signer, covered, signing_time=NOW - timedelta(hours=1))
    )
    return corpus.with_attachments(
        [("application/pdf", signed, 'Content-Disposition: attachment; filename="Заява КЕП.pdf"')]
    )


def _the_application(session: Session) -> Application:
    session.expire_all()
    return session.scalars(select(Application)).one()


def _events(session: Session, app: Application) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.subject_id == app.id).order_by(AuditEvent.id)))


def test_a_dstu_detached_signature_by_the_director_moves_on_to_the_call_by_itself(
    intake_db: Database, verifying: Settings, maildir: Maildir, session: Session, current_pki: CurrentPKI
) -> None:
    maildir.drop(_detached(current_pki.director, corpus.filled_form(FORM)))
    poll(intake_db, verifying)

    app = _the_application(session)
    assert app.channel == Channel.EMAIL_QUALIFIED
    assert app.signature_verdict == "passed"
    assert app.state == S.AWAITING_CONFIRMATION_CALL
    accepted = _events(session, app)[-1]
    assert (accepted.action, accepted.actor_label, accepted.actor_role) == ("accept_signature", "verifier", "system")


def test_a_pdf_signed_with_dstu_by_the_director_moves_on_to_the_call_by_itself(
    intake_db: Database, verifying: Settings, maildir: Maildir, session: Session, current_pki: CurrentPKI, pki: TestPKI
) -> None:
    maildir.drop(_signed_pdf(pki, current_pki.director, corpus.filled_form(FORM)))
    poll(intake_db, verifying)

    app = _the_application(session)
    assert app.channel == Channel.EMAIL_QUALIFIED
    assert app.signature_verdict == "passed"
    assert app.state == S.AWAITING_CONFIRMATION_CALL


def test_a_deputy_signature_passes_but_waits_for_an_operator(
    intake_db: Database, verifying: Settings, maildir: Maildir, session: Session, current_pki: CurrentPKI
) -> None:
    # The company is right and the signature is good; whether a deputy may sign for it is a person's call.
    maildir.drop(_detached(current_pki.deputy, corpus.filled_form(FORM)))
    poll(intake_db, verifying)

    app = _the_application(session)
    assert app.signature_verdict == "passed"
    assert app.state == S.AWAITING_SIGNATURE_CHECK


def test_with_automatic_acceptance_off_the_operator_decides(
    intake_db: Database, verifying: Settings, maildir: Maildir, session: Session, current_pki: CurrentPKI
) -> None:
    maildir.drop(_detached(current_pki.director, corpus.filled_form(FORM)))
    poll(intake_db, verifying.replace(workflow={"auto_accept_verified_signatures": False}))

    app = _the_application(session)
    assert app.signature_verdict == "passed"
    assert app.state == S.AWAITING_SIGNATURE_CHECK


def test_a_tampered_form_fails_and_accepting_it_needs_a_reason_on_record(
    intake_db: Database,
    verifying: Settings,
    maildir: Maildir,
    session: Session,
    current_pki: CurrentPKI,
    app: Flask,
    staff: Staff,
) -> None:
    form = corpus.filled_form(FORM)
    p7s = cades(current_pki.director, form, signing_time=NOW - timedelta(hours=1))
    changed = form.replace(b"/Type", b"/Type ", 1)  # one byte more after signing
    maildir.drop(
        corpus.with_attachments(
            [
                ("application/pdf", changed, 'Content-Disposition: attachment; filename="zayava.pdf"'),
                ("application/pkcs7-signature", p7s, 'Content-Disposition: attachment; filename="zayava.pdf.p7s"'),
            ]
        )
    )
    poll(intake_db, verifying)

    application = _the_application(session)
    assert application.signature_verdict == "not_passed"
    assert application.state == S.AWAITING_SIGNATURE_CHECK
    application.center_id = staff.center_a.id
    session.commit()

    client = log_in(app.test_client(), staff.operator_a.login)
    page = client.get(f"/admin/applications/{application.number}").get_data(as_text=True)
    assert "Signature is not valid" in page  # the verdict is on the page, with its report
    assert 'data-testid="reason-accept_signature"' in page  # the button asks for a reason

    url = f"/admin/applications/{application.number}/act/accept_signature"
    refused = post(client, url, {"version": application.version})
    assert refused.status_code == 302
    assert "give a reason to accept it anyway" in client.get(refused.location).get_data(as_text=True)
    assert _the_application(session).state == S.AWAITING_SIGNATURE_CHECK

    reason = "Підпис перевірено вручну з клієнтом"
    post(client, url, {"version": application.version, "reason": reason})
    application = _the_application(session)
    assert application.state == S.AWAITING_CONFIRMATION_CALL
    accepted = _events(session, application)[-1]
    assert (accepted.action, accepted.reason, accepted.actor_label) == ("accept_signature", reason, "op.a")


def test_a_qualified_application_is_not_accepted_before_its_report(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session, current_pki: CurrentPKI
) -> None:
    from backoffice.actors import Actor
    from backoffice.applications import services
    from workflows.engine import GuardFailed
    from workflows.roles import Role

    # No verifier configured for this poll: the signed files wait for their reports.
    maildir.drop(_detached(current_pki.director, corpus.filled_form(FORM)))
    poll(intake_db, intake_settings.replace(signatures={"trust_roots": "/nonexistent/roots"}))
    app = _the_application(session)
    assert app.signature_verdict == "pending"
    with pytest.raises(GuardFailed) as refused:
        services.fire(session, app, "accept_signature", Actor(Role.SUPERVISOR, "sup"), settings=intake_settings)
    assert [g.name for g in refused.value.guards] == ["signature_reported"]
