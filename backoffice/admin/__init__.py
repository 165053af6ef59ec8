"""The operator UI, built on Flask-Admin with its permissive defaults closed.

Each view is one line below; every view class derives from ``backoffice.admin.base`` (deny by default, a role
list per view, no model editing, no deletion).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request, url_for
from flask_admin import Admin, BaseView
from flask_admin.theme import Bootstrap4Theme
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape

from backoffice.admin.base import StaffIndexView
from backoffice.web.security import csp_nonce


def init_admin(app: Flask) -> Admin:
    from backoffice.admin.applications import ApplicationView
    from backoffice.admin.dashboard import DashboardView
    from backoffice.admin.outbox import OutboxView
    from backoffice.admin.requests import CustomerRequestView
    from backoffice.admin.routing_rules import RoutingRulesView
    from backoffice.admin.staff import AuditView, CentersView, StaffAccountsView

    app.jinja_env.globals["admin_static_url"] = _static_url
    app.jinja_env.globals["staff_menu"] = _staff_menu
    admin = Admin(
        app,
        name=_l("Back office"),
        url="/admin",
        index_view=StaffIndexView(name=_l("Home"), url="/admin"),
        theme=Bootstrap4Theme(base_template="admin/page.html", swatch="default", fluid=True),
        csp_nonce_generator=csp_nonce,
    )
    admin.add_view(ApplicationView(name=_l("Applications"), endpoint="applications"))
    admin.add_view(DashboardView(name=_l("Dashboard"), endpoint="dashboard"))
    if app.config["SETTINGS"].cabinet.any_sections:  # only where a cabinet takes requests
        admin.add_view(
            CustomerRequestView(name=_l("Appeals and requests"), endpoint="customer_requests", url="requests")
        )
    admin.add_view(AuditView(name=_l("Audit trail"), endpoint="audit"))
    admin.add_view(StaffAccountsView(name=_l("Staff"), endpoint="staff"))
    admin.add_view(CentersView(name=_l("Service centers"), endpoint="centers"))
    admin.add_view(OutboxView(name=_l("Outbox"), endpoint="outbox"))
    admin.add_view(RoutingRulesView(name=_l("Routing rules"), endpoint="routing_rules", url="routing-rules"))
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
        from backoffice.admin.selfreg_claims import OwnershipClaimView

        admin.add_view(
            OwnershipClaimView(name=_l("Ownership claims"), endpoint="selfreg_claims", url="ownership-claims")
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


def _staff_menu(view: BaseView) -> Markup:
    """The main menu's items for this user, drawn once per role, language and page.

    Which views a member of staff may open depends on their role alone (``base.StaffOnly``), so the menu is the
    same for everyone of a role; Flask-Admin's own menu macro asks every view for its access and URL on every
    page view. The views are flat (no categories); the server still checks access on every request.
    """
    staff = current_user.is_authenticated and getattr(current_user, "is_staff", False)
    role = current_user.role if staff else None
    key = (request.environ.get("SCRIPT_NAME", ""), role, str(get_locale()), view.endpoint)
    menus: dict[tuple[object, ...], Markup] = view.admin.__dict__.setdefault("_staff_menus", {})  # per app
    menu = menus.get(key)
    if menu is None:
        items = []
        for item in view.admin.menu():
            if item.is_category() or not (item.is_accessible() and item.is_visible()):
                continue
            active = ' class="active"' if item.is_active(view) else ""
            link = f'<a class="nav-link" href="{escape(item.get_url())}">{escape(item.name)}</a>'
            items.append(f"<li{active}>{link}</li>")
        menu = menus[key] = Markup("".join(items))  # noqa: S704 - every piece above is escaped
    return menu
