"""The work queue and the application page."""

from __future__ import annotations

from typing import Any

from flask import abort, request
from flask_admin import expose
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from backoffice.admin.base import StaffView, current_actor
from backoffice.applications import services
from backoffice.applications.models import Application
from backoffice.audit.trail import history
from backoffice.web import db_session
from workflows.accession import ACCESSION, STATE_LABELS, AccessionState
from workflows.roles import Role

PAGE_SIZE = 50


def visible_to_actor(query: Any) -> Any:
    actor = current_actor()
    if actor.role == Role.SUPERVISOR:
        return query
    return query.where(
        or_(Application.center_id == actor.center_id, Application.assignee_id == actor.operator_id)
    )


class ApplicationView(StaffView):
    @expose("/")
    def index(self) -> Any:
        query = visible_to_actor(select(Application)).options(
            selectinload(Application.assignee), selectinload(Application.center)
        )
        state = request.args.get("state", "")
        if state in {s.value for s in AccessionState}:
            query = query.where(Application.state == AccessionState(state))
        before = request.args.get("before", type=int)
        if before:
            query = query.where(Application.id < before)
        rows = db_session().scalars(query.order_by(Application.id.desc()).limit(PAGE_SIZE + 1)).all()
        has_more = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
        return self.render(
            "admin/applications/list.html",
            rows=rows,
            state=state,
            labels=STATE_LABELS,
            next_before=rows[-1].id if has_more and rows else None,
        )

    @expose("/<number>")
    def details(self, number: str) -> Any:
        app = services.by_number(db_session(), number)
        # Another center's application looks exactly like a missing one.
        if app is None or not services.can_access(current_actor(), app):
            abort(404)
        return self.render(
            "admin/applications/details.html",
            app=app,
            labels=STATE_LABELS,
            events=history(db_session(), services.SUBJECT, app.id),
            actions=services.available_actions(app, current_actor()),
            diagram=ACCESSION.mermaid(highlight=app.state),
            workflow=ACCESSION,
        )
