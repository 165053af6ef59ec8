"""With documents in the database, a message taken in on one host is read on another that shares no disk."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.applications.models import Application, DocumentKind
from backoffice.database import Database
from backoffice.intake.models import IncomingMessage
from backoffice.intake.service import poll
from backoffice.settings import Settings
from tests.backoffice.admin.conftest import log_in
from tests.backoffice.intake import corpus
from tests.backoffice.intake.conftest import Maildir
from tests.conftest import app_on
from tests.factories import Factory
from workflows.roles import Role


def _files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


@pytest.mark.parametrize("storage_backend", ["database"])
def test_a_message_taken_in_on_one_host_downloads_on_another_with_an_empty_instance_folder(
    intake_db: Database, intake_settings: Settings, maildir: Maildir, session: Session, make: Factory, tmp_path: Path
) -> None:
    scan = corpus.tiny_pdf("signed and stamped") + b"%" + os.urandom(700_000)  # several pieces of 256 KB
    raw = corpus.outlook("Скан заяви.pdf", scan, sender="office@firma.example.ua")
    maildir.drop(raw)

    assert poll(intake_db, intake_settings).created == 1  # the intake host
    assert _files(intake_settings.documents_dir) == []  # nothing of it went to that host's disk either

    other_host = intake_settings.replace(site={"instance_dir": str(tmp_path / "web-host")})
    web = app_on(other_host, intake_db)
    web.config.update(TESTING=True)
    try:
        supervisor = make.operator(Role.SUPERVISOR)
        session.commit()
        client = log_in(web.test_client(), supervisor.login)
        [app] = session.scalars(select(Application)).all()
        documents = {d.kind: d for d in app.documents}
        scan_url = f"/admin/applications/{app.number}/documents/{documents[DocumentKind.SCAN].id}"

        page = client.get(f"/admin/applications/{app.number}").get_data(as_text=True)
        assert scan_url in page
        with client.get(scan_url) as preview:
            assert preview.status_code == 200 and preview.mimetype == "application/pdf"
            assert preview.data == scan
        # The browser's PDF viewer asks for parts: it gets exactly the part, from the middle of the stored pieces.
        with client.get(scan_url, headers={"Range": "bytes=300000-300099"}) as part:
            assert part.status_code == 206 and part.data == scan[300000:300100]
        original = documents[DocumentKind.EMAIL_ORIGINAL]
        with client.get(f"/admin/applications/{app.number}/documents/{original.id}") as download:
            assert "attachment" in download.headers["Content-Disposition"] and download.data == raw
        message = session.scalars(select(IncomingMessage)).one()
        with client.get(f"/admin/intake/{message.id}/original") as eml:
            assert eml.status_code == 200 and eml.data == raw
    finally:
        web.extensions["backoffice.db"].dispose()
    assert _files(other_host.documents_dir) == []
