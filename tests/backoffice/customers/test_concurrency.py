"""Fifty customers submit one valid code at the same moment: exactly one account, one completion."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backoffice.applications.models import Application, RegistrationCode
from backoffice.audit.models import AuditEvent
from backoffice.customers import registration
from backoffice.customers.models import CustomerAccount
from backoffice.database import Database
from backoffice.letters.models import OutboxMessage
from backoffice.passwords import hash_secret
from backoffice.validation.problems import Invalid
from tests.backoffice.customers.conftest import PASSWORD, Issued
from workflows.accession import AccessionState

#: Fifty threads, each on a connection of its own, submit one code.
pytestmark = pytest.mark.committed

SUBMISSIONS = 50


@pytest.mark.postgres
def test_fifty_simultaneous_submissions_of_one_code_make_one_account(
    db: Database, settings, issued: Issued, session: Session
) -> None:
    password_hash = hash_secret(PASSWORD)  # the slow hash is not what races; hashing fifty times would only wait
    ready = threading.Barrier(SUBMISSIONS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def submit(n: int) -> None:
        with db.sessions() as s:
            try:
                checked = registration.check(s, settings, code=issued.code, identifier=issued.identifier)
                s.commit()
                ready.wait(timeout=30)  # everyone has passed the check; now all spend at once
                registration.finish(s, settings, checked, login=f"racer.{n}", password_hash=password_hash)
                s.commit()
                result = "account"
            except registration.Refused as refused:
                s.commit()
                result = refused.reason.value
            except Invalid:
                s.rollback()
                result = "invalid"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(SUBMISSIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert len(outcomes) == SUBMISSIONS
    assert outcomes.count("account") == 1, outcomes
    assert set(outcomes) == {"account", "used"}
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(CustomerAccount)) == 1
    completions = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "complete"))
    assert completions == 1
    letters = session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "registration_complete")
    )
    assert letters == 1
    assert session.get(Application, issued.app.id).state == AccessionState.COMPLETED
    assert session.scalars(select(RegistrationCode)).one().used_at is not None
