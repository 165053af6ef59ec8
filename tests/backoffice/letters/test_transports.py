"""SMTP with STARTTLS or implicit TLS and a login, verified against a CA the test made; and the folder."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.database import Database
from backoffice.letters.models import OutboxMessage, OutboxStatus
from backoffice.scheduler.sender import deliver_due
from backoffice.settings import Settings
from tests.backoffice.letters.conftest import smtp_settings
from tests.backoffice.letters.smtpserver import MailPki, SmtpServer, authenticator, make_pki
from tests.factories import Factory
from workflows.accession import AccessionState


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> MailPki:
    return make_pki(tmp_path_factory.mktemp("pki"))


def _statuses(db: Database) -> list[tuple[OutboxStatus, str]]:
    with db.session() as s:
        return [(m.status, m.last_error) for m in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def test_starttls_with_login(make: Factory, session: Session, db: Database, settings: Settings, pki: MailPki) -> None:
    server = SmtpServer(
        tls_context=pki.server_context,
        require_starttls=True,
        authenticator=authenticator("backoffice", "s3cret"),
        auth_require_tls=True,
    ).start()
    make.application(AccessionState.CODE_ISSUED)
    session.commit()
    try:
        wrong = smtp_settings(
            settings, server, security="starttls", ca_file=str(pki.ca_file), username="backoffice", password="nope"
        )
        report = deliver_due(db, wrong)
        assert report.waiting == 2  # a refused login is the server's problem, not the letters'
        assert all(s == OutboxStatus.PENDING and "refused the login" in e for s, e in _statuses(db))

        right = smtp_settings(
            settings, server, security="starttls", ca_file=str(pki.ca_file), username="backoffice", password="s3cret"
        )
        assert deliver_due(db, right).sent == 2
    finally:
        server.stop()
    assert len(server.received) == 2


def test_an_untrusted_certificate_is_refused(
    make: Factory, session: Session, db: Database, settings: Settings, pki: MailPki
) -> None:
    server = SmtpServer(tls_context=pki.server_context, require_starttls=True).start()
    make.application(AccessionState.CODE_ISSUED)
    session.commit()
    try:
        report = deliver_due(db, smtp_settings(settings, server, security="starttls"))  # system CAs only
    finally:
        server.stop()
    assert report.waiting == 2 and server.received == []
    assert all("CERTIFICATE_VERIFY_FAILED" in e for _, e in _statuses(db))


def test_implicit_tls(make: Factory, session: Session, db: Database, settings: Settings, pki: MailPki) -> None:
    server = SmtpServer(ssl_context=pki.server_context).start()
    make.application(AccessionState.CODE_ISSUED)
    session.commit()
    try:
        report = deliver_due(db, smtp_settings(settings, server, security="tls", ca_file=str(pki.ca_file)))
    finally:
        server.stop()
    assert report.sent == 2 and len(server.received) == 2


def test_folder_transport_writes_letters_a_person_can_open(
    make: Factory, session: Session, db: Database, settings: Settings
) -> None:
    app = make.application(AccessionState.CODE_ISSUED)
    session.commit()

    assert deliver_due(db, settings).sent == 2  # the embedded default: transport = "folder"

    files = sorted(Path(settings.outbox_dir).glob("*.eml"))
    assert len(files) == 2 and not list(Path(settings.outbox_dir).glob(".*"))  # no temporary files left
    messages = [message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]
    assert {str(m["To"]) for m in messages} == {app.email}
    invitation = next(m for m in messages if "/company" in m.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    assert invitation.get_content_type() == "multipart/alternative"
