"""``batch.each``: rows claimed in batches, each batch one transaction, each row a savepoint, so one row that
fails is rolled back alone and never undoes or stops the others in its batch."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice import batch
from backoffice.actors import Actor
from backoffice.applications.models import Application
from backoffice.audit.models import AuditEvent
from backoffice.audit.trail import record
from backoffice.database import Database
from tests.factories import Factory
from workflows.accession import AccessionState
from workflows.engine import WorkflowError

TEST = Actor.system("test")


def test_one_failing_item_neither_undoes_nor_stops_the_rest_of_its_batch(
    make: Factory, session: Session, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    center = make.center()
    apps = [make.application(AccessionState.CALL_RETRY_SCHEDULED, center=center) for _ in range(7)]
    session.commit()
    ids = [a.id for a in apps]
    refused, clashing = ids[1], ids[4]
    other_number = apps[0].number
    ran: list[int] = []
    removed: list[int] = []

    def work(s: Session, app: Application) -> bool:
        ran.append(app.id)
        record(s, TEST, "application", app.id, "batch_test")
        batch.after_commit(s, lambda: removed.append(app.id))
        if app.id == refused:
            raise WorkflowError("refused by the workflow")
        if app.id == clashing:
            app.number = other_number  # unique: the flush fails with a database error
            s.flush()
        return True

    due = select(Application).where(Application.id.in_(ids))
    with caplog.at_level("WARNING"):
        done = batch.each(db, due, work, what="test", size=3)

    assert done == 5
    # Every row tried, in batches of three, in the order of the key; a batch with a failing row was tried whole
    # first (rolled back), then row by row, so its rows ran twice and were kept once.
    assert sorted(set(ran)) == sorted(ids)
    with db.session() as s:
        audited = set(s.scalars(select(AuditEvent.subject_id).where(AuditEvent.action == "batch_test")))
        assert audited == set(ids) - {refused, clashing}  # their own writes rolled back, the others' kept
        assert s.get(Application, clashing).number != other_number  # type: ignore[union-attr]
    assert sorted(removed) == sorted(set(ids) - {refused, clashing})  # after-commit only for the kept ones
    assert sum("skipped" in r.getMessage() for r in caplog.records) == 2
    # The two are still due: the next call tries them again, and only them.
    assert batch.each(db, due.where(Application.id.in_([refused, clashing])), lambda s, a: True, what="t") == 2
