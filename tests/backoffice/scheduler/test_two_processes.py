"""Two scheduler processes started by mistake against one PostgreSQL: every reminder written once, every code
expired once, every call retried once, every letter delivered once, with the jobs claiming their rows in batches
of two so that both are claiming at the same time."""

from __future__ import annotations

import multiprocessing
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from backoffice.applications.models import Application, RegistrationCode
from backoffice.audit.models import AuditEvent
from backoffice.database import Database
from backoffice.letters.models import OutboxMessage, OutboxStatus
from backoffice.settings import Settings
from backoffice.types import utcnow
from tests.backoffice.letters.conftest import smtp_settings
from tests.backoffice.letters.smtpserver import SmtpServer
from tests.backoffice.scheduler.worker import tick
from tests.factories import Factory
from workflows.accession import AccessionState

#: Two scheduler processes race for the same work.
pytestmark = pytest.mark.committed

REMIND, EXPIRE, RETRY = 9, 9, 7


@pytest.mark.postgres
def test_two_scheduler_processes_do_each_piece_of_work_once(
    make: Factory, session: Session, db: Database, settings: Settings
) -> None:
    center = make.center()
    remind = [make.application(AccessionState.CODE_ISSUED, center=center) for _ in range(REMIND)]
    expire = [make.application(AccessionState.CODE_ISSUED, center=center) for _ in range(EXPIRE)]
    retry = [make.application(AccessionState.CALL_RETRY_SCHEDULED, center=center) for _ in range(RETRY)]
    now = utcnow()  # the moment both schedulers run for
    session.execute(
        update(RegistrationCode)
        .where(RegistrationCode.application_id.in_([a.id for a in remind]))
        .values(issued_at=now - timedelta(days=4), expires_at=now + timedelta(days=10))
    )
    session.execute(
        update(RegistrationCode)
        .where(RegistrationCode.application_id.in_([a.id for a in expire]))
        .values(issued_at=now - timedelta(days=14), expires_at=now - timedelta(minutes=1))
    )
    session.execute(
        update(Application)
        .where(Application.id.in_([a.id for a in retry]))
        .values(next_call_at=now - timedelta(minutes=1))
        .execution_options(synchronize_session=False)
    )
    session.commit()

    server = SmtpServer().start()
    # Small batches (letters, and the jobs' rows two at a time), so both processes are claiming at the same time.
    settings = smtp_settings(settings, server).replace(letters={"batch_size": 2})
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    processes = [context.Process(target=tick, args=(settings, now, barrier, 3, results, 2)) for _ in range(2)]
    try:
        for p in processes:
            p.start()
        outcomes = [results.get(timeout=120) for _ in processes]
        for p in processes:
            p.join(30)
            assert p.exitcode == 0
    finally:
        for p in processes:
            if p.is_alive():
                p.kill()
        server.stop()

    assert sum(o["code_reminders"] for o in outcomes) == REMIND
    assert sum(o["expire_codes"] for o in outcomes) == EXPIRE
    assert sum(o["retry_calls"] for o in outcomes) == RETRY
    with db.session() as s:
        reminders = Counter(
            s.scalars(select(OutboxMessage.application_id).where(OutboxMessage.kind == "code_reminder")).all()
        )
        assert reminders == Counter({a.id: 1 for a in remind})
        for action, apps in (("expire_code", expire), ("retry_call", retry), ("code_reminder", remind)):
            counts = Counter(
                s.scalars(
                    select(AuditEvent.subject_id).where(
                        AuditEvent.action == action, AuditEvent.subject_type == "application"
                    )
                ).all()
            )
            assert counts == Counter({a.id: 1 for a in apps}), action
        assert {a.state for a in s.scalars(select(Application).where(Application.id.in_([a.id for a in expire])))} == {
            AccessionState.CODE_EXPIRED
        }
        sent = s.scalar(select(func.count()).where(OutboxMessage.status == OutboxStatus.SENT))
        pending = s.scalar(select(func.count()).where(OutboxMessage.status == OutboxStatus.PENDING))
    # Every letter left exactly once, whichever process sent it.
    message_ids = Counter(r.message["Message-ID"] for r in server.received)
    assert set(message_ids.values()) == {1}
    assert len(message_ids) == sent == sum(o["sent"] for o in outcomes)
    assert pending == 0
