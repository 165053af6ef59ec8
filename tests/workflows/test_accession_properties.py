"""Random sequences of triggers: the machine never leaves its declared states, and the audit trail replays to the
stored state."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from backoffice.actors import Actor
from backoffice.applications import services
from backoffice.applications.models import Application, Channel
from backoffice.audit.trail import history
from tests.factories import CONTEXT, Factory
from workflows import WorkflowError
from workflows.accession import ACCESSION, AccessionState
from workflows.roles import Role

TRIGGERS = [t.trigger for t in ACCESSION.table]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(st.tuples(st.sampled_from(TRIGGERS), st.sampled_from(list(Role))), max_size=25),
    channel=st.sampled_from(list(Channel)),
)
def test_random_trigger_sequences(steps: list[tuple[str, Role]], channel: Channel, make: Factory,
                                  session: Session) -> None:
    app = make.application(AccessionState.RECEIVED, channel=channel)
    for trigger, role in steps:
        actor = Actor(role, f"test-{role.value}", center_id=app.center_id)
        attempt = session.begin_nested()
        try:
            services.fire(session, app, trigger, actor, reason="r", context=CONTEXT.get(trigger),
                          settings=make.settings)
        except (WorkflowError, services.AccessDenied):
            attempt.rollback()
            session.refresh(app)
        else:
            attempt.commit()
        assert app.state in set(AccessionState)

    actions = [e.action for e in history(session, "application", app.id) if e.to_state is not None and
               e.action != "create"]
    session.expire_all()
    assert ACCESSION.replay(actions) == session.get(Application, app.id).state
    session.rollback()
