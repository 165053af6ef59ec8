"""Every action on the application page: the role check, CSRF, and what the operator sees afterwards."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.applications.models import Application, ConfirmationCall, RegistrationCode
from backoffice.audit.models import AuditEvent
from backoffice.letters.models import OutboxMessage
from backoffice.settings import Settings
from tests import factories
from tests.backoffice.admin.conftest import Staff, post
from tests.conftest import STORAGE_BACKENDS
from tests.services import cli_environment
from workflows.accession import AccessionState as S

#: every POST endpoint of the application page, with a form that would succeed for the right person
ACTIONS = [
    ("act/submit_for_check", S.RECEIVED, {}),
    ("act/accept_signature", S.AWAITING_SIGNATURE_CHECK, {}),
    ("act/reject_signature", S.AWAITING_SIGNATURE_CHECK, {"reason": "Печатка нечитабельна"}),
    ("act/issue_code", S.CONFIRMED, {}),
    ("act/reissue_code", S.CODE_ISSUED, {}),
    ("act/reject", S.AWAITING_CONFIRMATION_CALL, {"reason": "Дублікат заяви"}),
    ("act/withdraw", S.RECEIVED, {"reason": "Споживач відкликав"}),
    ("call", S.AWAITING_CONFIRMATION_CALL, {"outcome": "confirmed", "spoken_code_word": factories.CODE_WORD}),
    ("edit", S.AWAITING_CONFIRMATION_CALL, {"contact_name": "Петренко Петро Петрович"}),
    ("claim", S.RECEIVED, {}),
    ("release", S.RECEIVED, {}),
    ("reassign", S.RECEIVED, {}),
]


def _state(session: Session, app: Application) -> S:
    session.expire_all()
    return session.get(Application, app.id).state  # type: ignore[union-attr]


def _events(session: Session, app: Application) -> list[str]:
    return list(
        session.scalars(
            select(AuditEvent.action).where(AuditEvent.subject_id == app.id).order_by(AuditEvent.id)
        )
    )


@pytest.mark.parametrize(("action", "state", "form"), ACTIONS, ids=[a[0] for a in ACTIONS])
def test_a_post_without_csrf_token_is_refused(make, session, staff: Staff, login, action, state, form):
    app = make.application(state, center=staff.center_a)
    session.commit()
    before = _events(session, app)
    client = login(staff.supervisor)
    response = post(client, f"/admin/applications/{app.number}/{action}", {**form, "version": app.version}, token=False)
    assert response.status_code == 400
    assert _events(session, app) == before


@pytest.mark.parametrize(("action", "state", "form"), ACTIONS, ids=[a[0] for a in ACTIONS])
def test_another_centers_operator_gets_404_and_changes_nothing(make, session, staff: Staff, login, action, state, form):
    app = make.application(state, center=staff.center_a)
    session.commit()
    before = _events(session, app)
    client = login(staff.operator_b)
    response = post(client, f"/admin/applications/{app.number}/{action}", {**form, "version": app.version})
    # Reassigning is refused to every operator before the application is even looked up.
    assert response.status_code == (403 if action == "reassign" else 404)
    assert _events(session, app) == before
    assert client.get(f"/admin/applications/{app.number}").status_code == 404


@pytest.mark.parametrize(("action", "state", "form"), ACTIONS, ids=[a[0] for a in ACTIONS])
def test_an_administrator_does_not_work_the_queue(make, session, staff: Staff, login, action, state, form):
    app = make.application(state, center=staff.center_a)
    session.commit()
    client = login(staff.admin)
    response = post(client, f"/admin/applications/{app.number}/{action}", {**form, "version": app.version})
    assert response.status_code == 403
    assert client.get(f"/admin/applications/{app.number}").status_code == 403
    assert client.get("/admin/applications/").status_code == 403


def test_only_a_supervisor_reassigns(make, session, staff: Staff, login):
    app = make.application(S.RECEIVED, center=staff.center_a)
    session.commit()
    operator = login(staff.operator_a)
    response = post(operator, f"/admin/applications/{app.number}/reassign", {"operator_id": staff.operator_a.id})
    assert response.status_code == 403
    assert "reassign-form" not in operator.get(f"/admin/applications/{app.number}").get_data(as_text=True)

    supervisor = login(staff.supervisor)
    response = post(
        supervisor, f"/admin/applications/{app.number}/reassign", {"operator_id": staff.operator_a2.id}
    )
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Application, app.id).assignee_id == staff.operator_a2.id
    page = supervisor.get(f"/admin/applications/{app.number}").get_data(as_text=True)
    assert staff.operator_a2.full_name in page


def test_operator_takes_an_application_from_arrival_to_code_issued(make, session, staff: Staff, login):
    app = make.application(S.AWAITING_SIGNATURE_CHECK, center=staff.center_a)
    session.commit()
    client = login(staff.operator_a)
    page = client.get(f"/admin/applications/{app.number}").get_data(as_text=True)
    assert 'data-testid="act-accept_signature"' in page
    assert 'data-testid="act-issue_code"' not in page  # only what is legal now

    assert post(client, f"/admin/applications/{app.number}/claim").status_code == 302
    post(client, f"/admin/applications/{app.number}/act/accept_signature", {"version": app.version + 1})
    assert _state(session, app) == S.AWAITING_CONFIRMATION_CALL

    version = session.get(Application, app.id).version
    response = post(
        client,
        f"/admin/applications/{app.number}/call",
        {"outcome": "confirmed", "spoken_code_word": "  кобзар ", "version": version},
    )
    assert "Match" in client.get(response.location).get_data(as_text=True)
    assert _state(session, app) == S.CONFIRMED

    version = session.get(Application, app.id).version
    post(client, f"/admin/applications/{app.number}/act/issue_code", {"version": version})
    assert _state(session, app) == S.CODE_ISSUED
    letters = session.scalars(select(OutboxMessage.kind).where(OutboxMessage.application_id == app.id)).all()
    assert sorted(letters) == ["invitation", "registration_code"]
    assert _events(session, app)[-4:] == ["claim", "accept_signature", "confirm", "issue_code"]


def test_a_wrong_code_word_is_refused_but_the_call_is_on_record(make, session, staff: Staff, login):
    app = make.application(S.AWAITING_CONFIRMATION_CALL, center=staff.center_a)
    session.commit()
    client = login(staff.operator_a)
    response = post(
        client,
        f"/admin/applications/{app.number}/call",
        {"outcome": "confirmed", "spoken_code_word": "Шевченко", "version": app.version},
    )
    page = client.get(response.location).get_data(as_text=True)
    assert "No match" in page
    assert factories.CODE_WORD not in page  # the stored code word is never shown
    assert _state(session, app) == S.AWAITING_CONFIRMATION_CALL
    call = session.scalars(select(ConfirmationCall).where(ConfirmationCall.application_id == app.id)).one()
    assert call.code_word_matched is False
    assert "code_word_mismatch" in _events(session, app)


def test_no_answer_schedules_a_retry_and_refusal_rejects(make, session, staff: Staff, login):
    first = make.application(S.AWAITING_CONFIRMATION_CALL, center=staff.center_a)
    second = make.application(S.AWAITING_CONFIRMATION_CALL, center=staff.center_a)
    session.commit()
    client = login(staff.operator_a)
    post(client, f"/admin/applications/{first.number}/call", {"outcome": "no_answer"})
    assert _state(session, first) == S.CALL_RETRY_SCHEDULED
    assert session.get(Application, first.id).next_call_at is not None
    post(client, f"/admin/applications/{second.number}/call", {"outcome": "refused", "note": "Не подавали заяву"})
    assert _state(session, second) == S.REJECTED
    letter = session.scalars(select(OutboxMessage).where(OutboxMessage.application_id == second.id)).one()
    assert letter.context["reason"] == "Не подавали заяву"


def test_corrected_data_during_the_call_is_saved_with_before_and_after(make, session, staff: Staff, login):
    app = make.application(S.AWAITING_CONFIRMATION_CALL, center=staff.center_a, email="old@example.com")
    session.commit()
    client = login(staff.operator_a)
    post(
        client,
        f"/admin/applications/{app.number}/call",
        {"outcome": "corrected", "spoken_code_word": factories.CODE_WORD, "email": "new@example.com",
         "consumer_name": app.consumer_name},
    )
    assert _state(session, app) == S.CONFIRMED
    assert session.get(Application, app.id).email == "new@example.com"
    page = client.get(f"/admin/applications/{app.number}").get_data(as_text=True)
    assert "old@example.com → new@example.com" in page


def test_a_rejection_needs_a_reason_that_goes_into_the_letter(make, session, staff: Staff, login):
    app = make.application(S.AWAITING_SIGNATURE_CHECK, center=staff.center_a)
    session.commit()
    client = login(staff.operator_a)
    response = post(client, f"/admin/applications/{app.number}/act/reject_signature", {"reason": " "})
    assert "Give a reason" in client.get(response.location).get_data(as_text=True)
    assert _state(session, app) == S.AWAITING_SIGNATURE_CHECK
    post(client, f"/admin/applications/{app.number}/act/reject_signature", {"reason": "Немає печатки"})
    assert _state(session, app) == S.SIGNATURE_REJECTED
    letter = session.scalars(select(OutboxMessage).where(OutboxMessage.application_id == app.id)).one()
    assert (letter.kind, letter.context["reason"]) == ("signature_rejected", "Немає печатки")


def test_editing_data_is_validated_and_audited(make, session, staff: Staff, login):
    app = make.application(S.AWAITING_CONFIRMATION_CALL, center=staff.center_a)
    session.commit()
    client = login(staff.operator_a)
    response = post(client, f"/admin/applications/{app.number}/edit", {"identifier": "12345670"})
    assert "wrong check digit" in client.get(response.location).get_data(as_text=True)
    new_id = factories.valid_edrpou(999)
    post(client, f"/admin/applications/{app.number}/edit", {"identifier": new_id, "reason": "помилка в скані"})
    session.expire_all()
    assert session.get(Application, app.id).identifier == new_id
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "edit")).one()
    assert event.changes["identifier"][1] == new_id and event.reason == "помилка в скані"


def test_reissuing_invalidates_the_previous_code(make, session, staff: Staff, login):
    app = make.application(S.CODE_ISSUED, center=staff.center_a)
    session.commit()
    client = login(staff.operator_a)
    post(client, f"/admin/applications/{app.number}/act/reissue_code")
    codes = session.scalars(select(RegistrationCode).where(RegistrationCode.application_id == app.id)).all()
    assert len(codes) == 2 and codes[0].revoked_at is not None and codes[1].revoked_at is None


def test_a_stale_form_is_refused_and_says_who_changed_the_application(make, session, staff: Staff, login):
    app = make.application(S.AWAITING_SIGNATURE_CHECK, center=staff.center_a)
    session.commit()
    stale = app.version
    first, second = login(staff.operator_a), login(staff.operator_a2)
    post(first, f"/admin/applications/{app.number}/act/accept_signature", {"version": stale})
    response = post(second, f"/admin/applications/{app.number}/act/reject_signature", {"version": stale, "reason": "x"})
    page = second.get(response.location).get_data(as_text=True)
    assert "op.a changed this application" in page
    assert _state(session, app) == S.AWAITING_CONFIRMATION_CALL


def test_an_action_that_is_not_legal_now_changes_nothing(make, session, staff: Staff, login):
    app = make.application(S.RECEIVED, center=staff.center_a)
    session.commit()
    client = login(staff.operator_a)
    response = post(client, f"/admin/applications/{app.number}/act/issue_code")
    assert "not possible" in client.get(response.location).get_data(as_text=True)
    assert _state(session, app) == S.RECEIVED
    assert post(client, f"/admin/applications/{app.number}/act/expire_code").status_code == 404


def test_the_page_shows_warnings_diagram_and_history(make, session, staff: Staff, login):
    app = make.application(S.AWAITING_CONFIRMATION_CALL, center=staff.center_a, phones="+48 601 234 567")
    session.commit()
    client = login(staff.operator_a)
    page = client.get(f"/admin/applications/{app.number}").get_data(as_text=True)
    assert "not a Ukrainian number" in page
    assert "No supply contract" in page
    assert f"/admin/applications/diagram/{S.AWAITING_CONFIRMATION_CALL.value}.svg" in page
    svg = client.get(f"/admin/applications/diagram/{S.AWAITING_CONFIRMATION_CALL.value}.svg")
    assert svg.mimetype == "image/svg+xml" and b"#ffd54f" in svg.data
    assert "Accept signature" in page  # the history names the step that led here


@pytest.mark.parametrize("storage_backend", STORAGE_BACKENDS)
def test_documents_preview_inline_and_the_original_email_downloads(make, session, staff: Staff, login, settings):
    from backoffice.applications.models import Document, DocumentKind
    from backoffice.documents.storage import open_storage

    app = make.application(S.AWAITING_SIGNATURE_CHECK, center=staff.center_a)
    storage = open_storage(settings, session)  # stored in the test's transaction, committed with the rows
    pdf = storage.put_bytes(b"%PDF-1.4\n% scan\n")
    eml = storage.put_bytes(b"From: a@example.com\r\n\r\nhello")
    scan = Document(application=app, kind=DocumentKind.SCAN, filename="scan.pdf", content_type="application/pdf",
                    size=pdf.size, sha256=pdf.sha256, storage_path=pdf.path)
    original = Document(application=app, kind=DocumentKind.EMAIL_ORIGINAL, filename="message.eml",
                        content_type="message/rfc822", size=eml.size, sha256=eml.sha256, storage_path=eml.path)
    escape = Document(application=app, kind=DocumentKind.OTHER, filename="x", content_type="text/plain",
                      size=1, sha256="0" * 64, storage_path="../../etc/passwd")
    session.add_all([scan, original, escape])
    session.commit()
    client = login(staff.operator_a)
    page = client.get(f"/admin/applications/{app.number}").get_data(as_text=True)
    assert f'<iframe class="preview" src="/admin/applications/{app.number}/documents/{scan.id}"' in page
    with client.get(f"/admin/applications/{app.number}/documents/{scan.id}") as shown:
        assert shown.mimetype == "application/pdf" and "inline" in shown.headers["Content-Disposition"]
        assert "default-src 'none'" in shown.headers["Content-Security-Policy"]
    with client.get(f"/admin/applications/{app.number}/documents/{original.id}") as download:
        assert "attachment" in download.headers["Content-Disposition"] and download.data.endswith(b"hello")
    assert client.get(f"/admin/applications/{app.number}/documents/{escape.id}").status_code == 404
    other = login(staff.operator_b)
    assert other.get(f"/admin/applications/{app.number}/documents/{scan.id}").status_code == 404


def test_the_signature_report_reads_as_a_coloured_verdict(make, session, staff: Staff, login):
    from backoffice.applications.models import Document, DocumentKind, SignatureCheck

    app = make.application(S.AWAITING_SIGNATURE_CHECK, center=staff.center_a)
    signer = {"kind": "signature", "name": "Шевченко Олена Петрівна", "organization": "ТОВ «Степова»",
              "edrpou": app.identifier, "title": "директор", "best_signing_time": "2026-03-01T10:00:00+00:00"}
    reports = {
        "green": {"indication": "TOTAL_PASSED", "integrity": "intact", "signer_match": "match",
                  "message": "Підпис дійсний", "signatures": [{**signer, "signer_match": "match"}]},
        "amber": {"indication": "TOTAL_PASSED", "integrity": "intact", "signer_match": "signatory_mismatch",
                  "message": "Підписувач не той", "signatures": [{**signer, "signer_match": "signatory_mismatch"}]},
        "red": {"indication": "TOTAL_FAILED", "integrity": "modified", "message": "Документ змінено",
                "signatures": [signer]},
    }
    for colour, report in reports.items():
        doc = Document(application=app, kind=DocumentKind.SIGNED_PDF, filename=f"{colour}.pdf", sha256="1" * 64,
                       storage_path="")
        session.add(doc)
        session.flush()
        session.add(SignatureCheck(document_id=doc.id, indication=report["indication"],
                                   integrity=report["integrity"], report={**report, "filename": f"{colour}.pdf"}))
    session.commit()
    page = login(staff.operator_a).get(f"/admin/applications/{app.number}").get_data(as_text=True)
    for colour in reports:
        assert f'data-verdict="{colour}"' in page
    assert "Шевченко Олена Петрівна" in page and "The signer is not the person who signed the contract" in page
    assert "Документ змінено" in page


def test_the_signature_report_speaks_the_operators_language(make, session, staff: Staff, login):
    """The verifier keeps its sentence in Ukrainian; an operator who picked English or Russian reads it in that
    language, and the verifier's own technical words sit under a label in it."""
    from backoffice.applications.models import Document, DocumentKind, SignatureCheck

    app = make.application(S.AWAITING_SIGNATURE_CHECK, center=staff.center_a)
    doc = Document(application=app, kind=DocumentKind.SIGNED_PDF, filename="contract.pdf", sha256="1" * 64,
                   storage_path="")
    session.add(doc)
    session.flush()
    report = {"indication": "TOTAL_PASSED", "integrity": "intact", "signer_match": "not_checked",
              "message_code": "PASSED", "message": "Підпис дійсний (старе формулювання)",
              "details": "pyhanko: signature OK", "filename": "contract.pdf", "signatures": []}
    session.add(SignatureCheck(document_id=doc.id, indication="TOTAL_PASSED", integrity="intact", report=report))
    session.commit()
    client = login(staff.operator_a)
    pages = {lang: client.get(f"/admin/applications/{app.number}?lang={lang}").get_data(as_text=True)
             for lang in ("en", "ru", "uk")}
    assert "The signature is valid: the document has not changed since signing" in pages["en"]
    assert "Подпись действительна: документ не изменялся после подписания" in pages["ru"]
    assert "Підпис дійсний: документ не змінювався після підписання" in pages["uk"]
    for lang, label in (("en", "Technical details"), ("ru", "Технические подробности"), ("uk", "Технічні подробиці")):
        assert f"<summary>{label}</summary>" in pages[lang] and "pyhanko: signature OK" in pages[lang]
        assert "Підпис дійсний (старе формулювання)" not in pages[lang]


def test_a_report_the_verifier_could_not_make_is_translated_too(make, session, staff: Staff, login):
    """The back office's own sentences for a file it could not verify follow the operator's language as well."""
    from backoffice.applications.models import Document, DocumentKind, SignatureCheck

    app = make.application(S.AWAITING_SIGNATURE_CHECK, center=staff.center_a)
    doc = Document(application=app, kind=DocumentKind.DETACHED_SIGNATURE, filename="contract.p7s", sha256="1" * 64,
                   storage_path="")
    session.add(doc)
    session.flush()
    report = {"indication": "INDETERMINATE", "sub_indication": "SIGNED_DATA_NOT_FOUND", "integrity": None,
              "message": "Файл, який підписує цей відокремлений підпис, не надійшов разом із ним.",
              "filename": "contract.p7s"}
    session.add(SignatureCheck(document_id=doc.id, indication="INDETERMINATE", integrity=None, report=report))
    session.commit()
    page = login(staff.operator_a).get(f"/admin/applications/{app.number}?lang=en").get_data(as_text=True)
    assert "The file this detached signature signs did not arrive with it." in page
    assert 'data-verdict="amber"' in page


#: The app built in a fresh interpreter, as a web worker builds it, and one stored report read as its page shows
#: it; then the sentence, and whether the signature verifier (pyHanko) was loaded on the way.
_WORKER = """
import json, sys
from backoffice.admin import signature_report
from backoffice.app import create_app
app = create_app()
stored = {"indication": "INDETERMINATE", "integrity": "intact", "message_code": "NO_SIGNATURE", "message": "old"}
with app.test_request_context("/?lang=uk"):
    view = signature_report.present(stored)
print(json.dumps({"message": view.message, "verifier": "pyhanko" in sys.modules}))
"""


def test_a_web_worker_shows_stored_signature_reports_without_loading_the_verifier(
    settings: Settings, tmp_path: Path
) -> None:
    """The pages only show reports the verifier stored; loading pyHanko, its certificate validator and aiohttp in
    every web worker cost about 25 MB and half a second each (docs/benchmarks.md)."""
    env = cli_environment(settings.database_url, tmp_path / "instance")
    worker = subprocess.run([sys.executable, "-c", _WORKER], env=env, capture_output=True, text=True, check=True)
    shown = json.loads(worker.stdout)
    assert shown["message"] == "Документ не містить електронного підпису."  # today's sentence for the stored code
    assert shown["verifier"] is False
