"""Two members of staff act on one application at the same moment: one wins, the other is told who did it."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from backoffice.actors import Actor
from backoffice.applications import services
from backoffice.applications.models import Application
from backoffice.audit.models import AuditEvent
from backoffice.database import Database
from backoffice.settings import Settings
from backoffice.statechange import Conflict
from tests.factories import Factory
from workflows.accession import AccessionState
from workflows.roles import Role

#: Two sessions, on connections of their own, race for one application.
pytestmark = pytest.mark.committed


def _prepare(db: Database, settings: Settings) -> tuple[int, Actor, Actor, int]:
    with db.session() as session:
        make = Factory(session, settings)
        app = make.application(AccessionState.AWAITING_SIGNATURE_CHECK)
        first = make.operator(Role.OPERATOR, center=app.center, login="olena")
        second = make.operator(Role.OPERATOR, center=app.center, login="taras")
        return app.id, Actor.of(first), Actor.of(second), app.version


def _transition_events(db: Database, app_id: int, action: str) -> int:
    with db.session() as session:
        return session.scalar(
            select(func.count()).select_from(AuditEvent).where(
                AuditEvent.subject_id == app_id, AuditEvent.action == action
            )
        ) or 0


@pytest.mark.postgres
def test_two_sessions_fire_at_once_on_postgresql(db: Database, settings: Settings) -> None:
    app_id, olena, taras, version = _prepare(db, settings)
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def act(actor: Actor, trigger: str, reason: str) -> None:
        session = db.sessions()
        try:
            app = session.get(Application, app_id)
            assert app is not None
            barrier.wait()  # both have loaded version 1 before either writes
            services.fire(session, app, trigger, actor, reason=reason, settings=settings)
            session.commit()
            outcomes[actor.label] = "ok"
        except Conflict as exc:
            session.rollback()
            outcomes[actor.label] = exc
        finally:
            session.close()

    threads = [
        threading.Thread(target=act, args=(olena, "accept_signature", "")),
        threading.Thread(target=act, args=(taras, "reject_signature", "печатка нечитабельна")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    winners = [who for who, result in outcomes.items() if result == "ok"]
    losers = [result for result in outcomes.values() if isinstance(result, Conflict)]
    assert len(winners) == 1 and len(losers) == 1
    assert losers[0].changed_by == winners[0]
    assert winners[0] in str(losers[0])
    assert _transition_events(db, app_id, "accept_signature") + _transition_events(
        db, app_id, "reject_signature"
    ) == 1
    with db.session() as session:
        app = session.get(Application, app_id)
        assert app is not None
        assert app.version == version + 1
        expected = AccessionState.AWAITING_CONFIRMATION_CALL if winners[0] == "olena" else (
            AccessionState.SIGNATURE_REJECTED
        )
        assert app.state == expected


def test_a_stale_form_is_refused_with_who_changed_it(db: Database, settings: Settings) -> None:
    app_id, olena, taras, _ = _prepare(db, settings)
    with db.session() as session:
        app = session.get(Application, app_id)
        assert app is not None
        seen_version = app.version
        services.fire(session, app, "accept_signature", olena, expected_version=seen_version, settings=settings)
    with db.session() as session:
        app = session.get(Application, app_id)
        assert app is not None
        with pytest.raises(Conflict) as info:
            services.fire(session, app, "reject_signature", taras, reason="x", expected_version=seen_version,
                          settings=settings)
    assert info.value.changed_by == "olena"
    assert info.value.action == "accept_signature"
    assert _transition_events(db, app_id, "reject_signature") == 0


def test_losing_the_race_with_a_letter_to_write_is_a_conflict_too(db: Database, settings: Settings) -> None:
    """Taras opened the application before Olena accepted it, and rejects it after: his rejection writes a letter
    (an effect that saves its own row) and must end as the same Conflict naming Olena, with nothing written."""
    from backoffice.letters.models import OutboxMessage

    app_id, olena, taras, _ = _prepare(db, settings)
    late = db.sessions()
    try:
        stale = late.get(Application, app_id)  # loaded at version 1
        assert stale is not None
        with db.session() as session:
            fresh = session.get(Application, app_id)
            assert fresh is not None
            services.fire(session, fresh, "accept_signature", olena, settings=settings)
        with pytest.raises(Conflict) as info:
            services.fire(late, stale, "reject_signature", taras, reason="печатка нечитабельна", settings=settings)
        late.rollback()
    finally:
        late.close()
    assert info.value.changed_by == "olena"
    assert _transition_events(db, app_id, "reject_signature") == 0
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert session.get(Application, app_id).state == AccessionState.AWAITING_CONFIRMATION_CALL  # type: ignore[union-attr]
