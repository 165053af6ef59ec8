"""The customer's pages: a section's list, writing a request, a request's thread with the reply form, its files."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask import abort, current_app, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Session

from backoffice.actors import Actor
from backoffice.admin.downloads import send_stored
from backoffice.customers.models import CustomerAccount
from backoffice.customers.web.common import customer_required, page, saved, settings, show_problems
from backoffice.documents.storage import open_storage
from backoffice.requests import connections, kinds, labels, services
from backoffice.requests.models import CustomerRequest, RequestKind
from backoffice.requests.web import bp, sections_on
from backoffice.requests.web.forms import ConnectionForm, DocumentsForm, ReplyForm, WriteForm
from backoffice.selfreg import sections
from backoffice.settings import CabinetSettings
from backoffice.types import utcnow
from backoffice.validation.problems import Invalid, Problem
from backoffice.web import database, db_session
from workflows.engine import GuardFailed, WorkflowError
from workflows.request_states import STATE_LABELS

#: The sections whose page is this module's list of requests (meters have a page of their own).
LISTED = ("connection_applications", "appeals", "requests", "documents")


def provide_sections(keys: Sequence[str], cabinet: CabinetSettings) -> None:
    """Give the cabinet's sections their pages and counts: shown once the customer has written one; the
    catalogue of services always."""
    if "services" in keys:
        # Flow B's cabinet is the one that lists these sections: always there where Flow B's cabinet has it.
        always = "services" in cabinet.self_registration_sections
        sections.provide("services", endpoint="requests.services", count=_no_count, always=always)
    for key in keys:
        if key not in LISTED:
            continue
        kinds = labels.SECTION_KINDS[key]

        def count(session: Session, account: CustomerAccount, key: str = key, kinds: Sequence[Any] = kinds) -> int:
            # The sections are declared once per process; an app of this process that turns this one off, or the
            # customer's flow that does not have it, has no page for it, and an empty section is not listed.
            return services.count(session, account, kinds) if key in sections_on(account) else 0

        sections.provide(key, endpoint=f"requests.{key}", count=count)


def _no_count(_session: Session, _account: CustomerAccount) -> int:
    return 0


_CONNECT = "requests.connect"
_KL = labels.KIND_LABELS
#: What each section offers to write: (endpoint, its arguments, the words, the link's id). Meters are another
#: part's (``meters.add``), offered only where that part runs.
OFFERS: dict[str, tuple[tuple[str, dict[str, str], str, str], ...]] = {
    "connection_applications": (
        (_CONNECT, {"utility": "electricity"}, _KL[RequestKind.CONNECTION_ELECTRICITY], "connect-electricity"),
        (_CONNECT, {"utility": "water"}, _KL[RequestKind.CONNECTION_WATER], "connect-water"),
        (_CONNECT, {"utility": "heat"}, _KL[RequestKind.CONNECTION_HEAT], "connect-heat"),
    ),
    "appeals": (("requests.write", {"key": "appeals"}, labels.OFFER_LABELS["appeals"], "service-appeal"),),
    "requests": (("requests.write", {"key": "requests"}, labels.OFFER_LABELS["requests"], "service-request"),),
    "documents": (("requests.ask_documents", {}, labels.OFFER_LABELS["documents"], "service-documents"),),
    "meters": (("meters.add", {}, labels.OFFER_LABELS["meters"], "service-meter"),),
}


def offers(account: CustomerAccount) -> list[tuple[str, str, str]]:
    """The services the customer may ask for, in the sections their flow turns on: (url, words, id)."""
    on = sections_on(account)
    out = []
    for key, entries in OFFERS.items():
        if key not in on:
            continue
        for endpoint, args, words, ident in entries:
            if endpoint in current_app.view_functions:
                out.append((url_for(endpoint, **args), words, ident))
    return out


@bp.app_context_processor
def _cabinet() -> dict[str, object]:
    """``requests_cabinet()`` for the cabinet page: the sections the customer has items in, and what to write."""

    def requests_cabinet() -> dict[str, object] | None:
        if not current_user.is_authenticated or getattr(current_user, "role", None) != "customer":
            return None
        account = _account()
        on = [key for key in sections_on(account) if key in LISTED]
        shown = [
            (key, labels.SECTION_TITLES[key], services.count(db_session(), account, labels.SECTION_KINDS[key]))
            for key in on
        ]
        services_on = "services" in sections_on(account)
        return {"sections": [s for s in shown if s[2]], "write": on, "services": services_on}

    return {"requests_cabinet": requests_cabinet}


#: Each section's list of the customer's requests, by the address the customer sees.
LIST_PATHS = {
    "appeals": "/account/appeals",
    "requests": "/account/requests",
    "documents": "/account/documents",
    "connection_applications": "/account/connections",
}


def _list_view(key: str) -> Callable[[], ResponseReturnValue]:
    def view() -> ResponseReturnValue:
        return _section(key)

    view.__name__ = key
    return customer_required(view)


for _key, _path in LIST_PATHS.items():
    bp.add_url_rule(_path, endpoint=_key, view_func=_list_view(_key))


@bp.route("/account/services", endpoint="services")
@customer_required
def services_catalogue() -> ResponseReturnValue:
    """The catalogue of interactive services: each opens its form."""
    if "services" not in sections_on(_account()):
        abort(404)
    return page("requests/services.html", offers=offers(_account()), title=labels.SECTION_TITLES["services"])


@bp.route("/account/connections/new/<any(electricity, water, heat):utility>", methods=["GET", "POST"])
@customer_required
def connect(utility: str) -> ResponseReturnValue:
    """An application for connection to one utility: its own fields, every problem listed at once."""
    if "connection_applications" not in sections_on(_account()):
        abort(404)
    kind = connections.UTILITIES[utility]
    form = ConnectionForm()
    form.voltage.choices = [("", "—")] + [(v, v) for v in connections.VOLTAGES]
    form.reliability.choices = [("", "—")] + [(v, v) for v in connections.RELIABILITY]
    if form.submitted():
        name, details, problems = connections.RULES[kind](request.form, utcnow().date())
        sent = _write(
            form,
            kind,
            subject=name or "—",  # its absence is the name's own problem
            details=details,
            problems=problems,
            keep=lambda p: p.field != "subject",  # the installation's name stands for it, with its own message
        )
        if sent is not None:
            return sent
    return page(
        "requests/connect.html",
        form=form,
        utility=utility,
        title=labels.KIND_LABELS[kind],
        today=utcnow().date().isoformat(),
    )


@bp.route("/account/documents/new", methods=["GET", "POST"])
@customer_required
def ask_documents() -> ResponseReturnValue:
    """A request for e-copies of documents: which (of the deployment's list), the period, a comment."""
    if "documents" not in sections_on(_account()):
        abort(404)
    offered = settings().cabinet.document_types
    form = DocumentsForm()
    form.document_types.choices = [(t, _(labels.DOCUMENT_TYPE_LABELS[t])) for t in offered]
    if form.submitted():
        details, problems = connections.document_copies(
            request.form.getlist("document_types"), form.period.data or "", offered
        )
        subject = ", ".join(_(labels.DOCUMENT_TYPE_LABELS[t]) for t in details.get("document_types", ()))
        sent = _write(
            form, RequestKind.DOCUMENT_COPY, subject=subject or "—", details=details, problems=problems, files=False
        )
        if sent is not None:
            return sent
    return page("requests/documents.html", form=form, title=labels.KIND_LABELS[RequestKind.DOCUMENT_COPY])


def _section(key: str) -> ResponseReturnValue:
    if key not in sections_on(_account()):
        abort(404)
    rows = services.of_account(db_session(), _account(), labels.SECTION_KINDS[key])
    return page(
        "requests/list.html",
        key=key,
        title=labels.SECTION_TITLES[key],
        rows=rows,
        offers=[o for o in offers(_account()) if o[2] in {entry[3] for entry in OFFERS.get(key, ())}],
        kind_labels=labels.KIND_LABELS,
        state_labels=STATE_LABELS,
    )


@bp.route("/account/<any(appeals, requests):key>/new", methods=["GET", "POST"])
@customer_required
def write(key: str) -> ResponseReturnValue:
    if key not in sections_on(_account()):
        abort(404)
    kinds = labels.SECTION_KINDS[key]
    form = WriteForm()
    form.kind.choices = [(k.value, _(labels.KIND_LABELS[k])) for k in kinds]
    if len(kinds) == 1 and not form.kind.data:
        form.kind.data = kinds[0].value
    if form.submitted():
        kind = form.kind.data if form.kind.data in {k.value for k in kinds} else ""
        sent = _write(form, kind, subject=form.subject.data or "", text_required=True)
        if sent is not None:
            return sent
    return page("requests/write.html", form=form, key=key, title=labels.SECTION_TITLES[key])


@bp.route("/account/requests/<int:request_id>", methods=["GET", "POST"])
@customer_required
def details(request_id: int) -> ResponseReturnValue:
    req = _own(request_id)
    form = ReplyForm()
    can_reply = "reply" in services.available_actions(req, _actor())
    if can_reply and form.submitted():
        db = db_session()
        try:
            services.act(
                db,
                settings(),
                req,
                "reply",
                _actor(),
                text=form.text.data or "",
                uploads=_uploads(),
                expected_version=request.form.get("version", type=int),
            )
        except Invalid as exc:
            db.rollback()
            show_problems(form, exc.problems)
        except WorkflowError as exc:  # the text is missing, or staff moved it meanwhile
            db.rollback()
            form.text.errors = [*form.text.errors, _reply_refusal(exc)]
        else:
            db.commit()
            flash(_("Your reply is sent."), "success")
            return redirect(url_for(".details", request_id=req.id))
    elif request.method == "POST":
        abort(409)
    return page(
        "requests/details.html",
        req=req,
        form=form,
        can_reply=can_reply,
        section=kinds.KINDS[req.kind].section,
        kind_labels=labels.KIND_LABELS,
        state_labels=STATE_LABELS,
        author_labels=labels.AUTHOR_LABELS,
        detail_labels=labels.DETAIL_LABELS,
        detail_values=labels.DETAIL_VALUES,
        file_endpoint="requests.download",
    )


@bp.route("/account/requests/<int:request_id>/files/<int:attachment_id>")
@customer_required
def download(request_id: int, attachment_id: int) -> ResponseReturnValue:
    req = _own(request_id)
    found = services.attachment(db_session(), req, attachment_id)
    if found is None:
        abort(404)
    services.downloaded(db_session(), req, found)
    db_session().commit()
    # A short session per piece: the body is read after the request (and its session) has ended.
    storage = open_storage(settings(), database())
    return send_stored(
        storage, found.storage_path, mimetype=found.content_type, as_attachment=True, download_name=found.filename
    )


def _write(
    form: Any,
    kind: RequestKind | str,
    *,
    subject: str,
    details: dict[str, Any] | None = None,
    problems: Sequence[Problem] = (),
    text_required: bool = False,
    files: bool = True,
    keep: Callable[[Problem], bool] = lambda _p: True,
) -> ResponseReturnValue | None:
    """Write a request of any kind from its form (the form's text and files, the kind's own fields already
    checked), and go to its page with its number; None when the form has problems, now shown on it."""
    req = saved(
        form,
        lambda db: services.submit(
            db,
            settings(),
            _account(),
            kind=str(kind),
            subject=subject,
            text=form.text.data or "",
            uploads=_uploads() if files else (),
            details=details,
            problems=problems,
            text_required=text_required,
        ),
        keep=keep,
    )
    if req is None:
        return None
    flash(_("Sent. Your number is %(number)s; we answer here and by email.", number=req.number), "success")
    return redirect(url_for(".details", request_id=req.id))


def _reply_refusal(exc: WorkflowError) -> str:
    if isinstance(exc, GuardFailed):
        return _("Write the text")
    return _("This request has changed meanwhile: read the page again.")


def _own(request_id: int) -> CustomerRequest:
    req = services.own(db_session(), int(current_user.account_id), request_id)
    if req is None:
        abort(404)
    return req


def _account() -> CustomerAccount:
    account = db_session().get(CustomerAccount, current_user.account_id)
    assert account is not None  # the user loader found it moments ago
    return account


def _actor() -> Actor:
    return Actor.customer(_account().login)


def _uploads() -> list[services.Upload]:
    return [services.Upload(f.filename or "", f.stream) for f in request.files.getlist("files") if f.filename]
