"""Staff accounts and service centers: created here, audited here."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.actors import Actor
from backoffice.audit.trail import record
from backoffice.passwords import hash_secret
from backoffice.staff.models import Operator, ServiceCenter
from backoffice.validation.problems import Invalid, Problem
from workflows.i18n import N_
from workflows.roles import Role

LOGIN = re.compile(r"^[a-z0-9._-]{3,64}$")
STAFF_ROLES = (Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN)
MIN_PASSWORD = 12


def create_center(
    session: Session,
    actor: Actor,
    *,
    code: str,
    name: str,
    city: str = "",
    address: str = "",
    phone: str = "",
) -> ServiceCenter:
    center = ServiceCenter(code=code, name=name, city=city, address=address, phone=phone)
    session.add(center)
    session.flush()
    record(session, actor, "service_center", center.id, "create", changes={"code": [None, code]})
    return center


def center_by_code(session: Session, code: str) -> ServiceCenter | None:
    return session.scalars(select(ServiceCenter).where(ServiceCenter.code == code)).first()


def create_operator(
    session: Session,
    actor: Actor,
    *,
    login: str,
    full_name: str,
    role: Role,
    password: str,
    center: ServiceCenter | None = None,
) -> Operator:
    login = login.strip().lower()
    problems = []
    if not LOGIN.match(login):
        problems.append(
            Problem("login", "format", N_("Login: 3–64 Latin letters, digits, dots, dashes or underscores"))
        )
    elif session.scalars(select(Operator.id).where(Operator.login == login)).first() is not None:
        problems.append(Problem("login", "taken", N_("This login is already taken")))
    if role not in STAFF_ROLES:
        problems.append(Problem("role", "invalid", N_("Unknown role")))
    if role == Role.OPERATOR and center is None:
        problems.append(Problem("center", "required", N_("An operator belongs to a service center")))
    if len(password) < MIN_PASSWORD:
        problems.append(
            Problem(
                "password",
                "short",
                N_("Password must have at least %(min)d characters"),
                {"min": MIN_PASSWORD},
            )
        )
    if not full_name.strip():
        problems.append(Problem("full_name", "required", N_("Full name is required")))
    if problems:
        raise Invalid(problems)
    operator = Operator(
        login=login,
        full_name=" ".join(full_name.split()),
        role=role,
        center=center,
        password_hash=hash_secret(password),
    )
    session.add(operator)
    session.flush()
    record(
        session,
        actor,
        "operator",
        operator.id,
        "create",
        changes={
            "login": [None, login],
            "role": [None, role.value],
            "center": [None, center.code if center else None],
        },
    )
    return operator
