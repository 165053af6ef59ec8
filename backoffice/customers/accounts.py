"""What a registered customer does with their account: log in, passwords, contact details.

Services take the acting customer's account and never read the web session; every change writes an audit row
and any letter is an outbox row in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urljoin

from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.actors import Actor
from backoffice.audit.trail import record
from backoffice.customers import rules, tokens
from backoffice.customers.models import CustomerAccount, CustomerToken
from backoffice.letters.outbox import enqueue
from backoffice.passwords import hash_secret, verify_or_dummy
from backoffice.sessions import end_sessions
from backoffice.settings import Settings
from backoffice.types import utcnow
from backoffice.unique import insert_unless_taken
from backoffice.validation import contact
from backoffice.validation.problems import Invalid, Problem
from workflows.i18n import N_

SUBJECT = "customer_account"


def by_login(session: Session, login: str) -> CustomerAccount | None:
    return session.scalars(select(CustomerAccount).where(CustomerAccount.login == rules.normalise_login(login))).first()


def open_account(
    session: Session, now: datetime, *, login: str, password_hash: str, email: str, language: str, **fields: Any
) -> CustomerAccount | None:
    """A new account under ``login``, or None when the login is taken.

    The unique login decides between two registrations submitted at the same moment
    (:func:`backoffice.unique.insert_unless_taken`); the loser's transaction lives on to record the refusal.
    """
    account = CustomerAccount(
        login=login,
        password_hash=password_hash,
        email=email,
        language=language,
        created_at=now,
        password_changed_at=now,
        **fields,
    )
    return insert_unless_taken(session, account)


def authenticate(session: Session, login: str, password: str) -> CustomerAccount | None:
    """The account when the login and password match; the same answer (and time) for every other case."""
    account = by_login(session, login)
    if not verify_or_dummy(account.password_hash if account is not None and account.is_active else None, password):
        return None
    assert account is not None
    account.last_login_at = utcnow()
    return account


def _actor(account: CustomerAccount) -> Actor:
    return Actor.customer(account.login)


def _set_password(session: Session, settings: Settings, account: CustomerAccount, password: str, action: str) -> None:
    problems = new_password_problems(settings, account, password)
    if problems:
        raise Invalid(problems)
    account.password_hash = hash_secret(password)
    account.password_changed_at = utcnow()
    # Every session opened with the old password ends; the page that changed it logs its own browser in again.
    end_sessions(account)
    # A changed password ends every reset link still in someone's mailbox.
    tokens.revoke(session, account, tokens.PASSWORD_RESET)
    record(session, _actor(account), SUBJECT, account.id, action, changes={"password": ["***", "***"]})
    session.flush()


def new_password_problems(settings: Settings, account: CustomerAccount, password: str) -> list[Problem]:
    """The rules of a new password; the code word last, only for one that passes the rest."""
    problems = rules.password_problems(password, login=account.login, identifier=_identifier(account))
    if not problems and account.application is not None:
        problems = rules.code_word_problems(settings.code_key, password, account.application)
    return problems


def log_out(session: Session, account: CustomerAccount) -> None:
    """Logging out ends every session of this account, including copies of this browser's cookie."""
    end_sessions(account)
    session.flush()


def change_password(
    session: Session, settings: Settings, account: CustomerAccount, current: str, new: str, *, check_only: bool = False
) -> None:
    """Change the password, or raise :class:`Invalid` with every problem at once: a wrong current password and
    the new one's rules together, so the customer fixes both on one try. ``check_only`` (the page found a problem
    of its own, such as two passwords that differ) changes nothing but still raises what is wrong here."""
    if not verify_or_dummy(account.password_hash, current):
        wrong = Problem("current_password", "wrong", N_("The current password is not correct"))
        raise Invalid([wrong, *rules.password_problems(new, login=account.login, identifier=_identifier(account))])
    if check_only:
        problems = new_password_problems(settings, account, new)
        if problems:
            raise Invalid(problems)
        return
    _set_password(session, settings, account, new, "change_password")


def request_password_reset(session: Session, settings: Settings, login: str) -> None:
    """Send a reset link to the account's email, if there is such an active account; silent otherwise.

    The letter ``password_reset`` has the context keys ``login``, ``link`` and ``expires_at`` (ISO 8601, UTC).
    """
    account = by_login(session, login)
    if account is None or not account.is_active:
        return
    token, row = tokens.issue(session, account, tokens.PASSWORD_RESET)
    enqueue(
        session,
        kind="password_reset",
        recipient=account.email,
        language=account.language,
        context={
            "login": account.login,
            "link": _link(settings, f"account/reset/{token}"),
            "expires_at": row.expires_at.isoformat(),
        },
        application_id=account.application_id,
        occasion=f"token-{row.id}",
    )
    record(session, Actor.customer("anonymous"), SUBJECT, account.id, "password_reset_requested")
    session.flush()


def reset_password(
    session: Session, settings: Settings, token: str, password: str, *, check_only: bool = False
) -> CustomerAccount | None:
    """Set a new password with a reset link; ``None`` when the link is unknown, used or expired.

    ``check_only`` (the page found a problem of its own) spends nothing and changes nothing, but raises
    :class:`Invalid` for the password's own rules, so the page shows every problem at once.
    """
    row = tokens.peek(session, token, tokens.PASSWORD_RESET)
    if row is None:
        return None
    account = session.get(CustomerAccount, row.account_id)
    if account is None or not account.is_active:
        return None
    problems = rules.password_problems(password, login=account.login, identifier=_identifier(account))
    if problems:
        raise Invalid(problems)
    if check_only:
        return account
    if tokens.spend(session, token, tokens.PASSWORD_RESET) is None:
        return None
    _set_password(session, settings, account, password, "reset_password")
    return account


def change_phone(session: Session, account: CustomerAccount, phone: str, region: str = "UA") -> bool:
    """The account's phone, written nationally as in ``region`` (the country the account's flow serves)."""
    e164, _warnings = contact.phone(phone, "phone", region)
    if e164 == account.phone:
        return False
    old, account.phone = account.phone, e164
    record(session, _actor(account), SUBJECT, account.id, "change_phone", changes={"phone": [old, e164]})
    session.flush()
    return True


def request_email_change(session: Session, settings: Settings, account: CustomerAccount, email: str) -> bool:
    """Send a confirmation link to the new address; the address changes only when the link is followed.

    The letter ``email_change`` goes to the new address with the context keys ``login``, ``link``,
    ``new_email`` and ``expires_at``. Returns False when the address is the current one.
    """
    new = contact.email(email, "email")
    if new.lower() == account.email.lower():
        return False
    token, row = tokens.issue(session, account, tokens.EMAIL_CHANGE, new_email=new)
    enqueue(
        session,
        kind="email_change",
        recipient=new,
        language=account.language,
        context={
            "login": account.login,
            "link": _link(settings, f"account/email/{token}"),
            "new_email": new,
            "expires_at": row.expires_at.isoformat(),
        },
        application_id=account.application_id,
        occasion=f"token-{row.id}",
    )
    record(
        session, _actor(account), SUBJECT, account.id, "email_change_requested", changes={"email": [account.email, new]}
    )
    session.flush()
    return True


def confirm_email_change(session: Session, token: str) -> CustomerAccount | None:
    row: CustomerToken | None = tokens.spend(session, token, tokens.EMAIL_CHANGE)
    if row is None:
        return None
    account = session.get(CustomerAccount, row.account_id)
    if account is None or not account.is_active:
        return None
    old, account.email = account.email, row.new_email
    record(session, _actor(account), SUBJECT, account.id, "change_email", changes={"email": [old, row.new_email]})
    session.flush()
    return account


def _identifier(account: CustomerAccount) -> str:
    return account.application.identifier if account.application is not None else ""


def _link(settings: Settings, path: str) -> str:
    return urljoin(settings.site.base_url.rstrip("/") + "/", path)
