"""The lookups the intake and the registration make by address and by Message-ID read an index, not the table.

Each of them once read every row (7.8 s for one emailed application from a new sender on a million
applications). The statements are the ones the code really sends: they are caught on their way to PostgreSQL and
explained with sequential scans off (the test's tables are tiny), and each plan must name its index: an index scan
of the primary key that filters every row would not.
"""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from backoffice.applications import routing
from backoffice.customers import rules
from backoffice.database import Database
from backoffice.intake import matching
from backoffice.intake.envelope import Envelope
from backoffice.settings import Settings
from tests.backoffice.plans import explain_sent
from tests.factories import Factory

pytestmark = [pytest.mark.postgres, pytest.mark.committed]


def test_routing_by_the_sender_reads_the_address_indexes(make: Factory, session: Session, db: Database) -> None:
    app = make.application()
    session.commit()
    plans = explain_sent(db, lambda: routing.center_for(session, app, "New.Sender@Firma.example.ua"))
    assert any("ix_contract_contact_email_lower_id" in p for p in plans), plans
    assert any("ix_application_email_lower_id" in p for p in plans), plans


def test_a_reply_is_matched_by_its_message_id_through_the_index(
    session: Session, db: Database, settings: Settings
) -> None:
    envelope = Envelope(
        message_id=None, sender="ivan@firma.example.ua", subject="Re: заява", answers=("<abc@firma.example.ua>",)
    )
    plans = explain_sent(db, lambda: matching.find(session, envelope, settings))
    assert any("ix_incoming_message_message_id" in p for p in plans), plans


def test_is_a_login_taken_reads_the_email_index(session: Session, db: Database) -> None:
    plans = explain_sent(db, lambda: rules.login_taken(session, "ivan.petrenko"))
    assert any("ix_customer_account_email_lower" in p for p in plans), plans


def test_the_verifiers_next_batch_reads_only_the_unchecked_signed_documents(
    session: Session, db: Database, settings: Settings
) -> None:
    from backoffice.documents import verification

    plans = explain_sent(db, lambda: verification.check_pending(session, settings))
    assert any("ix_document_signature_unchecked" in p for p in plans), plans
    assert not any("signature_check" in p for p in plans), plans  # no longer read against every check made


def test_the_emails_waiting_for_their_signature_check_are_read_from_their_index(
    session: Session, db: Database, settings: Settings
) -> None:
    from backoffice.intake import signatures

    plans = explain_sent(db, lambda: signatures.check_email_signatures(session, settings))
    assert any("ix_incoming_message_signature_pending" in p for p in plans), plans


def test_staff_search_requests_by_number_login_or_identifier_through_indexes(session: Session, db: Database) -> None:
    from backoffice.actors import Actor
    from backoffice.requests import services as requests
    from workflows.roles import Role

    supervisor = Actor(Role.SUPERVISOR, "supervisor", 1, None)
    plans = explain_sent(db, lambda: requests.search(session, supervisor, query="12345678"))
    assert plans, "the search sent no statement"
    for plan in plans:
        assert "uq_customer_request_number" in plan and "ix_customer_request_account_id" in plan, plan
        assert "ix_application_identifier" in plan, plan
