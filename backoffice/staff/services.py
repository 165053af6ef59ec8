"""Staff accounts and service centers: created here, audited here."""

from __future__ import annotations

import hmac
import re
import time

import pyotp
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from backoffice.actors import Actor
from backoffice.audit.trail import record
from backoffice.errors import Forbidden
from backoffice.passwords import MIN_PASSWORD, hash_secret
from backoffice.sessions import end_sessions
from backoffice.staff.models import Operator, ServiceCenter
from backoffice.validation.problems import Invalid, Problem
from workflows.i18n import N_
from workflows.roles import Role

LOGIN = re.compile(r"^[a-z0-9._-]{3,64}$")
STAFF_ROLES = (Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN)


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
    _require_admin(actor)
    code = code.strip().upper()
    problems = []
    if not re.match(r"^[A-Z0-9_-]{1,32}$", code):
        problems.append(Problem("code", "format", N_("Code: 1–32 Latin letters, digits, dashes or underscores")))
    elif center_by_code(session, code) is not None:
        problems.append(Problem("code", "taken", N_("This code is already taken")))
    if not name.strip():
        problems.append(Problem("name", "required", N_("Name is required")))
    if problems:
        raise Invalid(problems)
    center = ServiceCenter(code=code, name=" ".join(name.split()), city=city, address=address, phone=phone)
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
    _require_admin(actor)
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


# -- administration (the back office's staff pages call these; every change is audited) -----------------------

ADMINS = frozenset({Role.ADMIN, Role.SYSTEM})


class NotAllowed(Forbidden):
    """Only an administrator (or the CLI / set-up) manages staff accounts and centers."""


def _require_admin(actor: Actor) -> None:
    if actor.role not in ADMINS:
        raise NotAllowed(f"{actor.label} may not manage staff")


def update_operator(
    session: Session,
    actor: Actor,
    operator: Operator,
    *,
    full_name: str | None = None,
    role: Role | None = None,
    center: ServiceCenter | None = None,
    is_active: bool | None = None,
    totp_required: bool | None = None,
    reason: str = "",
) -> dict[str, list[object]]:
    """Change an account; returns the before/after of what changed (also in the audit row)."""
    _require_admin(actor)
    problems = []
    new_role = role or operator.role
    if role is not None and role not in STAFF_ROLES:
        problems.append(Problem("role", "invalid", N_("Unknown role")))
    if new_role == Role.OPERATOR and center is None:
        problems.append(Problem("center", "required", N_("An operator belongs to a service center")))
    if full_name is not None and not full_name.strip():
        problems.append(Problem("full_name", "required", N_("Full name is required")))
    if operator.id == actor.operator_id and (is_active is False or (role is not None and role != Role.ADMIN)):
        problems.append(Problem("role", "self", N_("You cannot lock yourself out of administration")))
    if problems:
        raise Invalid(problems)
    changes: dict[str, list[object]] = {}
    wanted = {
        "full_name": " ".join(full_name.split()) if full_name is not None else None,
        "role": role,
        "is_active": is_active,
        "totp_required": totp_required,
    }
    for name, value in wanted.items():
        if value is not None and getattr(operator, name) != value:
            old = getattr(operator, name)
            setattr(operator, name, value)
            changes[name] = [getattr(old, "value", old), getattr(value, "value", value)]
    if "is_active" in changes and not operator.is_active:
        end_sessions(operator)  # a blocked account's open sessions end now, not at their next idle timeout
    new_center_id = center.id if center is not None else None
    if operator.center_id != new_center_id:
        changes["center"] = [operator.center.code if operator.center else None, center.code if center else None]
        operator.center = center
    if changes:
        record(session, actor, "operator", operator.id, "edit", reason=reason, changes=changes)
        session.flush()
    return changes


def set_password(session: Session, actor: Actor, operator: Operator, password: str) -> None:
    """A new password chosen by an administrator (or the person themselves); the audit row never holds it.

    Every session of that person ends: a password is reset because it may be known to someone else, and that
    someone may already be logged in."""
    if actor.operator_id != operator.id:
        _require_admin(actor)
    if len(password) < MIN_PASSWORD:
        raise Invalid(
            [Problem("password", "short", N_("Password must have at least %(min)d characters"), {"min": MIN_PASSWORD})]
        )
    operator.password_hash = hash_secret(password)
    end_sessions(operator)
    record(session, actor, "operator", operator.id, "set_password", changes={"password": ["***", "***"]})
    session.flush()


def totp_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step whose code this is (one step either way, for a phone clock a little off), or None."""
    digits = "".join(ch for ch in code if ch.isdigit())
    if len(digits) != 6:
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(time.time() if now is None else now)
    for step in (current, current - 1, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), digits):
            return step
    return None


def use_totp_step(session: Session, operator: Operator, step: int) -> bool:
    """Spend a code: True once per step and operator, False for a code already used or older than the last one.

    One conditional UPDATE, so two logins racing with the same overheard code cannot both pass.
    """
    spent = session.execute(
        update(Operator)
        .where(
            Operator.id == operator.id,
            or_(Operator.totp_last_step.is_(None), Operator.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        return False
    operator.totp_last_step = step
    return True


def enrol_totp(session: Session, actor: Actor, operator: Operator, secret: str, step: int | None = None) -> None:
    """The person proved they hold the secret (a valid code); from now on every login asks for a code.

    ``step`` is that code's: spent here, so the code that enrolled cannot also log in.
    """
    if actor.operator_id != operator.id:
        _require_admin(actor)
    operator.totp_secret = secret
    operator.totp_last_step = step
    record(session, actor, "operator", operator.id, "enrol_totp", changes={"totp": [None, "enrolled"]})
    session.flush()


def reset_totp(session: Session, actor: Actor, operator: Operator, reason: str = "") -> None:
    """A lost phone: the administrator clears the secret; if a second factor is required, the next login enrols."""
    _require_admin(actor)
    if operator.totp_secret is None:
        return
    operator.totp_secret = None
    operator.totp_last_step = None
    record(session, actor, "operator", operator.id, "reset_totp", reason=reason, changes={"totp": ["enrolled", None]})
    session.flush()


def update_center(
    session: Session,
    actor: Actor,
    center: ServiceCenter,
    *,
    name: str,
    city: str = "",
    address: str = "",
    phone: str = "",
) -> dict[str, list[object]]:
    _require_admin(actor)
    if not name.strip():
        raise Invalid([Problem("name", "required", N_("Name is required"))])
    changes: dict[str, list[object]] = {}
    for field_name, value in {"name": name, "city": city, "address": address, "phone": phone}.items():
        value = " ".join(value.split())
        if getattr(center, field_name) != value:
            changes[field_name] = [getattr(center, field_name), value]
            setattr(center, field_name, value)
    if changes:
        record(session, actor, "service_center", center.id, "edit", changes=changes)
        session.flush()
    return changes


def log_out(session: Session, operator: Operator) -> None:
    """Logging out ends every session of this person, including copies of this browser's cookie."""
    end_sessions(operator)
    session.flush()
