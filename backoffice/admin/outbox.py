"""The outbox for supervisors: what waits, what left, what failed and why, and a resend button."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from backoffice.admin.base import StaffView, current_actor
from backoffice.letters.models import OutboxMessage, OutboxStatus
from backoffice.letters.outbox import ONE_TIME_KEYS, CannotResend, resend
from backoffice.paging import Keyset
from backoffice.web import db_session
from workflows.roles import Role

PAGE_SIZE = 50
NEWEST = Keyset((OutboxMessage.id,))
STATUS_LABELS = {
    OutboxStatus.PENDING: _l("Waiting"),
    OutboxStatus.SENT: _l("Sent"),
    OutboxStatus.FAILED: _l("Failed"),
    OutboxStatus.SUPERSEDED: _l("Not sent: out of date"),
}
KIND_LABELS = {
    "acknowledgement": _l("Application received"),
    "registration_code": _l("Registration code"),
    "invitation": _l("Invitation to the site"),
    "rejection": _l("Rejection"),
    "signature_rejected": _l("Signature not accepted"),
    "please_call_us": _l("Please call us"),
    "registration_complete": _l("Registration complete"),
    "code_reminder": _l("Code reminder"),
    "code_expiring": _l("Code expires soon"),
    "supervisor_digest": _l("Supervisors' digest"),
    "password_reset": _l("Password reset"),
    "email_change": _l("Email change"),
    "self_registration_confirm": _l("Confirm self-registration"),
    "self_registration_reminder": _l("Self-registration reminder"),
}


def can_resend(letter: OutboxMessage) -> bool:
    return letter.status in {OutboxStatus.FAILED, OutboxStatus.SENT} and all(
        letter.context.get(key) for key in ONE_TIME_KEYS.get(letter.kind, ())
    )


class OutboxView(StaffView):
    """Supervisors only: letters carry customers' addresses, and resending is a supervisor's decision."""

    roles = frozenset({Role.SUPERVISOR})

    @expose("/")
    def index(self) -> Any:
        status = request.args.get("status", OutboxStatus.FAILED.value)
        if status not in {s.value for s in OutboxStatus}:
            abort(404)
        session = db_session()
        counts = dict(session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())
        query = (
            select(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus(status))
            .options(selectinload(OutboxMessage.application))
        )
        return self.render(
            "admin/outbox/list.html",
            page=NEWEST.page(session, query, request.args.get("after", ""), PAGE_SIZE),
            status=status,
            statuses=STATUS_LABELS,
            counts={s: counts.get(s, 0) for s in OutboxStatus},
            kinds=KIND_LABELS,
            can_resend=can_resend,
        )

    @expose("/<int:letter_id>/resend", methods=["POST"])
    def resend(self, letter_id: int) -> Any:
        session = db_session()
        letter = session.get(OutboxMessage, letter_id)
        if letter is None:
            abort(404)
        back = request.form.get("status") or letter.status.value
        try:
            resend(session, letter, current_actor())
        except CannotResend as exc:
            session.rollback()
            flash(_("Letter %(id)s was not resent: %(why)s", id=letter_id, why=str(exc)), "error")
            return redirect(url_for(".index", status=back))
        session.commit()
        flash(_("Letter %(id)s is queued again; it leaves with the next delivery.", id=letter_id), "success")
        return redirect(url_for(".index", status=back))
