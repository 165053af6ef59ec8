"""The work queue and the application page, with every action as its own small POST form.

Views are thin: they parse the form, call the one service for the change (``applications.services``), commit,
and tell the operator what happened. The services check role and access again; a button that is hidden here is
never the only thing standing between a user and a change.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from flask import Response, abort, current_app, flash, redirect, request, stream_with_context, url_for
from flask_admin import expose
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.actors import Actor
from backoffice.admin import checks, display, history, queue, signature_report
from backoffice.admin.base import StaffView, current_actor, run_action
from backoffice.admin.downloads import send_stored
from backoffice.applications import duplicates, routing, services
from backoffice.applications.labels import (
    CALL_CHOICES,
    CHANNEL_LABELS,
    DOCUMENT_KIND_LABELS,
    OFFER_LABELS,
    OUTCOME_LABELS,
    label_of,
)
from backoffice.applications.models import Application, CallOutcome, Document, DocumentKind
from backoffice.audit import trail
from backoffice.documents.storage import open_storage
from backoffice.settings import Settings
from backoffice.staff.models import Operator, ServiceCenter
from backoffice.types import utcnow
from backoffice.web import database, db_session, reads_only
from workflows.accession import ACCESSION, STATE_LABELS, WAITING_FOR_STAFF, AccessionState, acceptance_needs_reason
from workflows.diagram import DiagramError, svg
from workflows.roles import Role

#: Triggers offered as a plain button (with a reason box when the table says so). The confirmation call's
#: triggers ("confirm", "call_unanswered") are fired by the call form through ``services.log_call``.
BUTTONS = (
    "submit_for_check",
    "witness_signature",
    "accept_signature",
    "reject_signature",
    "resubmit",
    "retry_call",
    "issue_code",
    "reissue_code",
    "reject",
    "withdraw",
)
CALL_TRIGGERS = ("confirm", "call_unanswered")
#: Triggers open from nearly every state: the diagram names them in a sentence instead of drawing each arrow.
EVERYWHERE = ("reject", "withdraw")
EDITABLE = ("consumer_name", "identifier", "email", "phones", "contact_name", "commercial_offer")

INLINE_TYPES = {"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"}
CSV_FORMULA = ("=", "+", "-", "@", "\t", "\r")


class ApplicationView(StaffView):
    # -- the queue -------------------------------------------------------------------------------------

    @expose("/")
    @reads_only
    def index(self) -> Any:
        filters = queue.QueueFilters.from_args(request.args)
        is_supervisor = current_actor().role == Role.SUPERVISOR
        result = queue.page(db_session(), current_actor(), filters, with_centers=is_supervisor, marks=True)
        # Fifty rows: every word translated once per page, dates formatted without a locale lookup each.
        words = _row_words()
        lines = display.queue_lines(result.rows, words, result.now, WAITING_FOR_STAFF)
        html = self.render(
            "admin/applications/list.html",
            page=result,
            lines=lines,
            # The page's rows whose customer has another open application or a login already: asked in the
            # page's own statement (queue._page_statement), not in a second round trip.
            same_customer=frozenset(escape(row.number) for row in result.rows if row.same_customer),
            f=filters,
            is_supervisor=is_supervisor,
            t=words,
            details_base=escape(url_for(".index")),  # placed once per row, escaped once here
        )
        # Jinja's context outlives the page in a reference cycle (its macros refer to it), so whatever it holds
        # waits for the garbage collector: the page's rows and their hundreds of strings are let go now.
        lines.clear()
        result.rows.clear()
        return html

    @expose("/export.csv")
    def export(self) -> Any:
        filters = queue.QueueFilters.from_args(request.args)
        actor = current_actor()

        def generate() -> Iterator[str]:
            # Its own session, closed when the stream ends or the client goes away: a long download must not
            # keep a transaction (and its locks) open after the response has been handed to the server.
            with database().sessions() as session:
                yield from _csv(session, actor, filters)

        response = Response(stream_with_context(generate()), mimetype="text/csv")
        response.headers["Content-Disposition"] = "attachment; filename=applications.csv"
        return response

    # -- the application page ----------------------------------------------------------------------------

    def _load(self, number: str) -> Application:
        app = services.by_number(db_session(), number)
        # Another center's application looks exactly like a missing one.
        if app is None or not services.can_access(current_actor(), app):
            abort(404)
        return app

    @expose("/<number>")
    def details(self, number: str) -> Any:
        session = db_session()
        app = self._load(number)
        actor = current_actor()
        available = services.available_actions(app, actor)
        events = history.lines(session, trail.history(session, services.SUBJECT, app.id))
        staff = _operators_for(session, app) if actor.role == Role.SUPERVISOR else []
        same_customer = duplicates.find(session, [(app.id, app.identifier)]).get(app.id)
        return self.render(
            "admin/applications/details.html",
            app=app,
            labels=STATE_LABELS,
            offer_labels=OFFER_LABELS,
            channel_labels=CHANNEL_LABELS,
            outcome_labels=OUTCOME_LABELS,
            call_choices=CALL_CHOICES,
            document_kinds=DOCUMENT_KIND_LABELS,
            events=events,
            label_of=label_of,
            buttons=[t for t in available if t in BUTTONS],
            needs_reason={t for t in BUTTONS if (row := ACCESSION.transition(t)) and row.needs_reason}
            | ({"accept_signature"} if acceptance_needs_reason(app) else set()),
            can_call=any(t in available for t in CALL_TRIGGERS),
            can_edit=app.state in WAITING_FOR_STAFF,
            warnings=checks.warnings(app, same_customer),
            open_duplicates=same_customer.open_numbers if same_customer else (),
            centers=_centers(session) if actor.role == Role.SUPERVISOR else [],
            reports=signature_report.for_application(session, app.id),
            staff=staff,
            actor=actor,
            is_supervisor=actor.role == Role.SUPERVISOR,
            states_waiting=WAITING_FOR_STAFF,
            next_steps=_next_steps(app.state),
            everywhere=", ".join(_(label_of(t)) for t in EVERYWHERE if t in ACCESSION.triggers_from(app.state)),
            language=str(get_locale()),
        )

    @expose("/diagram/<state>.svg")
    def diagram(self, state: str) -> Any:
        try:
            current = AccessionState(state)
        except ValueError:
            abort(404)
        try:
            body = _diagram(current, str(get_locale()))
        except DiagramError:
            abort(404)
        response = Response(body, mimetype="image/svg+xml")
        response.headers["Cache-Control"] = "private, max-age=3600"
        return response

    @expose("/<number>/documents/<int:document_id>")
    def document(self, number: str, document_id: int) -> Any:
        app = self._load(number)
        doc = db_session().get(Document, document_id)
        if doc is None or doc.application_id != app.id:
            abort(404)
        settings: Settings = current_app.config["SETTINGS"]
        inline = doc.content_type in INLINE_TYPES and doc.kind != DocumentKind.EMAIL_ORIGINAL
        response = send_stored(
            open_storage(settings, database()),
            doc.storage_path,
            mimetype=doc.content_type if inline else "application/octet-stream",
            as_attachment=not inline,
            download_name=doc.filename,
        )
        # The file is the customer's, not ours: it may not run script or load anything in our origin.
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; object-src 'self'; "
            "frame-ancestors 'self'"
        )
        response.headers["Cache-Control"] = "private, no-store"
        return response

    # -- actions -------------------------------------------------------------------------------------

    def _act(self, number: str, change: Callable[[Session, Application], str | None]) -> Any:
        """Run one change of this application through the one action runner; always back to its page."""
        app = self._load(number)
        return run_action(
            lambda session: change(session, app),
            back=url_for(".details", number=number),
            reason_hint=_l("Give a reason: it goes into the audit trail and the letter to the customer."),
            state_hint=_l("This action is not possible in the application's current state."),
        )

    @expose("/<number>/route", methods=["POST"])
    def route(self, number: str) -> Any:
        """A supervisor sends the application to a service center (from the unrouted pool, or a wrong one)."""
        center = request.form.get("center", "")

        def change(session: Session, app: Application) -> str:
            services.FLOW.check_version(session, app, _version())
            routing.route_by_supervisor(session, app, current_actor(), int(center) if center.isdigit() else 0)
            return _("The application is routed to %(center)s.", center=app.center.name if app.center else "")

        return self._act(number, change)

    @expose("/<number>/merge", methods=["POST"])
    def merge(self, number: str) -> Any:
        """Fold this duplicate into the customer's open application; the page of the one that stays follows."""
        settings: Settings = current_app.config["SETTINGS"]
        into = request.form.get("into", "")
        kept: list[str] = []

        def change(session: Session, app: Application) -> str:
            target = services.merge(session, app, into, current_actor(), expected_version=_version(), settings=settings)
            kept.append(target.number)
            return _("Merged into application %(number)s.", number=target.number)

        response = self._act(number, change)
        return redirect(url_for(".details", number=kept[0])) if kept else response

    @expose("/<number>/act/<trigger>", methods=["POST"])
    def act(self, number: str, trigger: str) -> Any:
        if trigger not in BUTTONS:
            abort(404)
        settings: Settings = current_app.config["SETTINGS"]

        def change(session: Session, app: Application) -> str:
            services.fire(
                session,
                app,
                trigger,
                current_actor(),
                reason=request.form.get("reason", "").strip(),
                expected_version=_version(),
                settings=settings,
            )
            return _("Done: %(action)s.", action=_(label_of(trigger)))

        return self._act(number, change)

    @expose("/<number>/call", methods=["POST"])
    def call(self, number: str) -> Any:
        settings: Settings = current_app.config["SETTINGS"]
        self._load(number)  # another center's application is missing, whatever the form says
        try:
            outcome = CallOutcome(request.form.get("outcome", ""))
        except ValueError:
            flash(_("Choose the outcome of the call."), "error")
            return redirect(url_for(".details", number=number))

        def change(session: Session, app: Application) -> str:
            corrections = _changed_fields(app) if outcome == CallOutcome.CORRECTED else None
            services.log_call(
                session,
                app,
                current_actor(),
                outcome=outcome,
                spoken_code_word=request.form.get("spoken_code_word", ""),
                phone=request.form.get("phone", ""),
                note=request.form.get("note", "").strip(),
                corrections=corrections,
                expected_version=_version(),
                settings=settings,
            )
            if outcome in {CallOutcome.CONFIRMED, CallOutcome.CORRECTED}:
                return _("Match: the code word is right and the data is confirmed.")
            return _("The call is recorded: %(outcome)s.", outcome=_(OUTCOME_LABELS[outcome]))

        return self._act(number, change)

    @expose("/<number>/edit", methods=["POST"])
    def edit(self, number: str) -> Any:
        def change(session: Session, app: Application) -> str:
            raw = _changed_fields(app)
            new_code_word = request.form.get("code_word", "").strip()
            if new_code_word:
                raw["code_word"] = new_code_word
            if not raw:
                return _("Nothing was changed.")
            services.update_data(
                session,
                app,
                current_actor(),
                raw,
                expected_version=_version(),
                reason=request.form.get("reason", "").strip(),
                settings=current_app.config["SETTINGS"],
            )
            return _("The data is saved; the change is in the history.")

        return self._act(number, change)

    @expose("/<number>/claim", methods=["POST"])
    def claim(self, number: str) -> Any:
        def taken(session: Session, app: Application) -> str:
            holder = session.get(Operator, app.assignee_id) if app.assignee_id else None
            return _("%(name)s has already taken this application.", name=holder.full_name if holder else "?")

        return self._assign(number, services.claim, lambda: _("The application is yours now."), taken)

    @expose("/<number>/release", methods=["POST"])
    def release(self, number: str) -> Any:
        return self._assign(
            number,
            services.release,
            lambda: _("The application is back in the center's queue."),
            lambda _session, _app: _("Only the assignee or a supervisor can release this application."),
        )

    def _assign(
        self,
        number: str,
        attempt: Callable[[Session, Application, Actor], bool],
        done: Callable[[], str],
        refused: Callable[[Session, Application], str],
    ) -> Any:
        """Claim or release: ``attempt`` says whether the assignment changed; the user reads ``done``, or else
        ``refused`` as an error (someone else holds it: an answer, not a failure of the write path)."""

        def change(session: Session, app: Application) -> str:
            if attempt(session, app, current_actor()):
                return done()
            flash(refused(session, app), "error")
            return ""

        return self._act(number, change)

    @expose("/<number>/reassign", methods=["POST"])
    def reassign(self, number: str) -> Any:
        if current_actor().role != Role.SUPERVISOR:
            abort(403)
        raw = request.form.get("operator_id", "")

        def change(session: Session, app: Application) -> str:
            target = session.get(Operator, int(raw)) if raw.isdigit() else None
            if raw and (target is None or not target.is_active or target.role == Role.ADMIN):
                flash(_("Choose an active operator or supervisor."), "error")
                return ""
            services.reassign(
                session,
                app,
                current_actor(),
                target.id if target else None,
                request.form.get("reason", ""),
                expected_version=_version(),
            )
            if target is None:
                return _("The application is unassigned.")
            return _("The application is assigned to %(name)s.", name=target.full_name)

        return self._act(number, change)


# -- helpers ----------------------------------------------------------------------------------------------


def _csv(session: Session, actor: Any, filters: queue.QueueFilters) -> Iterator[str]:
    """The filtered queue as CSV text in chunks of about 64 KB: plain values, nothing a spreadsheet runs."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            _("Number"), _("Received"), _("Customer"), _("EDRPOU / RNOKPP"), _("Offer"), _("Channel"),
            _("State"), _("Deadline"), _("Overdue"), _("Assignee"), _("Service center"),
        ]
    )
    now = utcnow()
    for row in queue.all_rows(session, actor, filters):
        writer.writerow(
            _plain_cells(
                [
                    row.number,
                    row.received_at.isoformat(timespec="seconds"),
                    row.consumer_name,
                    row.identifier,
                    _(OFFER_LABELS[row.commercial_offer]) if row.commercial_offer else "",
                    _(CHANNEL_LABELS[row.channel]),
                    _(STATE_LABELS[row.state]),
                    row.due_at.isoformat(timespec="seconds") if row.due_at else "",
                    _("yes") if row.overdue(now) else "",
                    row.assignee_login,
                    row.center_code,
                ]
            )
        )
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _row_words() -> Any:
    """The words every queue row repeats, translated once per language (catalogues do not change at run time)."""
    return _words_in(str(get_locale()))


@lru_cache(maxsize=8)
def _words_in(language: str) -> Any:
    from types import SimpleNamespace

    # Escaped here once: the queue's rows are placed without escaping again (display.queue_lines).
    return SimpleNamespace(
        states={state: escape(_(label)) for state, label in STATE_LABELS.items()},
        offers={offer: escape(_(label)) for offer, label in OFFER_LABELS.items()},
        channels={channel: escape(_(label)) for channel, label in CHANNEL_LABELS.items()},
        overdue=escape(_("overdue")),
        take=escape(_("Take")),
        same_customer=escape(_("Same customer: see the application")),
    )


def _version() -> int | None:
    value = request.form.get("version", "")
    return int(value) if value.isdigit() else None


def _changed_fields(app: Application) -> dict[str, Any]:
    """The fields of the form that differ from what is stored (only those are validated and audited)."""
    out: dict[str, Any] = {}
    for name in EDITABLE:
        if name not in request.form:
            continue
        value = request.form.get(name, "").strip()
        current = getattr(app, name)
        if name == "phones":
            if value != ", ".join(current or []):
                out[name] = value
        elif name == "commercial_offer":
            if value != (current.value if current else ""):
                out[name] = value
        elif value != (current or ""):
            out[name] = value
    return out


def _operators_for(session: Session, app: Application) -> list[Operator]:
    """Who a supervisor can hand the application to: the center's operators and the supervisors."""
    query = (
        select(Operator)
        .where(Operator.is_active.is_(True))
        .where((Operator.center_id == app.center_id) | (Operator.role == Role.SUPERVISOR))
        .where(Operator.role != Role.ADMIN)
        .order_by(Operator.full_name)
    )
    return list(session.scalars(query))


def _centers(session: Session) -> list[ServiceCenter]:
    """Where a supervisor can route an application."""
    return list(session.scalars(select(ServiceCenter).order_by(ServiceCenter.name)))


def _plain_cells(cells: list[str]) -> list[str]:
    """Values a spreadsheet will not run as a formula."""
    return ["'" + c if c and c.startswith(CSV_FORMULA) else c for c in cells]


def _next_steps(state: AccessionState) -> list[tuple[str, str]]:
    """Where the application can go from here, as (action, state it leads to), untranslated."""
    return [
        (label_of(trigger), STATE_LABELS[dest])
        for source, dest, trigger in ACCESSION.edges()
        if source == state and trigger not in EVERYWHERE
    ]


@lru_cache(maxsize=64)
def _diagram(state: AccessionState, language: str) -> bytes:
    """The page's diagram: small, in the page's language, the current state and the moves from it marked.

    Rejecting and withdrawing, possible from nearly every state, are left out of the drawing (the panel says
    so in words): with them it was a tangle of arrows half a screen high. Cached per state and language (the
    catalogues do not change while the process runs); ``language`` is the key, the request's locale the words.
    """
    del language
    return svg(
        ACCESSION,
        highlight=state,
        state_labels={s: _(label) for s, label in STATE_LABELS.items()},
        trigger_labels={t: _(label_of(t)) for _s, _d, t in ACCESSION.edges()},
        leave_out=EVERYWHERE,
        compact=True,
    )
