"""Flow B's part of the cabinet: the profile facts, the sections, the consent (renewed, or withdrawn).

The cabinet page itself, the contact details and the password change are the customer pages'
(``backoffice.customers.web``); this module adds what only a Flow B user has, through ``selfreg/_cabinet.html``
which the cabinet includes.
"""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from backoffice.customers.web.common import customer_required, page, settings
from backoffice.selfreg import consent, sections, services
from backoffice.selfreg.models import SelfRegistration
from backoffice.selfreg.web import bp, page_language
from backoffice.selfreg.web.forms import ButtonForm, WithdrawForm
from backoffice.selfreg.web.views import origin
from backoffice.web import db_session
from workflows.engine import WorkflowError

#: Pages a person who must accept a new consent text may still open.
_OPEN_WHILE_PENDING_CONSENT = frozenset(
    {"selfreg.renew_consent", "selfreg.consent_text", "selfreg.withdraw", "customers.logout", "static"}
)


def _current_registration() -> SelfRegistration | None:
    if not current_user.is_authenticated or getattr(current_user, "role", None) != "customer":
        return None
    return services.by_account(db_session(), int(current_user.account_id))


def _registration() -> SelfRegistration:
    reg = _current_registration()
    if reg is None:
        abort(404)  # a Flow A customer has no Flow B consent
    return reg


@bp.before_app_request
def _ask_for_new_consent() -> Any:
    """A changed consent text is shown at the next login: until accepted, the cabinet waits behind it."""
    if request.endpoint in _OPEN_WHILE_PENDING_CONSENT or request.endpoint is None:
        return None
    if not current_user.is_authenticated or getattr(current_user, "role", None) != "customer":
        return None
    latest = consent.current_version()
    if session.get("selfreg_consent_checked") == [current_user.account_id, latest]:
        return None
    reg = services.by_account(db_session(), int(current_user.account_id))
    if reg is not None and services.needs_consent(db_session(), reg):
        return redirect(url_for("selfreg.renew_consent", next=request.full_path if request.method == "GET" else ""))
    session["selfreg_consent_checked"] = [current_user.account_id, latest]
    return None


@bp.app_context_processor
def _cabinet() -> dict[str, object]:
    """``selfreg_cabinet()`` for the cabinet page: Flow B's facts of the logged-in person, or None."""

    def selfreg_cabinet() -> dict[str, object] | None:
        reg = _current_registration()
        if reg is None or reg.account is None:
            return None
        db = db_session()
        return {
            "registration": reg,
            "kind": services.KIND_LABELS[reg.kind],
            "identifier_label": services.IDENTIFIER_LABELS[reg.kind],
            "consent": services.latest_consent(db, reg),
            "sections": [s for s in sections.visible(db, reg.account) if s.key != "profile"],
        }

    return {"selfreg_cabinet": selfreg_cabinet}


@bp.route("/account/consent", methods=["GET", "POST"])
@customer_required
def renew_consent() -> ResponseReturnValue:
    reg = _registration()
    form = ButtonForm()
    db = db_session()
    if not services.needs_consent(db, reg):
        return redirect(url_for("customers.cabinet"))
    if form.validate_on_submit():
        services.accept_consent(db, settings(), reg, origin(), page_language())
        db.commit()
        session.pop("selfreg_consent_checked", None)
        target = request.args.get("next", "")
        if not target.startswith("/") or target.startswith("//") or target.startswith("/\\"):
            target = url_for("customers.cabinet")
        return redirect(target)
    shown = consent.current(page_language(), settings().site.supplier_name)
    return page("selfreg/consent_renew.html", form=form, text=shown)


@bp.route("/account/consent/withdraw", methods=["GET", "POST"])
@customer_required
def withdraw() -> ResponseReturnValue:
    reg = _registration()
    form = WithdrawForm()
    if form.validate_on_submit():
        if not form.acknowledge.data:
            form.acknowledge.errors = [_("Tick the box to confirm that you have read the warning")]
        else:
            db = db_session()
            try:
                services.withdraw_consent(db, settings(), reg, origin(), acknowledged=True)
            except WorkflowError:  # a Conflict too
                db.rollback()
                abort(409)
            db.commit()
            logout_user()
            session.pop("selfreg_consent_checked", None)
            return redirect(url_for(".closed"))
    return page("selfreg/withdraw.html", form=form, identifier=reg.identifier)


@bp.route("/signup/closed")
def closed() -> ResponseReturnValue:
    return page("selfreg/closed.html")
