"""Administrators manage staff accounts and service centers here; supervisors read the audit trail.

Nothing is deleted: an account is deactivated, a center stays for the history that names it. Every change goes
through ``backoffice.staff.services``, which checks the role again and writes the audit row.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import login_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.admin import history
from backoffice.admin.base import AdministratorView, SupervisorView, current_actor
from backoffice.audit.models import AuditEvent
from backoffice.audit.present import Line
from backoffice.paging import Keyset
from backoffice.staff import services
from backoffice.staff.labels import ROLE_LABELS
from backoffice.staff.models import Operator, ServiceCenter
from backoffice.validation.problems import Invalid, Problem
from backoffice.web import db_session
from backoffice.web.users import StaffUser
from workflows.i18n import N_
from workflows.roles import Role

AUDIT_PAGE = 100
NEWEST_EVENTS = Keyset((AuditEvent.id,))


def _center(raw: str) -> ServiceCenter | None:
    return db_session().get(ServiceCenter, int(raw)) if raw.isdigit() else None


def _role(raw: str) -> Role | None:
    try:
        role = Role(raw)
    except ValueError:
        return None
    return role if role in ROLE_LABELS else None


def _saved(
    session: Session, change: Callable[[], None], *, done: str, back: str, then: Callable[[], None] | None = None
) -> Any | None:
    """Commit one administrator's change and go back to ``back``, or None when the input was refused: its problems
    are flashed and the form is shown again (the services check the role again and write the audit row)."""
    try:
        change()
        session.commit()
    except Invalid as exc:
        session.rollback()
        flash(exc.user_message, "error")
        return None
    if then is not None:
        then()
    flash(done, "success")
    return redirect(back)


class StaffAccountsView(AdministratorView):
    @expose("/", methods=["GET", "POST"])
    def index(self) -> Any:
        session = db_session()
        if request.method == "POST":
            form = request.form

            def create() -> None:
                role = _role(form.get("role", ""))
                if role is None:
                    raise Invalid([Problem("role", "missing", N_("Choose a role."))])
                services.create_operator(
                    session,
                    current_actor(),
                    login=form.get("login", ""),
                    full_name=form.get("full_name", ""),
                    role=role,
                    password=form.get("password", ""),
                    center=_center(form.get("center_id", "")),
                )

            saved = _saved(session, create, done=_("The account is created."), back=url_for(".index"))
            if saved is not None:
                return saved
        operators = session.scalars(select(Operator).order_by(Operator.is_active.desc(), Operator.login)).all()
        centers = session.scalars(select(ServiceCenter).order_by(ServiceCenter.name)).all()
        return self.render(
            "admin/staff/accounts.html", operators=operators, centers=centers, roles=ROLE_LABELS
        )

    @expose("/<int:operator_id>", methods=["GET", "POST"])
    def edit(self, operator_id: int) -> Any:
        session = db_session()
        operator = session.get(Operator, operator_id)
        if operator is None:
            abort(404)
        if request.method == "POST":
            form = request.form

            def change() -> None:
                if form.get("action") == "reset_totp":
                    services.reset_totp(session, current_actor(), operator, reason=form.get("reason", ""))
                elif form.get("action") == "password":
                    services.set_password(session, current_actor(), operator, form.get("password", ""))
                else:
                    services.update_operator(
                        session,
                        current_actor(),
                        operator,
                        full_name=form.get("full_name", ""),
                        role=_role(form.get("role", "")),
                        center=_center(form.get("center_id", "")),
                        is_active=form.get("is_active") == "1",
                        totp_required=form.get("totp_required") == "1",
                        reason=form.get("reason", ""),
                    )

            def stay_logged_in() -> None:
                if operator.id == current_actor().operator_id and operator.is_active:
                    # A new stamp ended every session of theirs; this browser, where they act, stays logged in.
                    login_user(StaffUser.of(operator))

            done, back = _("Saved; the change is in the audit trail."), url_for(".edit", operator_id=operator.id)
            saved = _saved(session, change, done=done, back=back, then=stay_logged_in)
            if saved is not None:
                return saved
        centers = session.scalars(select(ServiceCenter).order_by(ServiceCenter.name)).all()
        events = history.lines(
            session,
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.subject_type == "operator", AuditEvent.subject_id == operator.id)
                .order_by(AuditEvent.id.desc())
                .limit(50)
            ).all(),
        )
        return self.render(
            "admin/staff/account.html", operator=operator, centers=centers, roles=ROLE_LABELS, events=events
        )


class CentersView(AdministratorView):
    @expose("/", methods=["GET", "POST"])
    def index(self) -> Any:
        session = db_session()
        if request.method == "POST":
            form = request.form

            def change() -> None:
                center_id = form.get("center_id", "")
                if center_id:
                    center = _center(center_id)
                    if center is None:
                        abort(404)
                    services.update_center(
                        session,
                        current_actor(),
                        center,
                        name=form.get("name", ""),
                        city=form.get("city", ""),
                        address=form.get("address", ""),
                        phone=form.get("phone", ""),
                    )
                else:
                    services.create_center(
                        session,
                        current_actor(),
                        code=form.get("code", ""),
                        name=form.get("name", ""),
                        city=form.get("city", ""),
                        address=form.get("address", ""),
                        phone=form.get("phone", ""),
                    )

            saved = _saved(session, change, done=_("Saved; the change is in the audit trail."), back=url_for(".index"))
            if saved is not None:
                return saved
        centers = session.scalars(select(ServiceCenter).order_by(ServiceCenter.name)).all()
        return self.render("admin/staff/centers.html", centers=centers)


class AuditView(SupervisorView):
    """The whole audit trail, newest first, filtered by who, what or which record; pages by id, never counted."""

    @expose("/")
    def index(self) -> Any:
        args = request.args
        query = select(AuditEvent)
        for name in ("actor_label", "action", "subject_type"):
            if args.get(name):
                query = query.where(getattr(AuditEvent, name) == args[name].strip())
        if args.get("subject_id", "").isdigit():
            query = query.where(AuditEvent.subject_id == int(args["subject_id"]))
        session = db_session()
        page = NEWEST_EVENTS.page(session, query, args.get("after", ""), AUDIT_PAGE)
        filters = {k: v for k, v in args.items() if k != "after" and v}
        return self.render(
            "admin/audit.html",
            page=page,
            lines=history.lines(session, page.rows),
            filters=filters,
            subjects=history.subject_choices(),
            link=_record_link,
        )


def _record_link(line: Line) -> str | None:
    """Where a supervisor reads the record a row is about: an application's or a registration's own page."""
    if line.subject_name is None:
        return None
    if line.subject_type == "application":
        return url_for("applications.details", number=line.subject_name)
    if line.subject_type == "self_registration" and "selfreg_admin.details" in current_app.view_functions:
        return url_for("selfreg_admin.details", reg_id=line.subject_id)
    return None
