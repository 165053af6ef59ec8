"""The customer pages: registration with the code, login, passwords, the cabinet and the public status page."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("customers", __name__)

from backoffice.customers.web import account, errors, registration, status  # noqa: E402, F401 - routes on bp
