"""Flow B registrations in the back office: the list with its own filter and search, one registration's page with
its consent records and audit trail, and the supervisors' actions (resend, confirm manually, block, unblock).

Registered only where Flow B runs (``backoffice.admin.init_admin``). The buttons are the workflow's answer
(``services.available_actions``); every action is a POST with CSRF that goes through the one write path, which
checks the role again, refuses a stale copy and writes the audit row.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _

from backoffice.admin.base import StaffView, current_actor, workflow_refusal
from backoffice.audit.trail import history
from backoffice.selfreg import services
from backoffice.selfreg.labels import label_of
from backoffice.selfreg.models import PersonKind, SelfRegistration
from backoffice.settings import Settings
from backoffice.statechange import Conflict
from backoffice.web import db_session
from workflows.engine import RoleNotAllowed, WorkflowError
from workflows.roles import Role
from workflows.self_registration import SELF_REGISTRATION, STATE_LABELS, SelfRegistrationState

PAGE_SIZE = 50
ACTIONS = ("resend_confirmation", "manual_confirm", "block", "unblock")
class SelfRegistrationView(StaffView):
    """Operators see and search; supervisors also act (the workflow's table gives the actions to supervisors)."""

    @expose("/")
    def index(self) -> Any:
        query = request.args.get("q", "").strip()[:200]
        state = _enum(SelfRegistrationState, request.args.get("state"))
        kind = _enum(PersonKind, request.args.get("kind"))
        page = max(request.args.get("page", 1, type=int) or 1, 1)
        rows, total = services.search(
            db_session(), query=query, state=state, kind=kind, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )
        return self.render(
            "admin/selfreg/list.html",
            rows=rows,
            total=total,
            page=page,
            pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
            q=query,
            state=state,
            kind=kind,
            labels=STATE_LABELS,
            kind_labels=services.KIND_LABELS,
            identifier_labels=services.IDENTIFIER_LABELS,
        )

    @expose("/<int:reg_id>")
    def details(self, reg_id: int) -> Any:
        session = db_session()
        reg = self._load(reg_id)
        actor = current_actor()
        return self.render(
            "admin/selfreg/details.html",
            reg=reg,
            labels=STATE_LABELS,
            kind_labels=services.KIND_LABELS,
            identifier_labels=services.IDENTIFIER_LABELS,
            events=history(session, services.SUBJECT, reg.id),
            label_of=label_of,
            actions=[t for t in services.available_actions(reg, actor) if t in ACTIONS],
            needs_reason={t for t in ACTIONS if (row := SELF_REGISTRATION.transition(t)) and row.needs_reason},
            is_supervisor=actor.role == Role.SUPERVISOR,
        )

    @expose("/<int:reg_id>/act/<trigger>", methods=["POST"])
    def act(self, reg_id: int, trigger: str) -> Any:
        if trigger not in ACTIONS:
            abort(404)
        session = db_session()
        reg = self._load(reg_id)
        settings: Settings = current_app.config["SETTINGS"]
        try:
            services.fire(
                session,
                settings,
                reg,
                trigger,
                current_actor(),
                reason=request.form.get("reason", "").strip()[:2000],
                expected_version=request.form.get("version", type=int),
            )
            session.commit()
            flash(_("Done: %(action)s.", action=_(label_of(trigger))), "success")
        except Conflict as exc:
            session.rollback()
            flash(
                _(
                    "Someone else changed this registration meanwhile (%(who)s: %(action)s). Nothing was changed; "
                    "look again and repeat if still needed.",
                    who=exc.changed_by,
                    action=_(label_of(exc.action)),
                ),
                "error",
            )
        except RoleNotAllowed:
            session.rollback()
            abort(403)
        except WorkflowError as exc:
            session.rollback()
            reason_hint = _("Give a reason: it goes into the audit trail.")
            state_hint = _("This action is not possible in the registration's current state.")
            flash(workflow_refusal(exc, reason_hint=reason_hint, state_hint=state_hint), "error")
        return redirect(url_for(".details", reg_id=reg_id))

    def _load(self, reg_id: int) -> SelfRegistration:
        reg = db_session().get(SelfRegistration, reg_id)
        if reg is None:
            abort(404)
        return reg


def _enum(enum: Any, value: str | None) -> Any:
    try:
        return enum(value) if value else None
    except ValueError:
        return None
