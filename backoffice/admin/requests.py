"""The queue of customers' appeals, complaints and requests for information, and a request's page.

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
from sqlalchemy.orm import Session

from backoffice.admin import history
from backoffice.admin.base import StaffView, current_actor, run_action
from backoffice.admin.downloads import send_stored
from backoffice.audit import trail
from backoffice.documents.storage import open_storage
from backoffice.requests import labels, services
from backoffice.requests.models import CustomerRequest, RequestKind
from backoffice.settings import Settings
from backoffice.web import db_session
from workflows.customer_request import CUSTOMER_REQUEST, STATE_LABELS, RequestState

PAGE_SIZE = 50
ACTIONS = frozenset(row.trigger for row in CUSTOMER_REQUEST.table)
#: The moves whose text is a message to the customer: they come with the answer form.
WITH_TEXT = ("answer", "ask")


def _choice(enum: Any, value: str | None) -> Any:
    """A filter's value, or None (any) for anything else."""
    return enum(value) if value in {m.value for m in enum} else None


class CustomerRequestView(StaffView):
    @expose("/")
    def index(self) -> Any:
        kind = _choice(RequestKind, request.args.get("kind"))
        state = _choice(RequestState, request.args.get("state"))
        page, total = services.search(
            db_session(), current_actor(), kind=kind, state=state, after=request.args.get("after", ""), size=PAGE_SIZE
        )
        return self.render(
            "admin/requests/list.html",
            page=page,
            total=total,
            kind=kind,
            state=state,
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

    @expose("/<int:request_id>/files/<int:attachment_id>")
    def download(self, request_id: int, attachment_id: int) -> Any:
        req = self._load(request_id)
        found = services.attachment(db_session(), req, attachment_id)
        if found is None:
            abort(404)
        settings: Settings = current_app.config["SETTINGS"]
        return send_stored(
            open_storage(settings, db_session()),
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
