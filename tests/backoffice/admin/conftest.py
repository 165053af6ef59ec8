"""Staff, applications and logged-in clients for the back-office tests."""
from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from backoffice.passwords import hash_secret
from backoffice.staff.models import Operator, ServiceCenter
from tests import factories
from tests.services import fresh_limits  # noqa: F401 - fixture by name
from workflows.roles import Role

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture(autouse=True)
def _fresh_limits(fresh_limits: None) -> None:
    """Every test here starts with no rate-limit or throttle counts (tests/services.py)."""


@dataclass
class Staff:
    center_a: ServiceCenter
    center_b: ServiceCenter
    operator_a: Operator
    operator_a2: Operator
    operator_b: Operator
    supervisor: Operator
    admin: Operator


@pytest.fixture(scope="session")
def password_hash() -> str:
    """One argon2 hash of the test password for every account (hashing costs real time; logins still verify)."""
    return hash_secret(factories.PASSWORD)


@pytest.fixture
def staff(make: factories.Factory, session: Session, password_hash: str) -> Staff:
    a, b = make.center("A"), make.center("B")

    def person(login: str, role: Role, center: ServiceCenter | None) -> Operator:
        operator = Operator(
            login=login, full_name=f"Працівник {login}", role=role, center=center, password_hash=password_hash
        )
        session.add(operator)
        return operator

    people = Staff(
        center_a=a,
        center_b=b,
        operator_a=person("op.a", Role.OPERATOR, a),
        operator_a2=person("op.a2", Role.OPERATOR, a),
        operator_b=person("op.b", Role.OPERATOR, b),
        supervisor=person("super", Role.SUPERVISOR, None),
        admin=person("boss", Role.ADMIN, None),
    )
    session.commit()
    return people


def csrf_token(client: FlaskClient, path: str = "/staff/login?lang=en") -> str:
    """The form token of this client's session (the login page also switches the session to English, so tests
    read the English messages; the Ukrainian default has its own test)."""
    response = client.get(path)
    if response.status_code != 200:  # a page this user may not open: any page of theirs has the same token
        response = client.get("/admin/", follow_redirects=True)
    match = TOKEN.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def log_in(client: FlaskClient, login: str, password: str = factories.PASSWORD) -> FlaskClient:
    response = client.post(
        "/staff/login", data={"login": login, "password": password, "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@pytest.fixture
def login(app: Flask) -> object:
    """``login(operator)`` gives a fresh client logged in as that member of staff."""

    def _login(operator: Operator) -> FlaskClient:
        return log_in(app.test_client(), operator.login)

    return _login


def post(client: FlaskClient, path: str, data: dict[str, object] | None = None, *, token: bool = True) -> object:
    """A form POST as the browser sends it: with the page's CSRF token unless told otherwise."""
    form = dict(data or {})
    if token:
        form["csrf_token"] = csrf_token(client, "/admin/applications/")
    return client.post(path, data=form)
