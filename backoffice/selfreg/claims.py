"""Ownership claims: who owns an OGRN, OGRNIP or SNILS that someone else registered first (issue 18, finding 9).

In Flow B the login is a public identifier, so a stranger can register a company's OGRN with their own email and
the owner is then refused. The refused person may file a claim from the page that refused them, with what they
can show; a supervisor compares it with the holder's registration and decides through the claim's own workflow
(``workflows.ownership_claim``), and both sides get a letter in the same transaction.

A claim can be filed only for the identifier the person's own registration was just refused for (the web page
keeps it in their session): the claim reveals nothing that refusal did not. Deciding for the claimant blocks the
holder through Flow B's ``block`` and sends the claimant a one-time invitation; registering through it releases
the identifier (``services.register``).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backoffice import statechange
from backoffice.actors import Actor
from backoffice.audit.models import AuditEvent
from backoffice.audit.trail import record
from backoffice.customers.tokens import token_hash
from backoffice.errors import BackofficeError
from backoffice.letters.outbox import enqueue
from backoffice.paging import Keyset, Page
from backoffice.selfreg import labels, services
from backoffice.selfreg.models import OwnershipClaim, PersonKind
from backoffice.settings import Settings
from backoffice.types import utcnow
from backoffice.validation import contact
from backoffice.validation.problems import Invalid, Problem
from workflows.i18n import N_
from workflows.ownership_claim import OWNERSHIP_CLAIM, ClaimState
from workflows.roles import Role
from workflows.self_registration import SelfRegistrationState

SUBJECT = services.CLAIM_SUBJECT
#: Ownership claims as the back office runs them: every decision goes through ``FLOW.fire``.
FLOW = statechange.Flow(
    OWNERSHIP_CLAIM,
    SUBJECT,
    label_of=labels.claim_label_of,
    conflict_message=N_(
        "Someone else decided this claim meanwhile (%(who)s: %(action)s). Nothing was changed; look again."
    ),
)
GRANTED_LETTER = "ownership_granted"  # to the claimant: the identifier is yours, register through this link
REFUSED_LETTER = "ownership_refused"  # to the claimant: the holder keeps it
LOST_LETTER = "ownership_lost"  # to the holder: your account is blocked
KEPT_LETTER = "ownership_kept"  # to the holder: someone asked, you keep it
INVITATION_PATH = "signup/invited/"
MAX_NUMBER = 64
MAX_NOTE = 2000


@dataclass(frozen=True)
class Refused:
    """The registration that was just refused, as the person's own session keeps it: the only identifier they
    may claim."""

    kind: PersonKind
    identifier: str
    name: str
    email: str


@dataclass(frozen=True)
class ClaimSubmission:
    """What the claim form sends, as typed."""

    name: str
    email: str
    phone: str
    contract_number: str = ""
    account_number: str = ""
    signed_request: bool = False
    note: str = ""
    consent: bool = False


class NothingToClaim(BackofficeError):
    """The identifier is not registered (any more): the person can simply register it."""


def clean(data: ClaimSubmission) -> ClaimSubmission:
    """Every rule of the claim form; :class:`Invalid` lists every problem at once, each at its field."""
    problems: list[Problem] = []
    name = " ".join((data.name or "").split())
    if not name:
        problems.append(Problem("name", "required", N_("Enter your full name")))
    elif len(name) > services.MAX_NAME:
        problems.append(Problem("name", "long", N_("At most %(max)d characters"), {"max": services.MAX_NAME}))
    email = ""
    try:
        email = contact.email(data.email, "email")
    except Invalid as exc:
        problems += exc.problems
    phone = ""
    try:
        phone, _warnings = contact.phone(data.phone, "phone", region="RU")
    except Invalid as exc:
        problems += exc.problems
    contract_number = " ".join((data.contract_number or "").split())
    account_number = " ".join((data.account_number or "").split())
    for field, value in (("contract_number", contract_number), ("account_number", account_number)):
        if len(value) > MAX_NUMBER:
            problems.append(Problem(field, "long", N_("At most %(max)d characters"), {"max": MAX_NUMBER}))
    note = (data.note or "").strip()
    if len(note) > MAX_NOTE:
        problems.append(Problem("note", "long", N_("At most %(max)d characters"), {"max": MAX_NOTE}))
    if not (contract_number or account_number or data.signed_request):
        msg = N_(
            "Tell us how you can prove the identifier is yours: the contract or personal account number, "
            "or a signed request"
        )
        problems.append(Problem("contract_number", "evidence", msg))
    if not data.consent:
        msg = N_("The check needs your consent to the processing of the data in this request")
        problems.append(Problem("consent", "required", msg))
    if problems:
        raise Invalid(problems)
    return ClaimSubmission(name, email, phone, contract_number, account_number, data.signed_request, note, True)


def file(
    session: Session,
    refused: Refused,
    data: ClaimSubmission,
    *,
    language: str,
    origin: services.Origin,
) -> OwnershipClaim:
    """File the claim (``data`` as :func:`clean` returned it), once: the same person asking again for the same
    identifier while their claim is open gets that claim back.

    Raises :class:`NothingToClaim` when nobody holds the identifier any more.
    """
    holder = services.by_identifier(session, refused.identifier)
    if holder is None or not services.identifier_taken(session, refused.identifier):
        raise NothingToClaim(refused.identifier)
    existing = session.scalars(
        select(OwnershipClaim).where(
            OwnershipClaim.identifier == refused.identifier,
            OwnershipClaim.state == ClaimState.OPEN,
            func.lower(OwnershipClaim.email) == data.email.lower(),
        )
    ).first()
    if existing is not None:
        return existing
    now = utcnow()
    claim = OwnershipClaim(
        identifier=refused.identifier,
        kind=refused.kind,
        holder=holder,
        name=data.name,
        email=data.email,
        phone=data.phone,
        contract_number=data.contract_number,
        account_number=data.account_number,
        signed_request=data.signed_request,
        note=data.note,
        language=language,
        filed_from=origin.ip[:45],
        filed_user_agent=origin.user_agent[:300],
        state=ClaimState.OPEN,
        created_at=now,
        updated_at=now,
    )
    session.add(claim)
    session.flush()
    actor = services.anonymous(origin)
    evidence = {
        "name": claim.name,
        "email": claim.email,
        "phone": claim.phone,
        "contract_number": claim.contract_number,
        "account_number": claim.account_number,
        "signed_request": claim.signed_request,
    }
    record(session, actor, SUBJECT, claim.id, "file_claim", to_state=claim.state.value, changes=evidence)
    record(session, actor, services.SUBJECT, holder.id, "ownership_claimed", changes={"ownership_claim": claim.id})
    session.flush()
    return claim


def decide(
    session: Session,
    settings: Settings,
    claim: OwnershipClaim,
    trigger: str,
    actor: Actor,
    *,
    reason: str,
    expected_version: int | None = None,
) -> AuditEvent:
    """A supervisor decides: ``grant`` (the claimant owns the identifier) or ``reject`` (the holder keeps it)."""
    return FLOW.fire(
        session, claim, trigger, actor, reason=reason, expected_version=expected_version, settings=settings
    )


def available_actions(claim: OwnershipClaim, actor: Actor) -> list[str]:
    """The decisions to offer as buttons: the table's answer, nothing else."""
    if actor.role not in {Role.OPERATOR, Role.SUPERVISOR}:
        return []
    return OWNERSHIP_CLAIM.available(claim, actor.role)


# -- what a decision writes besides the state ---------------------------------------------------------------------


@statechange.on(OWNERSHIP_CLAIM, "grant")
def _grant(session: Session, claim: OwnershipClaim, actor: Actor, event: AuditEvent, ctx: Mapping[str, Any]) -> None:
    """The claimant owns it: block the holder through Flow B's own ``block``, invite the claimant, tell both."""
    settings = statechange.settings_of(ctx)
    reason = str(ctx.get("reason") or "")
    holder = claim.holder
    if holder is not None and holder.state == SelfRegistrationState.ACTIVE:
        services.fire(
            session, holder, "block", actor, reason=reason, settings=settings, changes={"ownership_claim": claim.id}
        )
    token = secrets.token_urlsafe(32)
    claim.invitation_hash = token_hash(token)
    link = urljoin(settings.site.base_url.rstrip("/") + "/", INVITATION_PATH + token)
    _letter(session, claim, GRANTED_LETTER, claim.email, claim.language, {"identifier": claim.identifier, "link": link})
    _to_holder(session, claim, LOST_LETTER, {"identifier": claim.identifier, "reason": reason})


@statechange.on(OWNERSHIP_CLAIM, "reject")
def _reject(session: Session, claim: OwnershipClaim, actor: Actor, event: AuditEvent, ctx: Mapping[str, Any]) -> None:
    """The holder keeps it: the claimant learns why, the holder learns that somebody asked and nothing changed."""
    reason = str(ctx.get("reason") or "")
    _letter(
        session, claim, REFUSED_LETTER, claim.email, claim.language, {"identifier": claim.identifier, "reason": reason}
    )
    _to_holder(session, claim, KEPT_LETTER, {"identifier": claim.identifier})


def _to_holder(session: Session, claim: OwnershipClaim, kind: str, context: dict[str, Any]) -> None:
    holder = claim.holder
    if holder is not None and holder.email:  # a removed or closed registration has no address any more
        _letter(session, claim, kind, holder.email, holder.language, context)


def _letter(
    session: Session, claim: OwnershipClaim, kind: str, recipient: str, language: str, context: dict[str, Any]
) -> None:
    enqueue(
        session,
        kind=kind,
        recipient=recipient,
        language=language,
        context=context,
        application_id=None,
        occasion=f"claim-{claim.id}",
    )


# -- reading -------------------------------------------------------------------------------------------------------

#: The back office's list of claims: oldest first, so the longest wait is on top.
OLDEST = Keyset((OwnershipClaim.created_at, OwnershipClaim.id), descending=False)


def search(
    session: Session, *, state: ClaimState | None = ClaimState.OPEN, after: str = "", size: int = 50
) -> tuple[Page[OwnershipClaim], int]:
    """Claims for the back office, oldest first, by state (all when ``state`` is None)."""
    where = [OwnershipClaim.state == state] if state is not None else []
    query = select(OwnershipClaim).where(*where)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return OLDEST.page(session, query, after, size), total


def of_registration(session: Session, registration_id: int) -> list[OwnershipClaim]:
    """The claims filed against a registration, for its page in the back office."""
    return list(
        session.scalars(
            select(OwnershipClaim).where(OwnershipClaim.holder_id == registration_id).order_by(OwnershipClaim.id)
        )
    )
