"""The operator UI, built on Flask-Admin with its permissive defaults closed."""

from __future__ import annotations

from flask import Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l

from backoffice.admin.base import StaffIndexView
from backoffice.web.security import csp_nonce


def init_admin(app: Flask) -> Admin:
    from backoffice.admin.applications import ApplicationView

    admin = Admin(
        app,
        name=_l("Back office"),
        url="/admin",
        index_view=StaffIndexView(name=_l("Home"), url="/admin"),
        theme=Bootstrap4Theme(swatch="default", fluid=True),
        csp_nonce_generator=csp_nonce,
    )
    admin.add_view(ApplicationView(name=_l("Applications"), endpoint="applications"))
    return admin
