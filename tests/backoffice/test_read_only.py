"""Requests declared read-only run without a transaction, so a write from one must fail rather than be saved
statement by statement."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from backoffice.database import Database, WriteInReadOnlySession
from backoffice.staff.models import ServiceCenter
from tests import factories


def test_a_read_only_session_refuses_to_save_and_saves_nothing(db: Database, make: factories.Factory, session) -> None:
    make.center("KR")
    session.commit()
    with db.read_sessions() as reading:
        center = reading.scalars(select(ServiceCenter)).one()
        center.name = "changed"
        with pytest.raises(WriteInReadOnlySession):
            reading.flush()
        reading.rollback()
        reading.add(ServiceCenter(code="NEW", name="new"))
        with pytest.raises(WriteInReadOnlySession):
            reading.commit()
        with pytest.raises(WriteInReadOnlySession):
            reading.execute(update(ServiceCenter).values(name="bulk"))
    session.expire_all()
    assert session.scalars(select(ServiceCenter.name)).all() == ["ЦОС 1"]
    assert session.scalar(select(func.count()).select_from(ServiceCenter)) == 1


def test_a_read_only_session_reads_what_was_committed_since_it_began(db: Database, make: factories.Factory, session):
    """No transaction, so no snapshot: each statement sees the latest committed data."""
    with db.read_sessions() as reading:
        assert reading.scalar(select(func.count()).select_from(ServiceCenter)) == 0
        make.center("KR")
        session.commit()
        assert reading.scalar(select(func.count()).select_from(ServiceCenter)) == 1
