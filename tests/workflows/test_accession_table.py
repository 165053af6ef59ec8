"""Every (state, trigger, role) of Flow A: what is allowed succeeds with one audit row; the rest raise and change
nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backoffice.actors import Actor
from backoffice.applications import services
from backoffice.applications.models import Channel
from backoffice.audit.models import AuditEvent
from tests.factories import CONTEXT, Factory
from workflows import IllegalTransition, RoleNotAllowed
from workflows.accession import ACCESSION, AccessionState
from workflows.engine import GuardFailed, ReasonRequired
from workflows.roles import Role

ROLES = list(Role)
TRIGGERS = [t.trigger for t in ACCESSION.table]


def _audit_count(session: Session, app_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.subject_type == "application", AuditEvent.subject_id == app_id)
        )
        or 0
    )


@pytest.mark.parametrize("state", list(AccessionState))
def test_every_trigger_from_every_state_for_every_role(
    state: AccessionState, make: Factory, session: Session
) -> None:
    apps = {
        channel: make.application(state, channel=channel)
        for channel in (Channel.EMAIL_SCAN, Channel.SERVICE_CENTER)
        if channel == Channel.EMAIL_SCAN or state == AccessionState.RECEIVED
    }
    for trigger in TRIGGERS:
        row = ACCESSION.transition(trigger)
        assert row is not None
        witnessed = trigger == "witness_signature" and state == AccessionState.RECEIVED
        app = apps[Channel.SERVICE_CENTER if witnessed else Channel.EMAIL_SCAN]
        for role in ROLES:
            attempt = session.begin_nested()  # each attempt starts from the same application
            before_state, before_version, before_audit = app.state, app.version, _audit_count(session, app.id)
            actor = Actor(role, f"test-{role.value}", center_id=app.center_id)
            context = CONTEXT.get(trigger, {})
            if state in row.sources and role in row.roles:
                event = services.fire(
                    session, app, trigger, actor, reason="because", context=context, settings=make.settings
                )
                assert app.state == row.dest
                assert app.version == before_version + 1
                assert _audit_count(session, app.id) == before_audit + 1
                assert (event.from_state, event.to_state, event.action) == (
                    state.value,
                    row.dest.value,
                    trigger,
                )
            else:
                expected: type[Exception] = IllegalTransition if state not in row.sources else RoleNotAllowed
                if role == Role.ADMIN:  # administrators run the system, they do not work applications
                    expected = services.AccessDenied
                with pytest.raises(expected):
                    services.fire(
                        session,
                        app,
                        trigger,
                        actor,
                        reason="because",
                        context=context,
                        settings=make.settings,
                    )
                session.flush()
                assert (app.state, app.version) == (before_state, before_version)
                assert _audit_count(session, app.id) == before_audit
            attempt.rollback()
            session.refresh(app)
            assert (app.state, app.version) == (before_state, before_version)


def test_illegal_trigger_names_state_and_allowed_triggers(make: Factory, session: Session) -> None:
    app = make.application(AccessionState.RECEIVED)
    with pytest.raises(IllegalTransition) as info:
        services.fire(session, app, "issue_code", Actor(Role.SUPERVISOR, "s"), settings=make.settings)
    message = str(info.value)
    assert "received" in message
    assert "submit_for_check" in message and "withdraw" in message


def test_no_code_before_confirmation(make: Factory, session: Session) -> None:
    app = make.application(AccessionState.AWAITING_CONFIRMATION_CALL)
    with pytest.raises(IllegalTransition):
        services.fire(session, app, "issue_code", Actor(Role.SUPERVISOR, "s"), settings=make.settings)


def test_no_confirmation_before_the_signature_is_accepted(make: Factory, session: Session) -> None:
    app = make.application(AccessionState.AWAITING_SIGNATURE_CHECK)
    with pytest.raises(IllegalTransition):
        services.fire(
            session,
            app,
            "confirm",
            Actor(Role.SUPERVISOR, "s"),
            context={"code_word_matched": True},
            settings=make.settings,
        )


def test_confirmation_needs_the_code_word(make: Factory, session: Session) -> None:
    app = make.application(AccessionState.AWAITING_CONFIRMATION_CALL)
    with pytest.raises(GuardFailed) as info:
        services.fire(session, app, "confirm", Actor(Role.SUPERVISOR, "s"), settings=make.settings)
    assert [g.name for g in info.value.guards] == ["code_word_matched"]
    assert app.state == AccessionState.AWAITING_CONFIRMATION_CALL


def test_rejection_needs_a_reason(make: Factory, session: Session) -> None:
    app = make.application(AccessionState.AWAITING_SIGNATURE_CHECK)
    with pytest.raises(ReasonRequired):
        services.fire(
            session, app, "reject_signature", Actor(Role.SUPERVISOR, "s"), reason="  ", settings=make.settings
        )


def test_incomplete_data_cannot_be_accepted(make: Factory, session: Session) -> None:
    app = make.application(AccessionState.AWAITING_SIGNATURE_CHECK)
    app.email = ""
    with pytest.raises(GuardFailed) as info:
        services.fire(session, app, "accept_signature", Actor(Role.SUPERVISOR, "s"), settings=make.settings)
    assert "data_complete" in [g.name for g in info.value.guards]


def test_operator_of_another_center_cannot_act(make: Factory, session: Session) -> None:
    app = make.application(AccessionState.AWAITING_SIGNATURE_CHECK)
    stranger = make.operator(Role.OPERATOR)
    with pytest.raises(services.AccessDenied):
        services.fire(session, app, "accept_signature", Actor.of(stranger), settings=make.settings)
    assert app.state == AccessionState.AWAITING_SIGNATURE_CHECK


def test_buttons_come_from_the_table(make: Factory, session: Session) -> None:
    app = make.application(AccessionState.AWAITING_CONFIRMATION_CALL)
    operator = make.operator(Role.OPERATOR, center=app.center)
    assert services.available_actions(app, Actor.of(operator)) == [
        "call_unanswered",
        "confirm",
        "reject",
        "withdraw",
    ]
    assert services.available_actions(app, Actor.of(make.operator(Role.OPERATOR))) == []
    assert services.available_actions(app, Actor(Role.ADMIN, "admin")) == []
