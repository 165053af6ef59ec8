"""Messages dropped into the Maildir become applications with their documents, acknowledged in the outbox."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backoffice.applications.models import Application, Channel, DocumentKind, SignatureCheck
from backoffice.audit.models import AuditEvent
from backoffice.database import Database
from backoffice.documents.storage import open_storage
from backoffice.intake.models import IncomingMessage, MessageStatus
from backoffice.intake.service import import_files, poll
from backoffice.letters.models import OutboxMessage
from backoffice.settings import Settings
from tests.backoffice.intake import corpus
from tests.backoffice.intake.conftest import Maildir
from tests.factories import valid_edrpou
from workflows.accession import AccessionState

NAME = "Заява-приєднання ТОВ «Сонячна Долина».pdf"


def _apps(session: Session) -> list[Application]:
    session.expire_all()
    return list(session.scalars(select(Application).order_by(Application.id)))


def _messages(session: Session) -> list[IncomingMessage]:
    session.expire_all()
    return list(session.scalars(select(IncomingMessage).order_by(IncomingMessage.id)))


def test_a_scan_becomes_an_application_acknowledged_without_personal_data(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session
) -> None:
    pdf = corpus.tiny_pdf("signed and stamped")
    maildir.drop(corpus.outlook(NAME, pdf, sender="Іван Петренко <Ivan@Firma.example.ua>"))

    summary = poll(intake_db, intake_settings)

    assert summary.created == 1 and summary.quarantined == 0
    [app] = _apps(session)
    assert app.channel == Channel.EMAIL_SCAN
    assert app.state == AccessionState.AWAITING_SIGNATURE_CHECK
    kinds = {d.kind: d for d in app.documents}
    assert kinds[DocumentKind.SCAN].filename == NAME
    original = kinds[DocumentKind.EMAIL_ORIGINAL]
    storage = open_storage(intake_settings, intake_db)
    assert storage.read(kinds[DocumentKind.SCAN].storage_path) == pdf
    assert storage.read(original.storage_path).startswith(b"From: ")
    [letter] = session.scalars(select(OutboxMessage)).all()
    assert letter.kind == "acknowledgement"
    assert letter.recipient == "ivan@firma.example.ua"
    assert letter.context == {"number": app.number}
    assert maildir.waiting() == [] and len(maildir.processed()) == 1
    [message] = _messages(session)
    assert message.status == MessageStatus.PROCESSED and message.application_id == app.id


def test_names_from_every_client_come_out_right(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session
) -> None:
    pdf = corpus.tiny_pdf()
    long_name = "Заява про приєднання до умов договору постачання електричної енергії (універсальна послуга).pdf"
    maildir.drop(corpus.outlook(NAME, pdf))
    maildir.drop(corpus.thunderbird(long_name, corpus.tiny_pdf("tb")))
    maildir.drop(corpus.gmail("Скан заяви.jpg", corpus.jpeg(), content_type="image/jpeg"))
    maildir.drop(corpus.raw_8bit_name("Заява підписана.pdf", corpus.tiny_pdf("raw"), charset="cp1251"))
    maildir.drop(corpus.raw_8bit_name("Заява УТФ.pdf", corpus.tiny_pdf("utf"), charset="utf-8"))
    maildir.drop(
        corpus.with_attachments(
            [
                (
                    "application/zip",
                    corpus.zip_of({"Скан заяви.pdf": corpus.tiny_pdf("zip")}, utf8_names=False),
                    'Content-Disposition: attachment; filename="docs.zip"',
                )
            ]
        )
    )

    poll(intake_db, intake_settings)

    documents = [d for a in _apps(session) for d in a.documents if d.kind != DocumentKind.EMAIL_ORIGINAL]
    names = {d.filename for d in documents}
    assert names == {NAME, long_name, "Скан заяви.jpg", "Заява підписана.pdf", "Заява УТФ.pdf", "Скан заяви.pdf"}
    # A file out of an archive keeps its own name, with the archive named as where it came from.
    assert {d.filename: d.origin for d in documents if d.origin} == {"Скан заяви.pdf": "docs.zip"}


def test_a_filled_form_fills_the_application_and_lists_its_problems(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session
) -> None:
    good = corpus.filled_form(
        {
            "consumer_name": "ТОВ «Сонячна Долина»",
            "identifier": valid_edrpou(7),
            "email": "office@dolyna.example.ua",
            "phones": "067 123 45 67",
            "code_word": "Кобзар",
            "contact_name": "Петренко Іван Петрович",
        }
    )
    bad = corpus.filled_form({"consumer_name": "ФОП Іваненко", "identifier": "12345670", "email": "not-an-email"})
    maildir.drop(corpus.gmail("form.pdf", good))
    maildir.drop(corpus.gmail("form2.pdf", bad))

    poll(intake_db, intake_settings)

    first, second = _apps(session)
    assert first.consumer_name == "ТОВ «Сонячна Долина»"
    assert first.identifier == valid_edrpou(7)
    assert first.email == "office@dolyna.example.ua"
    assert first.phones == ["+380671234567"]
    assert first.code_word_hash and "Кобзар" not in first.code_word_hash
    assert first.commercial_offer is not None and first.commercial_offer.value == "universal_service"
    m1, m2 = _messages(session)
    assert m1.problems == []
    assert second.consumer_name == "ФОП Іваненко" and second.identifier == ""
    assert {p["field"] for p in m2.problems} >= {"identifier", "email"}


def test_a_signed_pdf_inside_a_zip_takes_the_signed_path(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session
) -> None:
    archive = corpus.zip_of({"Заява КЕП.pdf": corpus.signed_pdf(), "Довіреність.pdf": corpus.tiny_pdf()})
    maildir.drop(
        corpus.with_attachments(
            [("application/x-zip-compressed", archive, 'Content-Disposition: attachment; filename="zayava.zip"')]
        )
    )

    summary = poll(intake_db, intake_settings)

    [app] = _apps(session)
    assert app.channel == Channel.EMAIL_QUALIFIED
    signed = [d for d in app.documents if d.kind == DocumentKind.SIGNED_PDF]
    assert [d.filename for d in signed] == ["Заява КЕП.pdf"]
    assert summary.signature_checks == 1
    [check] = session.scalars(select(SignatureCheck)).all()
    assert check.document_id == signed[0].id
    # The signer chains to no configured trust root: never passed, and the operator is told why.
    assert (check.indication, check.sub_indication, check.integrity) == (
        "INDETERMINATE",
        "NO_CERTIFICATE_CHAIN_FOUND",
        "intact",
    )
    assert check.report["signatures"] and check.report["message"]
    # The signature covers the whole file: the file itself is the evidence, nothing is stored twice.
    assert check.report["evidence"][0]["size"] == signed[0].size
    assert not [d for d in app.documents if d.kind == DocumentKind.SIGNED_EVIDENCE]


def test_a_pdf_changed_after_signing_keeps_the_signed_revision_as_evidence(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session
) -> None:
    manipulated = (corpus.CORPUS / "pdf_attack_form_form_v2-signed-manipulated.pdf").read_bytes()
    maildir.drop(corpus.gmail("zayava.pdf", manipulated))

    poll(intake_db, intake_settings)

    [app] = _apps(session)
    [check] = session.scalars(select(SignatureCheck)).all()
    assert check.indication != "TOTAL_PASSED" and check.integrity == "modified"
    [evidence] = [d for d in app.documents if d.kind == DocumentKind.SIGNED_EVIDENCE]
    assert 0 < evidence.size < len(manipulated)  # the revision the signer saw, cut at the signature
    assert evidence.content_type == "application/pdf"


def test_a_forwarded_message_brings_its_attachments(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session
) -> None:
    inner = corpus.thunderbird("Заява директора.pdf", corpus.tiny_pdf("inner"))
    maildir.drop(corpus.forwarded(inner, subject="Fwd: заява"))

    poll(intake_db, intake_settings)

    [app] = _apps(session)
    assert "Заява директора.pdf" in {d.filename for d in app.documents}


def test_a_message_without_message_id_is_processed_once(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session, tmp_path
) -> None:
    raw = corpus.gmail("scan.pdf", corpus.tiny_pdf(), message_id=None)
    maildir.drop(raw)
    maildir.drop(raw)  # the server delivered it twice
    eml = tmp_path / "saved.eml"
    eml.write_bytes(raw)

    poll(intake_db, intake_settings)
    again = import_files(intake_db, intake_settings, [eml])

    assert again.duplicates == 1 and again.created == 0
    assert len(_apps(session)) == 1
    assert len(_messages(session)) == 1
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_auto_replies_and_bounces_are_kept_but_never_acknowledged(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session
) -> None:
    maildir.drop(corpus.auto_reply())
    maildir.drop(corpus.bounce())

    summary = poll(intake_db, intake_settings)

    assert summary.ignored == 2 and summary.created == 0
    assert {m.reason for m in _messages(session)} == {"auto_reply", "bounce"}
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_a_reply_with_the_number_adds_documents_to_the_application(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session
) -> None:
    sender = "Іван Петренко <ivan@firma.example.ua>"
    maildir.drop(corpus.gmail("scan.pdf", corpus.tiny_pdf("first"), sender=sender))
    poll(intake_db, intake_settings)
    [app] = _apps(session)

    maildir.drop(
        corpus.gmail("scan-2.pdf", corpus.tiny_pdf("second"), sender=sender, subject=f"Re: Заява {app.number}")
    )
    maildir.drop(
        corpus.gmail(
            "other.pdf", corpus.tiny_pdf("x"), sender="Хтось <someone@else.example>", subject=f"Re: {app.number}"
        )
    )
    summary = poll(intake_db, intake_settings)

    assert summary.attached == 1 and summary.created == 0 and summary.quarantined == 1
    [app] = _apps(session)
    assert {"scan.pdf", "scan-2.pdf"} <= {d.filename for d in app.documents}
    foreign = _messages(session)[-1]
    assert foreign.status == MessageStatus.QUARANTINED and foreign.reason == "foreign_reply"
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.subject_id == app.id, AuditEvent.subject_type == "application")
    ).all()
    assert "documents_added" in actions


def test_a_reply_to_our_letter_resubmits_a_rejected_signature(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session
) -> None:
    from backoffice.actors import Actor
    from backoffice.applications import services
    from workflows.roles import Role

    sender = "ivan@firma.example.ua"
    maildir.drop(corpus.gmail("scan.pdf", corpus.tiny_pdf("first"), sender=sender))
    poll(intake_db, intake_settings)
    [app] = _apps(session)
    services.fire(
        session, app, "reject_signature", Actor(Role.SUPERVISOR, "sup"), reason="no stamp", settings=intake_settings
    )
    session.commit()
    # The customer answers our acknowledgement (their client sets In-Reply-To to its Message-ID).
    letter = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "acknowledgement")).one()

    maildir.drop(
        corpus.gmail(
            "stamped.pdf",
            corpus.tiny_pdf("stamped"),
            sender=sender,
            subject="Re: лист",
            extra={"In-Reply-To": f"<letter-{letter.id}-20260302091500@supplier.example.ua>"},
        )
    )
    poll(intake_db, intake_settings)

    [app] = _apps(session)
    assert app.state == AccessionState.AWAITING_SIGNATURE_CHECK
    assert "stamped.pdf" in {d.filename for d in app.documents}
