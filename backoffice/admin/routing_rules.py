"""Supervisors' routing rules: which center gets what is emailed from an address or a domain the contract registry
does not know (``applications.routing``)."""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.admin.base import SupervisorView, current_actor, run_action
from backoffice.applications import routing
from backoffice.applications.models import RoutingRule
from backoffice.staff.models import ServiceCenter
from backoffice.web import db_session

HINTS = {
    "reason_hint": _l("Give a reason: it goes into the audit trail."),
    "state_hint": _l("This rule cannot be changed now."),
}


class RoutingRulesView(SupervisorView):
    @expose("/")
    def index(self) -> Any:
        session = db_session()
        rules = session.scalars(select(RoutingRule).order_by(RoutingRule.sender)).all()
        centers = session.scalars(select(ServiceCenter).order_by(ServiceCenter.name)).all()
        return self.render("admin/routing_rules.html", rules=rules, centers=centers)

    @expose("/", methods=["POST"])
    def add(self) -> Any:
        sender = request.form.get("sender", "")
        center = request.form.get("center", "")

        def change(session: Session) -> str:
            routing.add_rule(session, current_actor(), sender, int(center) if center.isdigit() else 0)
            return _("The rule is saved: what %(sender)s emails goes to its center.", sender=sender.strip())

        return run_action(change, back=url_for(".index"), **HINTS)

    @expose("/<int:rule_id>/remove", methods=["POST"])
    def remove(self, rule_id: int) -> Any:
        def change(session: Session) -> str:
            routing.remove_rule(session, current_actor(), rule_id)
            return _("The rule is removed.")

        return run_action(change, back=url_for(".index"), **HINTS)
