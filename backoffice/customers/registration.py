"""The customer turns a registration code into a login: the one place a code is redeemed.

Three steps, so the slow part holds no lock:

1. :func:`check` finds the code and the application by what was typed. Every refusal is recorded for staff
   (which of wrong code, unknown identifier, used, expired, revoked) and counted on the identifier's live code
   (``failed_attempts``, shown to staff, never a lock); the customer is told only :class:`Refused`, one
   generic answer.
2. :func:`prepare` checks the chosen login and password (the password must not be the code word: a keyed hash,
   or one argon2 check for a long code word stored before) and the caller hashes the password.
3. :func:`finish` spends the code with a conditional UPDATE (of fifty simultaneous submissions exactly one
   matches the row), creates the account and fires ``complete`` through the write path, which writes the
   audit event and the confirmation letter, all in the caller's transaction.

The typed code is checked with a keyed hash (``codes.code_hash``), not a slow one: guessing is bounded by the
throttles of the page (``backoffice.web.throttle``), not by hashing cost. There is no lock after so many wrong
tries: an EDRPOU is public, and such a lock would let anyone refuse the right code to its owner; against a
code of ~2^59.5 a throttle does as much (docs/security.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backoffice.actors import Actor
from backoffice.applications import codes, services
from backoffice.applications.models import Application, RegistrationCode
from backoffice.audit.trail import record
from backoffice.customers import rules
from backoffice.customers.accounts import open_account
from backoffice.customers.models import CustomerAccount
from backoffice.errors import BackofficeError
from backoffice.settings import Settings
from backoffice.types import utcnow
from backoffice.validation.problems import Invalid, Problem
from workflows.accession import AccessionState
from workflows.i18n import N_


class Refusal(StrEnum):
    """Why a submission was refused: for the audit trail only, never shown to the customer."""

    WRONG_CODE = "wrong_code"
    UNKNOWN_IDENTIFIER = "unknown_identifier"
    NO_LIVE_CODE = "no_live_code"
    IDENTIFIER_MISMATCH = "identifier_mismatch"
    USED = "used"
    EXPIRED = "expired"
    REVOKED = "revoked"
    #: Kept so that audit rows written before the lock was removed still read.
    LOCKED = "locked"
    NOT_OPEN = "application_not_open"


#: The refusals a customer is told as they are. :func:`check` raises them only when the code typed belongs to the
#: identifier typed: whoever holds a company's letter learns that its code was used, expired or replaced, and a
#: stranger who tries codes or identifiers learns nothing (every other refusal reads the same, docs/security.md).
TOLD = frozenset({Refusal.USED, Refusal.EXPIRED, Refusal.REVOKED})


class Refused(BackofficeError):
    """The code cannot be redeemed. Raised after the refusal is recorded: the caller commits.

    ``application_id`` is the application the try was aimed at, when there is one, so that an alert about
    guessing lands beside it in the audit trail.
    """

    def __init__(self, reason: Refusal, application_id: int | None = None) -> None:
        self.reason, self.application_id = reason, application_id
        super().__init__(reason.value)


@dataclass(frozen=True)
class Checked:
    """A code that matched its application's identifier and may be spent."""

    code_id: int
    application_id: int
    identifier: str


def anonymous(ip: str) -> Actor:
    """Whoever submits the form before an account exists."""
    return Actor.customer(f"anonymous {ip}"[:100])


def check(session: Session, settings: Settings, *, code: str, identifier: str, ip: str = "") -> Checked:
    """The code and identifier as typed, or :class:`Refused` (recorded, the caller commits).

    The identifier's live codes are read only for a refusal, which counts the try on each of them: a good code
    costs no read for it."""
    now = utcnow()
    row = session.scalars(
        select(RegistrationCode).where(RegistrationCode.code_hash == codes.code_hash(settings.code_key, code))
    ).first()
    if row is not None and row.application.identifier == identifier:
        app = row.application
        if row.revoked_at is not None:
            raise _refuse(session, Refusal.REVOKED, identifier, row, ip)
        if row.used_at is not None:
            raise _refuse(session, Refusal.USED, identifier, row, ip)
        if row.expires_at <= now or app.state == AccessionState.CODE_EXPIRED:
            raise _refuse(session, Refusal.EXPIRED, identifier, row, ip)
        if app.state != AccessionState.CODE_ISSUED:
            raise _refuse(session, Refusal.NOT_OPEN, identifier, row, ip)
        return Checked(row.id, app.id, identifier)
    if row is not None:
        raise _refuse(session, Refusal.IDENTIFIER_MISMATCH, identifier, row, ip)
    live = _live_codes(session, identifier)
    if live:
        raise _refuse(session, Refusal.WRONG_CODE, identifier, None, ip, live)
    known = session.scalars(select(Application.id).where(Application.identifier == identifier)).first()
    raise _refuse(session, Refusal.NO_LIVE_CODE if known else Refusal.UNKNOWN_IDENTIFIER, identifier, None, ip, live)


def prepare(session: Session, settings: Settings, checked: Checked, *, login: str, password: str) -> list[Problem]:
    """What is wrong with the chosen login and password, now that the code is known to be good.

    Whether a login is taken is told only here, after the code: the page cannot be used to list logins.
    """
    problems = rules.login_problems(login) + rules.password_problems(
        password, login=login, identifier=checked.identifier
    )
    if not rules.login_problems(login) and rules.login_taken(session, login):
        problems.append(Problem("login", "taken", N_("This login is already taken")))
    if not problems:
        app = session.get(Application, checked.application_id)
        assert app is not None
        problems += rules.code_word_problems(settings.code_key, password, app)
    return problems


def finish(
    session: Session, settings: Settings, checked: Checked, *, login: str, password_hash: str, ip: str = ""
) -> CustomerAccount:
    """Spend the code, create the account and complete the application, in the caller's transaction.

    Raises :class:`Refused` (recorded; commit) when another submission spent the code first, and
    :class:`Invalid` (roll back) when the login was taken meanwhile.
    """
    login = rules.normalise_login(login)
    now = utcnow()
    spent = session.execute(
        update(RegistrationCode)
        .where(
            RegistrationCode.id == checked.code_id,
            RegistrationCode.used_at.is_(None),
            RegistrationCode.revoked_at.is_(None),
            RegistrationCode.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    app = session.scalars(
        select(Application).where(Application.id == checked.application_id).execution_options(populate_existing=True)
    ).one()
    if spent.rowcount != 1 or app.state != AccessionState.CODE_ISSUED:  # type: ignore[attr-defined]
        record(session, anonymous(ip), services.SUBJECT, app.id, "registration_refused", reason=Refusal.USED.value)
        session.flush()
        raise Refused(Refusal.USED, app.id)
    account = open_account(
        session,
        now,
        login=login,
        password_hash=password_hash,
        email=app.email,
        language=app.language,
        application_id=app.id,
        phone=app.phones[0] if app.phones else "",
    )
    if account is None:
        raise Invalid([Problem("login", "taken", N_("This login is already taken"))])
    services.fire(
        session,
        app,
        "complete",
        Actor.customer(login),
        context={"code_accepted": True, "login": login},
        settings=settings,
    )
    return account


def _live_codes(session: Session, identifier: str) -> list[RegistrationCode]:
    return list(
        session.scalars(
            select(RegistrationCode)
            .join(Application)
            .where(
                Application.identifier == identifier,
                RegistrationCode.used_at.is_(None),
                RegistrationCode.revoked_at.is_(None),
            )
        )
    )


def _refuse(
    session: Session,
    reason: Refusal,
    identifier: str,
    row: RegistrationCode | None,
    ip: str,
    live: list[RegistrationCode] | None = None,
) -> Refused:
    """Count the wrong try on every live code it could have been aimed at (for staff to see, not a lock), and
    record it. ``live``: the identifier's live codes, when the caller has read them already."""
    if live is None:
        live = _live_codes(session, identifier)
    targets = {c.id for c in live}
    if reason == Refusal.IDENTIFIER_MISMATCH and row is not None and row.used_at is None and row.revoked_at is None:
        targets.add(row.id)  # someone holds this code and is guessing whose it is
    if targets:
        session.execute(
            update(RegistrationCode)
            .where(RegistrationCode.id.in_(targets))
            .values(failed_attempts=RegistrationCode.failed_attempts + 1)
            .execution_options(synchronize_session=False)
        )
    counts = {
        c.id: c.failed_attempts
        for c in session.scalars(
            select(RegistrationCode).where(RegistrationCode.id.in_(targets)).execution_options(populate_existing=True)
        )
    }
    subject = row.application_id if row is not None else (live[0].application_id if live else None)
    record(
        session,
        anonymous(ip),
        services.SUBJECT if subject is not None else "registration",
        subject,
        "registration_refused",
        reason=reason.value,
        changes={"identifier": identifier, "failed_attempts": {str(k): v for k, v in counts.items()}},
    )
    session.flush()
    return Refused(reason, live[0].application_id if live else None)
