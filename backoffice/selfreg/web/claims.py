"""``/signup/claim``: the person refused because their identifier is registered asks who owns it; and
``/signup/invited/<token>``: the invitation of a claim decided for them, which lets their registration through.

The claim form exists only for the identifier this browser was just refused (kept in its session by the
registration page), so it answers nothing about any other identifier: no listing of who is registered. It is
limited like the registration form, per address and per identifier.
"""

from __future__ import annotations

from flask import redirect, request, session, url_for
from flask.typing import ResponseReturnValue

from backoffice.customers.web import limits
from backoffice.customers.web.common import page, show_problems
from backoffice.selfreg import claims, services
from backoffice.selfreg.models import PersonKind
from backoffice.selfreg.web import bp, page_language
from backoffice.selfreg.web.forms import ClaimForm
from backoffice.selfreg.web.views import INVITATION, PER_IDENTIFIER, REFUSED, origin
from backoffice.validation.problems import Invalid
from backoffice.web import db_session, limiter


def _refused() -> claims.Refused | None:
    """The registration this browser was refused, if any: the only identifier it may claim."""
    kept = session.get(REFUSED)
    if not isinstance(kept, dict):
        return None
    try:
        return claims.Refused(PersonKind(kept["kind"]), kept["identifier"], kept["name"], kept["email"])
    except (KeyError, ValueError):
        return None


def _refused_key() -> str:
    refused = _refused()
    return "selfreg-claim:" + (refused.identifier if refused else "-")


@bp.route("/signup/claim", methods=["GET", "POST"])
@limiter.limit(limits.PER_ADDRESS, key_func=limits.address, methods=["POST"], scope="selfreg-claim")
@limiter.limit(PER_IDENTIFIER, key_func=_refused_key, methods=["POST"], scope="selfreg-claim-identifier")
def claim() -> ResponseReturnValue:
    refused = _refused()
    if refused is None:  # nothing was refused in this browser: there is nothing to claim
        return redirect(url_for(".register"))
    form = ClaimForm()
    if request.method == "GET":
        form.name.data = form.name.data or (refused.name if refused.kind != PersonKind.LEGAL_ENTITY else "")
        form.email.data = form.email.data or refused.email
    if not form.validate_on_submit():
        return _form(form, refused)
    data = claims.ClaimSubmission(
        name=form.name.data or "",
        email=form.email.data or "",
        phone=form.phone.data or "",
        contract_number=form.contract_number.data or "",
        account_number=form.account_number.data or "",
        signed_request=bool(form.signed_request.data),
        note=form.note.data or "",
        consent=bool(form.consent.data),
    )
    try:
        cleaned = claims.clean(data)
    except Invalid as exc:
        show_problems(form, exc.problems)
        return _form(form, refused)
    db = db_session()
    try:
        claims.file(db, refused, cleaned, language=page_language(), origin=origin())
    except claims.NothingToClaim:
        session.pop(REFUSED, None)
        return page("selfreg/claim_free.html", kind=refused.kind)
    db.commit()
    session.pop(REFUSED, None)
    return page("selfreg/claim_sent.html", email=cleaned.email)


def _form(form: ClaimForm, refused: claims.Refused) -> ResponseReturnValue:
    return page(
        "selfreg/claim.html",
        form=form,
        identifier=refused.identifier,
        identifier_label=services.IDENTIFIER_LABELS[refused.kind],
    )


@bp.route("/signup/invited/<token>")
@limiter.limit(limits.PER_ADDRESS, key_func=limits.address, scope="selfreg-invited")
def invited(token: str) -> ResponseReturnValue:
    """Opening the letter's link changes nothing in the database: it remembers the invitation in this browser
    and opens the registration form; registering spends it."""
    found = services.invited_claim(db_session(), token[:100])
    if found is None:
        return page("selfreg/invitation_problem.html", status=410)
    session[INVITATION] = token[:100]
    return redirect(url_for(".register", kind=found.kind.value, identifier=found.identifier))
