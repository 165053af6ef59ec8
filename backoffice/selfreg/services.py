"""Flow B's only writers: register, confirm, resend, remind, remove, consent, and the supervisors' actions.

(Ownership claims, a newcomer's request to check who owns a registered identifier, are in ``claims``; only
their last step, registering through the claim's invitation, is here, as part of registering.)

Services take the acting person as an argument and never read the web session. State changes go through the one
write path (``backoffice.statechange.Flow.fire``), which checks the role, bumps the version, writes the audit row and
runs the effects (``backoffice.selfreg.effects``) in the caller's transaction; the caller commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from backoffice import statechange
from backoffice.actors import Actor
from backoffice.audit.models import AuditEvent
from backoffice.audit.trail import record
from backoffice.customers import rules
from backoffice.customers.accounts import open_account
from backoffice.customers.models import CustomerAccount
from backoffice.customers.tokens import token_hash
from backoffice.errors import BackofficeError
from backoffice.paging import Keyset, Page
from backoffice.selfreg import consent, effects, labels, links
from backoffice.selfreg.labels import IDENTIFIER_LABELS, KIND_LABELS  # noqa: F401 - the pages read them here
from backoffice.selfreg.models import ConsentRecord, OwnershipClaim, PersonKind, SelfRegistration, fold
from backoffice.sessions import end_sessions
from backoffice.settings import Settings
from backoffice.types import utcnow
from backoffice.validation import contact, identifiers
from backoffice.validation.problems import Invalid, Problem
from workflows.i18n import N_
from workflows.ownership_claim import ClaimState
from workflows.roles import Role
from workflows.self_registration import HOLDS_IDENTIFIER, SELF_REGISTRATION, SelfRegistrationState

SUBJECT = effects.SUBJECT
CLAIM_SUBJECT = "ownership_claim"  # the audit trail's name for an ownership claim
#: Flow B as the back office runs it: every change of a registration's state goes through ``FLOW.fire``.
FLOW = statechange.Flow(
    SELF_REGISTRATION,
    SUBJECT,
    label_of=labels.label_of,
    conflict_message=N_(
        "Someone else changed this registration meanwhile (%(who)s: %(action)s). Nothing was changed; "
        "look again and repeat if still needed."
    ),
)
fire = FLOW.fire
REGISTRATION_FORM = "self_registration"
RENEWAL_FORM = "consent_renewal"
WITHDRAWAL_FORM = "consent_withdrawal"
MAX_NAME = 300

#: Which identifier is the login for each kind of person (seed 001, rules 2–4).
IDENTIFIER_OF: dict[PersonKind, Callable[[str, str], str]] = {
    PersonKind.INDIVIDUAL: identifiers.snils,
    PersonKind.SOLE_PROPRIETOR: identifiers.ogrnip,
    PersonKind.LEGAL_ENTITY: identifiers.ogrn,
}
_NAME_REQUIRED: dict[PersonKind, str] = {
    PersonKind.INDIVIDUAL: N_("Enter your full name: surname, first name and patronymic"),
    PersonKind.SOLE_PROPRIETOR: N_("Enter your full name: surname, first name and patronymic"),
    PersonKind.LEGAL_ENTITY: N_("Enter the name of the organization"),
}


@dataclass(frozen=True)
class Origin:
    """Where a request came from: the evidence a consent record keeps."""

    ip: str = ""
    user_agent: str = ""


@dataclass(frozen=True)
class Submission:
    """What the registration form sends, as typed."""

    kind: str
    identifier: str
    name: str
    email: str
    password: str
    consent: bool
    language: str = "ru"


@dataclass(frozen=True)
class Cleaned:
    kind: PersonKind
    identifier: str
    name: str
    email: str


class AlreadyRegistered(BackofficeError):
    """The identifier already has an account. Nothing about that account (its email) is in this error."""


class ConfirmOutcome(StrEnum):
    CONFIRMED = "confirmed"
    ALREADY_CONFIRMED = "already_confirmed"  # the link was used, and the account is a user: log in
    USED = "used"  # the link was used or replaced, and nothing can be done with it any more
    EXPIRED = "expired"  # ask for a new letter
    UNKNOWN = "unknown"


# -- registering -------------------------------------------------------------------------------------------------


def clean(data: Submission) -> Cleaned:
    """Every rule that needs no database; :class:`Invalid` lists every problem at once, each at its field."""
    problems: list[Problem] = []
    try:
        kind = PersonKind(data.kind)
    except ValueError:
        kind = None
        msg = N_("Choose who you are: individual, sole proprietor or legal entity")
        problems.append(Problem("kind", "required", msg))
    identifier = ""
    if kind is not None:
        try:
            identifier = IDENTIFIER_OF[kind](data.identifier, "identifier")
        except Invalid as exc:
            problems += exc.problems
    name = " ".join((data.name or "").split())
    if not name and kind is not None:
        problems.append(Problem("name", "required", _NAME_REQUIRED[kind]))
    elif len(name) > MAX_NAME:
        problems.append(Problem("name", "long", N_("At most %(max)d characters"), {"max": MAX_NAME}))
    email = ""
    try:
        email = contact.email(data.email, "email")
    except Invalid as exc:
        problems += exc.problems
    # The login is the identifier, so "not the login" is the rule that keeps the identifier out of the password.
    problems += rules.password_problems(data.password or "", login=identifier or _digits(data.identifier))
    if not data.consent:
        msg = N_("Registration needs your consent to the processing and storage of personal data")
        problems.append(Problem("consent", "required", msg))
    if problems:
        raise Invalid(problems)
    assert kind is not None
    return Cleaned(kind, identifier, name, email)


def identifier_taken(session: Session, identifier: str) -> bool:
    return session.scalars(select(CustomerAccount.id).where(CustomerAccount.login == identifier)).first() is not None


def register(
    session: Session,
    settings: Settings,
    cleaned: Cleaned,
    *,
    password_hash: str,
    language: str,
    origin: Origin,
    invitation: str = "",
) -> SelfRegistration:
    """Create the inactive account, the registration, its consent record and the confirmation letter.

    Raises :class:`AlreadyRegistered` (after recording the attempt for staff; the caller commits) when the
    identifier has an account, including one created by a simultaneous registration. ``invitation`` is the
    token of an ownership claim decided for this person: with it, the blocked holder's account lets go of the
    identifier first (the email is still confirmed by the usual link).
    """
    now = utcnow()
    actor = anonymous(origin)
    claim = invited_claim(session, invitation, cleaned.identifier)
    if claim is not None:
        _release(session, actor, claim)
    if identifier_taken(session, cleaned.identifier):
        raise _duplicate(session, actor, cleaned)
    account = open_account(
        session,
        now,
        login=cleaned.identifier,
        password_hash=password_hash,
        email=cleaned.email,
        language=language,
        is_active=False,  # until the email is confirmed
    )
    if account is None:
        raise _duplicate(session, actor, cleaned)
    reg = SelfRegistration(
        account=account,
        kind=cleaned.kind,
        identifier=cleaned.identifier,
        name=cleaned.name,
        language=language,
        state=SelfRegistrationState.PENDING_CONFIRMATION,
        created_at=now,
        updated_at=now,
    )
    session.add(reg)
    session.flush()
    if claim is not None:
        claim.registration_id = reg.id
    _consent(session, settings, reg, origin, language, REGISTRATION_FORM)
    record(
        session,
        actor,
        SUBJECT,
        reg.id,
        "register",
        to_state=reg.state.value,
        changes={
            "kind": cleaned.kind.value,
            "identifier": cleaned.identifier,
            "name": cleaned.name,
            "email": cleaned.email,
        },
    )
    effects.send_link(session, reg, settings)
    session.flush()
    return reg


def _duplicate(session: Session, actor: Actor, cleaned: Cleaned) -> AlreadyRegistered:
    existing = by_identifier(session, cleaned.identifier)
    record(
        session,
        actor,
        SUBJECT,
        existing.id if existing is not None else None,
        "duplicate_registration",
        changes={"identifier": cleaned.identifier, "kind": cleaned.kind.value},
    )
    session.flush()
    return AlreadyRegistered(cleaned.identifier)


def invited_claim(session: Session, invitation: str, identifier: str | None = None) -> OwnershipClaim | None:
    """The claim decided for the claimant whose invitation this is, while it has not been used (for ``identifier``
    only, when given: an invitation never frees another identifier)."""
    if not invitation:
        return None
    claim = session.scalars(
        select(OwnershipClaim).where(
            OwnershipClaim.invitation_hash == token_hash(invitation),
            OwnershipClaim.state == ClaimState.GRANTED,
            OwnershipClaim.released_at.is_(None),
        )
    ).first()
    if claim is None or (identifier is not None and claim.identifier != identifier):
        return None
    return claim


def _release(session: Session, actor: Actor, claim: OwnershipClaim) -> None:
    """The claimant registers: the blocked holder's account gives up the identifier as its login.

    Only now, not when the claim was decided: until the claimant comes, the blocked account's login keeps the
    identifier taken, so nobody else can register it in between. The holder's row keeps its identifier, state and
    history as evidence; its account gets a login nobody types and its sessions end.
    """
    holder = claim.holder
    account = holder.account if holder is not None else None
    if holder is not None and account is not None and account.login == claim.identifier:
        account.login = f"released.{holder.id}.{account.id}"
        account.is_active = False
        end_sessions(account)
        record(session, actor, SUBJECT, holder.id, "identifier_released", changes={"ownership_claim": claim.id})
    claim.released_at = utcnow()
    record(session, actor, CLAIM_SUBJECT, claim.id, "register_invited", changes={"identifier": claim.identifier})
    session.flush()


def anonymous(origin: Origin) -> Actor:
    """Whoever uses the public pages before logging in."""
    return Actor.customer(f"anonymous {origin.ip}".strip()[:100])


# -- confirming --------------------------------------------------------------------------------------------------


def link_outcome(session: Session, token: str) -> tuple[ConfirmOutcome, SelfRegistration | None]:
    """What following this link would do, without doing it (the page behind the link shows a button first)."""
    row = links.find(session, token)
    reg = by_account(session, row.account_id) if row is not None else None
    state = links.state_of(row)
    if row is None or reg is None:
        return ConfirmOutcome.UNKNOWN, None
    if reg.state != SelfRegistrationState.PENDING_CONFIRMATION:
        confirmed = reg.confirmed_at is not None and reg.state != SelfRegistrationState.REMOVED
        return (ConfirmOutcome.ALREADY_CONFIRMED if confirmed else ConfirmOutcome.USED), reg
    if state == links.LinkState.EXPIRED:
        return ConfirmOutcome.EXPIRED, reg
    if state == links.LinkState.USED:
        return ConfirmOutcome.USED, reg
    return ConfirmOutcome.CONFIRMED, reg


def confirm_email(session: Session, settings: Settings, token: str, origin: Origin) -> ConfirmOutcome:
    """Spend the link and make the person a user. Any other outcome changes nothing."""
    outcome, reg = link_outcome(session, token)
    if outcome != ConfirmOutcome.CONFIRMED or reg is None:
        return outcome
    if links.spend(session, token) is None:  # another request spent it a moment ago
        return ConfirmOutcome.ALREADY_CONFIRMED
    fire(
        session,
        reg,
        "confirm_email",
        Actor.customer(reg.identifier),
        context={"token_accepted": True, "ip": origin.ip},
        settings=settings,
    )
    return ConfirmOutcome.CONFIRMED


def resend(session: Session, settings: Settings, identifier: str, origin: Origin) -> bool:
    """A new confirmation letter for a registration still waiting for it; silent (False) for anything else.

    The page answers the same either way, so it tells nobody whether an identifier is registered.
    """
    reg = by_identifier(session, identifier)
    if reg is None or reg.state != SelfRegistrationState.PENDING_CONFIRMATION:
        return False
    fire(session, reg, "resend_confirmation", anonymous(origin), settings=settings)
    return True


def remind(session: Session, settings: Settings, reg: SelfRegistration, actor: Actor) -> bool:
    """The one reminder to confirm, with a fresh link (the scheduler calls this once per registration)."""
    if reg.state != SelfRegistrationState.PENDING_CONFIRMATION or reg.reminded_at is not None or not reg.email:
        return False
    effects.send_link(session, reg, settings, kind=effects.REMINDER_LETTER)
    reg.reminded_at = utcnow()
    record(session, actor, SUBJECT, reg.id, "remind", changes={"reminded_at": reg.reminded_at.isoformat()})
    FLOW.flush(session, reg.id)
    return True


# -- staff and the scheduler ---------------------------------------------------------------------------------------


def available_actions(reg: SelfRegistration, actor: Actor) -> list[str]:
    """The triggers to offer staff as buttons: the table's answer, nothing else."""
    if actor.role not in {Role.OPERATOR, Role.SUPERVISOR}:
        return []
    return SELF_REGISTRATION.available(reg, actor.role)


# -- consent -------------------------------------------------------------------------------------------------------


def _consent(
    session: Session, settings: Settings, reg: SelfRegistration, origin: Origin, language: str, form: str
) -> ConsentRecord:
    shown = consent.current(language, settings.site.supplier_name)
    row = ConsentRecord(
        registration_id=reg.id,
        text_version=shown.version,
        text_language=shown.language,
        text_sha256=shown.sha256,
        accepted_at=utcnow(),
        accepted_from=origin.ip[:45],
        accepted_user_agent=origin.user_agent[:300],
        form=form,
    )
    session.add(row)
    session.flush()
    return row


def latest_consent(session: Session, reg: SelfRegistration) -> ConsentRecord | None:
    return session.scalars(
        select(ConsentRecord).where(ConsentRecord.registration_id == reg.id).order_by(ConsentRecord.id.desc()).limit(1)
    ).first()


def needs_consent(session: Session, reg: SelfRegistration) -> bool:
    """A newer consent text was published since this person last accepted one."""
    if reg.state != SelfRegistrationState.ACTIVE:
        return False
    latest = latest_consent(session, reg)
    return latest is None or latest.text_version < consent.current_version()


def accept_consent(
    session: Session, settings: Settings, reg: SelfRegistration, origin: Origin, language: str
) -> ConsentRecord:
    """The person accepted the current text (shown at their login because it changed)."""
    row = _consent(session, settings, reg, origin, language, RENEWAL_FORM)
    record(
        session,
        Actor.customer(reg.identifier),
        SUBJECT,
        reg.id,
        "accept_consent",
        changes={"text_version": row.text_version, "text_language": row.text_language},
    )
    session.flush()
    return row


def withdraw_consent(
    session: Session, settings: Settings, reg: SelfRegistration, origin: Origin, *, acknowledged: bool
) -> AuditEvent:
    """Withdraw the consent and close the account; ``acknowledged`` says the warning was read and confirmed."""
    return fire(
        session,
        reg,
        "withdraw_consent",
        Actor.customer(reg.identifier),
        context={"warning_acknowledged": acknowledged, "ip": origin.ip, "form": WITHDRAWAL_FORM},
        settings=settings,
    )


# -- reading -------------------------------------------------------------------------------------------------------


def by_identifier(session: Session, identifier: str) -> SelfRegistration | None:
    """The registration that holds this identifier now, if any."""
    return session.scalars(
        select(SelfRegistration)
        .where(SelfRegistration.identifier == _digits(identifier), SelfRegistration.state.in_(HOLDS_IDENTIFIER))
        .order_by(SelfRegistration.id.desc())
        .limit(1)
    ).first()


def by_account(session: Session, account_id: int) -> SelfRegistration | None:
    return session.scalars(select(SelfRegistration).where(SelfRegistration.account_id == account_id)).first()


#: The back office's list of registrations: newest first.
NEWEST = Keyset((SelfRegistration.created_at, SelfRegistration.id))


def search(
    session: Session,
    *,
    query: str = "",
    state: SelfRegistrationState | None = None,
    kind: PersonKind | None = None,
    after: str = "",
    size: int = 50,
) -> tuple[Page[SelfRegistration], int]:
    """Registrations for the back office, newest first: by identifier (with or without separators), name or email."""
    where: list[Any] = []
    text = " ".join((query or "").split())
    if text:
        needle = f"%{fold(text)}%"
        options = [SelfRegistration.name_key.like(needle), func.lower(CustomerAccount.email).like(needle)]
        if _digits(text):
            options.append(SelfRegistration.identifier.like(f"%{_digits(text)}%"))
        where.append(or_(*options))
    if state is not None:
        where.append(SelfRegistration.state == state)
    if kind is not None:
        where.append(SelfRegistration.kind == kind)
    joined = select(SelfRegistration).outerjoin(CustomerAccount, CustomerAccount.id == SelfRegistration.account_id)
    total = session.scalar(select(func.count()).select_from(joined.where(*where).subquery())) or 0
    return NEWEST.page(session, joined.where(*where), after, size), total


def due_for_reminder(cutoff: datetime) -> Select[Any]:
    """Registrations waiting for their confirmation since ``cutoff`` or longer, not reminded yet."""
    return select(SelfRegistration).where(
        SelfRegistration.state == SelfRegistrationState.PENDING_CONFIRMATION,
        SelfRegistration.reminded_at.is_(None),
        SelfRegistration.created_at <= cutoff,
    )


def due_for_removal(cutoff: datetime, now: datetime) -> Select[Any]:
    """Unconfirmed past the period, and no link of theirs still works (a late resend gets its full time)."""
    return select(SelfRegistration).where(
        SelfRegistration.state == SelfRegistrationState.PENDING_CONFIRMATION,
        SelfRegistration.created_at <= cutoff,
        ~links.live_link_exists(SelfRegistration.account_id, now),  # type: ignore[operator]
    )


def _digits(text: str) -> str:
    return "".join(ch for ch in (text or "") if ch.isdigit())
