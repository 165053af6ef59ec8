"""Ownership claims in the back office: who asked for which identifier, next to the account that holds it, and
the supervisor's decision.

Supervisors only (operators get 403): deciding blocks a customer's account, which in Flow B only supervisors do.
The page puts side by side what each side has shown (the holder's registration, consent and confirmation; the
claimant's evidence) so the decision is made on both. The buttons are the claim workflow's answer
(``claims.available_actions``); each is a POST with CSRF through the one write path, which checks the role again,
refuses a stale copy, writes the audit row and both letters.
"""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from flask_admin import expose
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from backoffice.admin import history
from backoffice.admin.base import SupervisorView, current_actor, fire_posted, get_or_404
from backoffice.admin.selfreg import WORDS
from backoffice.audit import trail
from backoffice.selfreg import claims, services
from backoffice.selfreg.labels import claim_label_of
from backoffice.selfreg.models import OwnershipClaim
from backoffice.settings import Settings
from backoffice.web import db_session
from workflows.ownership_claim import OWNERSHIP_CLAIM, STATE_LABELS, ClaimState
from workflows.self_registration import STATE_LABELS as REGISTRATION_STATE_LABELS

PAGE_SIZE = 50
ACTIONS = tuple(row.trigger for row in OWNERSHIP_CLAIM.table)


class OwnershipClaimView(SupervisorView):
    @expose("/")
    def index(self) -> Any:
        chosen = request.args.get("state", ClaimState.OPEN.value)
        state = ClaimState(chosen) if chosen in set(ClaimState) else None
        page, total = claims.search(db_session(), state=state, after=request.args.get("after", ""), size=PAGE_SIZE)
        return self.render(
            "admin/selfreg/claims.html",
            page=page,
            total=total,
            state=state,
            labels=STATE_LABELS,
            **WORDS,
        )

    @expose("/<int:claim_id>")
    def details(self, claim_id: int) -> Any:
        session = db_session()
        claim = get_or_404(OwnershipClaim, claim_id)
        holder = claim.holder
        return self.render(
            "admin/selfreg/claim.html",
            claim=claim,
            holder=holder,
            labels=STATE_LABELS,
            registration_labels=REGISTRATION_STATE_LABELS,
            events=history.lines(session, trail.history(session, claims.SUBJECT, claim.id)),
            holder_events=(
                history.lines(session, trail.history(session, services.SUBJECT, holder.id)) if holder else []
            ),
            label_of=claim_label_of,
            **WORDS,
            actions=claims.available_actions(claim, current_actor()),
        )

    @expose("/<int:claim_id>/act/<trigger>", methods=["POST"])
    def act(self, claim_id: int, trigger: str) -> Any:
        claim = get_or_404(OwnershipClaim, claim_id)

        def decide(session: Session, settings: Settings, reason: str, version: int | None) -> None:
            claims.decide(session, settings, claim, trigger, current_actor(), reason=reason, expected_version=version)

        return fire_posted(
            trigger, ACTIONS, decide, claim_label_of, back=url_for(".details", claim_id=claim_id),
            reason_hint=_l("Give a reason: it goes to both sides in the letters and into the audit trail."),
            state_hint=_l("This claim has been decided already."),
        )
