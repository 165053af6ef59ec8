"""``/signup``: choose who you are, register, confirm the email from the letter, ask for the letter again.

Views are thin: they read the form, call the services, commit, and show the outcome. Opening the link from the
letter changes nothing (mail scanners follow links); the button on that page confirms. The answer to "send the
letter again" is the same whether or not the identifier is registered.
"""

from __future__ import annotations

from flask import abort, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from backoffice.customers.web import limits
from backoffice.customers.web.common import page, settings, show_problems
from backoffice.passwords import hash_secret
from backoffice.selfreg import consent, services
from backoffice.selfreg.models import PersonKind
from backoffice.selfreg.web import bp, page_language
from backoffice.selfreg.web.forms import ButtonForm, RegistrationForm, ResendForm
from backoffice.validation.problems import Invalid
from backoffice.web import db_session, limiter

PER_IDENTIFIER = "3 per hour;10 per day"
#: Session keys: the registration just refused (what an ownership claim may be about), and the invitation of a
#: claim decided for this person (followed from their letter).
REFUSED = "selfreg_refused"
INVITATION = "selfreg_invitation"
RESEND_PER_ADDRESS = "5 per minute;30 per day"


def origin() -> services.Origin:
    return services.Origin(limits.address(), (request.user_agent.string or "")[:300])


def _identifier_key() -> str:
    return "selfreg-identifier:" + limits.digits(request.form.get("identifier", ""))


# -- registering ---------------------------------------------------------------------------------------------------


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(limits.PER_ADDRESS, key_func=limits.address, methods=["POST"], scope="selfreg-register")
def register() -> ResponseReturnValue:
    form = RegistrationForm()
    kind = _kind(request.values.get("kind") or form.kind.data)
    if kind is None:
        return page("selfreg/choose.html", kinds=list(PersonKind), labels=services.KIND_LABELS)
    form.kind.data = kind.value
    if request.method == "GET" and request.args.get("identifier"):  # from an ownership claim's invitation
        form.identifier.data = limits.digits(request.args["identifier"])[:15]
    if not form.submitted():  # a page left open too long: the summary says so
        return _form(form, kind)
    data = services.Submission(
        kind=kind.value,
        identifier=form.identifier.data or "",
        name=form.name.data or "",
        email=form.email.data or "",
        password=form.password.data or "",
        consent=bool(form.consent.data),
        language=page_language(),
    )
    try:
        cleaned = services.clean(data)
    except Invalid as exc:
        show_problems(form, exc.problems, spare_fields_in_error=True)
    if form.errors:  # every problem of this submit, at once
        return _form(form, kind)
    password_hash = hash_secret(data.password)
    db = db_session()
    try:
        services.register(
            db,
            settings(),
            cleaned,
            password_hash=password_hash,
            language=data.language,
            origin=origin(),
            invitation=session.get(INVITATION, ""),
        )
    except services.AlreadyRegistered:
        db.commit()  # the attempt is recorded for staff
        # The one identifier this person may now ask to be checked: the one they were just refused.
        session[REFUSED] = {
            "kind": kind.value,
            "identifier": cleaned.identifier,
            "name": cleaned.name,
            "email": cleaned.email,
        }
        return page("selfreg/already_registered.html", status=409, kind=kind, labels=services.IDENTIFIER_LABELS)
    db.commit()
    session.pop(INVITATION, None)
    session["selfreg_sent_to"] = cleaned.email
    return redirect(url_for(".sent"))


@bp.route("/signup/sent")
def sent() -> ResponseReturnValue:
    """"Check your email", with the address the person typed a moment ago (kept in their own session only)."""
    email = session.get("selfreg_sent_to")
    if not email:
        return redirect(url_for(".register"))
    return page("selfreg/sent.html", email=email, hours=settings().self_registration.confirmation_link_hours)


@bp.route("/signup/consent")
def consent_text() -> ResponseReturnValue:
    """The full consent text; ``?version=N`` shows an earlier one (what a person accepted back then)."""
    version = request.args.get("version", type=int) or consent.current_version()
    if version not in consent.versions():
        abort(404)
    shown = consent.text(version, page_language(), settings().site.supplier_name)
    return page("selfreg/consent.html", text=shown, current=version == consent.current_version())


def _kind(value: str | None) -> PersonKind | None:
    try:
        return PersonKind(value) if value else None
    except ValueError:
        return None


def _form(form: RegistrationForm, kind: PersonKind) -> ResponseReturnValue:
    form.password.data = form.password_again.data = ""
    form.identifier.label.text = _("%(identifier)s (your login)", identifier=_(services.IDENTIFIER_LABELS[kind]))
    form.name.label.text = _("Organization") if kind == PersonKind.LEGAL_ENTITY else _("Full name")
    return page(
        "selfreg/register.html",
        form=form,
        kind=kind,
        kind_label=services.KIND_LABELS[kind],
        identifier_label=services.IDENTIFIER_LABELS[kind],
        min_password=12,
        invited=bool(session.get(INVITATION)),
    )


# -- confirming ----------------------------------------------------------------------------------------------------


@bp.route("/signup/confirm/<token>", methods=["GET", "POST"])
@limiter.limit(limits.PER_ADDRESS, key_func=limits.address, methods=["POST"], scope="selfreg-confirm")
def confirm(token: str) -> ResponseReturnValue:
    db = db_session()
    outcome, reg = services.link_outcome(db, token)
    form = ButtonForm()
    if outcome == services.ConfirmOutcome.CONFIRMED and form.validate_on_submit():
        outcome = services.confirm_email(db, settings(), token, origin())
        db.commit()
        if outcome == services.ConfirmOutcome.CONFIRMED:
            return page("selfreg/confirmed.html", login=reg.identifier if reg else "")
    if outcome == services.ConfirmOutcome.CONFIRMED:
        return page("selfreg/confirm.html", form=form)
    status = 410 if outcome in {services.ConfirmOutcome.EXPIRED, services.ConfirmOutcome.USED} else 404
    if outcome == services.ConfirmOutcome.ALREADY_CONFIRMED:
        status = 200
    resend_form = ResendForm()
    return page("selfreg/link_problem.html", status=status, outcome=outcome.value, form=resend_form)


@bp.route("/signup/resend", methods=["GET", "POST"])
@limiter.limit(RESEND_PER_ADDRESS, key_func=limits.address, methods=["POST"], scope="selfreg-resend")
@limiter.limit(PER_IDENTIFIER, key_func=_identifier_key, methods=["POST"], scope="selfreg-resend-identifier")
def resend() -> ResponseReturnValue:
    form = ResendForm()
    if form.validate_on_submit():
        identifier = limits.digits(form.identifier.data or "")
        if not identifier:
            form.identifier.errors = [_("Enter the SNILS, OGRNIP or OGRN you registered with")]
            return page("selfreg/resend.html", form=form)
        db = db_session()
        services.resend(db, settings(), identifier, origin())
        db.commit()
        # The same answer whether or not the identifier waits for confirmation.
        return page("selfreg/resend_sent.html", hours=settings().self_registration.confirmation_link_hours)
    if request.method == "GET" and request.args.get("identifier"):
        form.identifier.data = limits.digits(request.args["identifier"])
    return page("selfreg/resend.html", form=form)


@bp.app_context_processor
def _flow_b() -> dict[str, object]:
    """Lets shared pages (the customer login) link to Flow B's registration only where Flow B runs."""
    return {"selfreg_on": True}
