"""Flow B registrations in the back office: the list with its own filter and search, one registration's page with
its consent records, audit trail and ownership claims, and the supervisors' actions (resend, confirm manually,
block, unblock).

Registered only where Flow B runs (``backoffice.admin.init_admin``). The buttons are the workflow's answer
(``services.available_actions``); every action is a POST with CSRF that goes through the one write path, which
checks the role again, refuses a stale copy and writes the audit row.
"""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from flask_admin import expose
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from backoffice.admin import history
from backoffice.admin.base import StaffView, current_actor, fire_posted, get_or_404
from backoffice.audit import trail
from backoffice.selfreg import claims, services
from backoffice.selfreg.labels import FORM_LABELS, label_of
from backoffice.selfreg.models import PersonKind, SelfRegistration
from backoffice.settings import Settings
from backoffice.web import db_session
from workflows.ownership_claim import STATE_LABELS as CLAIM_LABELS
from workflows.roles import Role
from workflows.self_registration import SELF_REGISTRATION, STATE_LABELS, SelfRegistrationState

PAGE_SIZE = 50
ACTIONS = ("resend_confirmation", "manual_confirm", "block", "unblock")
#: The words of Flow B that its pages (the registrations' and the ownership claims') show beside the data.
WORDS: dict[str, Any] = {
    "kind_labels": services.KIND_LABELS,
    "identifier_labels": services.IDENTIFIER_LABELS,
    "form_labels": FORM_LABELS,
}


class SelfRegistrationView(StaffView):
    """Operators see and search; supervisors also act (the workflow's table gives the actions to supervisors)."""

    @expose("/")
    def index(self) -> Any:
        query = request.args.get("q", "").strip()[:200]
        state = _enum(SelfRegistrationState, request.args.get("state"))
        kind = _enum(PersonKind, request.args.get("kind"))
        page, total = services.search(
            db_session(), query=query, state=state, kind=kind, after=request.args.get("after", ""), size=PAGE_SIZE
        )
        return self.render(
            "admin/selfreg/list.html",
            page=page,
            total=total,
            q=query,
            state=state,
            kind=kind,
            labels=STATE_LABELS,
            **WORDS,
        )

    @expose("/<int:reg_id>")
    def details(self, reg_id: int) -> Any:
        session = db_session()
        reg = get_or_404(SelfRegistration, reg_id)
        actor = current_actor()
        return self.render(
            "admin/selfreg/details.html",
            reg=reg,
            labels=STATE_LABELS,
            events=history.lines(session, trail.history(session, services.SUBJECT, reg.id)),
            **WORDS,
            label_of=label_of,
            actions=[t for t in services.available_actions(reg, actor) if t in ACTIONS],
            needs_reason={t for t in ACTIONS if (row := SELF_REGISTRATION.transition(t)) and row.needs_reason},
            is_supervisor=actor.role == Role.SUPERVISOR,
            # Claims are decided by supervisors only, so only they are shown the claims' links.
            claims=claims.of_registration(session, reg.id) if actor.role == Role.SUPERVISOR else [],
            claim_labels=CLAIM_LABELS,
        )

    @expose("/<int:reg_id>/act/<trigger>", methods=["POST"])
    def act(self, reg_id: int, trigger: str) -> Any:
        reg = get_or_404(SelfRegistration, reg_id)

        def fire(session: Session, settings: Settings, reason: str, version: int | None) -> None:
            services.fire(
                session, reg, trigger, current_actor(), reason=reason, expected_version=version, settings=settings
            )

        return fire_posted(
            trigger, ACTIONS, fire, label_of, back=url_for(".details", reg_id=reg_id),
            reason_hint=_l("Give a reason: it goes into the audit trail."),
            state_hint=_l("This action is not possible in the registration's current state."),
        )


def _enum(enum: Any, value: str | None) -> Any:
    try:
        return enum(value) if value else None
    except ValueError:
        return None
