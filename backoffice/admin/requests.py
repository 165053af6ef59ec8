"""The queue of what customers ask from their cabinets (every kind in ``requests.kinds``), and a request's page.

Center isolation is the applications': an operator sees their own center's requests and the unrouted ones, a
supervisor all of them, and a request of another center does not exist for an operator (404 on its page, its
files and its buttons alike), so its number reveals nothing. The buttons are the workflow's answer
(``services.available_actions``); each is a POST with CSRF through ``run_action`` and the one write path, which
checks the role and the center again, refuses a stale copy, writes the audit row and the customer's letter.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.admin import history
from backoffice.admin.base import StaffView, current_actor, run_action
from backoffice.admin.downloads import send_stored
from backoffice.audit import trail
from backoffice.documents.storage import open_storage
from backoffice.meters import services as meter_services  # noqa: F401  (a reading check's effect on the reading)
from backoffice.requests import kinds, labels, services
from backoffice.requests.models import CustomerRequest, RequestKind
from backoffice.settings import Settings
from backoffice.staff.models import Operator
from backoffice.types import utcnow
from backoffice.web import database, db_session
from workflows.request_states import STATE_LABELS, WITH_STAFF, RequestState
from workflows.roles import Role

PAGE_SIZE = 50
ACTIONS = frozenset(row.trigger for workflow in kinds.WORKFLOWS for row in workflow.table)
#: The moves whose text (and files) is a message to the customer: they come with the answer form.
WITH_TEXT = services.ANSWERS


def _choice(enum: Any, value: str | None) -> Any:
    """A filter's value, or None (any) for anything else."""
    return enum(value) if value in {m.value for m in enum} else None


class CustomerRequestView(StaffView):
    @expose("/")
    def index(self) -> Any:
        kind = _choice(RequestKind, request.args.get("kind"))
        state = _choice(RequestState, request.args.get("state"))
        overdue = request.args.get("overdue") == "1"
        mine = request.args.get("mine") == "1"
        query = request.args.get("q", "").strip()[:100]
        page, total = services.search(
            db_session(),
            current_actor(),
            kind=kind,
            state=state,
            overdue=overdue,
            mine=mine,
            query=query,
            after=request.args.get("after", ""),
            size=PAGE_SIZE,
        )
        return self.render(
            "admin/requests/list.html",
            page=page,
            total=total,
            kind=kind,
            state=state,
            overdue=overdue,
            mine=mine,
            query=query,
            now=utcnow(),
            with_staff=WITH_STAFF,
            labels=STATE_LABELS,
            kind_labels=labels.KIND_LABELS,
        )

    @expose("/<int:request_id>")
    def details(self, request_id: int) -> Any:
        session = db_session()
        req = self._load(request_id)
        return self.render(
            "admin/requests/details.html",
            req=req,
            labels=STATE_LABELS,
            kind_labels=labels.KIND_LABELS,
            author_labels=labels.AUTHOR_LABELS,
            label_of=labels.label_of,
            actions=services.available_actions(req, current_actor()),
            with_text=WITH_TEXT,
            detail_labels=labels.DETAIL_LABELS,
            detail_values=labels.DETAIL_VALUES,
            now=utcnow(),
            with_staff=WITH_STAFF,
            is_supervisor=current_actor().role == Role.SUPERVISOR,
            actor=current_actor(),
            staff=_staff_for(session, req) if current_actor().role == Role.SUPERVISOR else [],
            others=[r for r in services.others_of(session, req) if services.can_access(current_actor(), r)],
            events=history.lines(session, trail.history(session, services.SUBJECT, req.id)),
            file_endpoint=".download",
        )

    @expose("/<int:request_id>/act", methods=["POST"])
    def act(self, request_id: int) -> Any:
        trigger = request.form.get("trigger", "")
        if trigger not in ACTIONS:
            abort(404)
        req = self._load(request_id)
        settings: Settings = current_app.config["SETTINGS"]
        uploads = [services.Upload(f.filename or "", f.stream) for f in request.files.getlist("files") if f.filename]

        def change(session: Session) -> str:
            services.act(
                session,
                settings,
                req,
                trigger,
                current_actor(),
                text=request.form.get("text", "") if trigger in WITH_TEXT else "",
                uploads=uploads if trigger in WITH_TEXT else [],
                expected_version=request.form.get("version", type=int),
            )
            return _("Done: %(action)s.", action=_(labels.label_of(trigger)))

        return run_action(
            change,
            back=url_for(".details", request_id=request_id),
            reason_hint=_l("Write the text of the message."),
            state_hint=_l("This request has moved on meanwhile: look at it again."),
        )

    @expose("/<int:request_id>/assign", methods=["POST"])
    def assign(self, request_id: int) -> Any:
        """Claim (``to=me``), give back (``to=``) or, for a supervisor, hand to anyone of the center."""
        req = self._load(request_id)
        raw = request.form.get("to", "")
        actor = current_actor()
        target = actor.operator_id if raw == "me" else (int(raw) if raw.isdigit() else None)

        def change(session: Session) -> str:
            services.assign(session, req, actor, target)
            if target is None:
                return _("The request is back in the center's queue.")
            if target == actor.operator_id:
                return _("The request is yours now.")
            return _("The request is assigned.")

        return run_action(
            change,
            back=url_for(".details", request_id=request_id),
            reason_hint=_l("Write the text of the message."),
            state_hint=_l("This request has moved on meanwhile: look at it again."),
        )

    @expose("/<int:request_id>/files/<int:attachment_id>")
    def download(self, request_id: int, attachment_id: int) -> Any:
        req = self._load(request_id)
        found = services.attachment(db_session(), req, attachment_id)
        if found is None:
            abort(404)
        settings: Settings = current_app.config["SETTINGS"]
        return send_stored(
            open_storage(settings, database()),  # a short session per piece: it is read after the request
            found.storage_path,
            mimetype=found.content_type,
            as_attachment=True,
            download_name=found.filename,
        )

    def _load(self, request_id: int) -> CustomerRequest:
        """The request, if this member of staff may see it: another center's is a 404, not a 403."""
        req = db_session().get(CustomerRequest, request_id)
        if req is None or not services.can_access(current_actor(), req):
            abort(404)
        return req


def _staff_for(session: Session, req: CustomerRequest) -> list[Operator]:
    """Who a supervisor can hand the request to: the center's operators (any, for an unrouted one) and the
    supervisors."""
    query = select(Operator).where(Operator.is_active.is_(True), Operator.role != Role.ADMIN)
    if req.center_id is not None:
        query = query.where((Operator.center_id == req.center_id) | (Operator.role == Role.SUPERVISOR))
    return list(session.scalars(query.order_by(Operator.full_name)))
