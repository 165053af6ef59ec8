"""The operator UI, built on Flask-Admin with its permissive defaults closed.

Each view is one line below; every view class derives from ``backoffice.admin.base`` (deny by default, a role
list per view, no model editing, no deletion).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request, url_for
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l

from backoffice.admin.base import StaffIndexView
from backoffice.web.security import csp_nonce


def init_admin(app: Flask) -> Admin:
    from backoffice.admin.applications import ApplicationView
    from backoffice.admin.dashboard import DashboardView
    from backoffice.admin.outbox import OutboxView
    from backoffice.admin.staff import AuditView, CentersView, StaffAccountsView

    app.jinja_env.globals["admin_static_url"] = _static_url
    admin = Admin(
        app,
        name=_l("Back office"),
        url="/admin",
        index_view=StaffIndexView(name=_l("Home"), url="/admin"),
        theme=Bootstrap4Theme(swatch="default", fluid=True),
        csp_nonce_generator=csp_nonce,
    )
    admin.add_view(ApplicationView(name=_l("Applications"), endpoint="applications"))
    admin.add_view(DashboardView(name=_l("Dashboard"), endpoint="dashboard"))
    admin.add_view(AuditView(name=_l("Audit trail"), endpoint="audit"))
    admin.add_view(StaffAccountsView(name=_l("Staff"), endpoint="staff"))
    admin.add_view(CentersView(name=_l("Service centers"), endpoint="centers"))
    admin.add_view(OutboxView(name=_l("Outbox"), endpoint="outbox"))
    from backoffice.admin.intake import QuarantineView, ServiceCenterView

    admin.add_view(
        ServiceCenterView(name=_l("Register at the center"), endpoint="intake_register", url="service-center")
    )
    admin.add_view(QuarantineView(name=_l("Email quarantine"), endpoint="intake", url="intake"))
    if app.config["SETTINGS"].flows.self_registration:  # Flow B's registrations only where Flow B runs
        from backoffice.admin.selfreg import SelfRegistrationView

        admin.add_view(
            SelfRegistrationView(name=_l("Self-registrations"), endpoint="selfreg_admin", url="self-registrations")
        )
    return admin


_STATIC_URLS: dict[tuple[str, str, tuple[tuple[str, Any], ...]], str] = {}


def _static_url(endpoint: str, arguments: dict[str, Any]) -> str:
    """The URL of one of Flask-Admin's bundled files (templates/admin/static.html): they never change while the
    app runs, so each is built once per mount point."""
    # The raw SCRIPT_NAME, not request.script_root (which decodes it again at each access).
    key = (request.environ.get("SCRIPT_NAME", ""), endpoint, tuple(sorted(arguments.items())))
    if key not in _STATIC_URLS:
        _STATIC_URLS[key] = url_for(f"{endpoint}.static", **arguments)
    return _STATIC_URLS[key]
