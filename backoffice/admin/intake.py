"""Operator pages of the intake: the quarantine (convert, dismiss, download the original) and the
service-center registration form.

Every change is a POST with the CSRF token and goes through the intake's and the applications' services, which
write the audit trail; these views only translate between HTTP and those services.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, jsonify, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from backoffice.admin import signature_report
from backoffice.admin.base import StaffView, current_actor, explain
from backoffice.admin.downloads import send_stored
from backoffice.applications import services
from backoffice.applications.data import FIELDS, clean
from backoffice.applications.labels import FIELD_LABELS, OFFER_LABELS
from backoffice.applications.models import Application, Channel, Document, DocumentKind
from backoffice.documents.classify import Family, sniff
from backoffice.documents.storage import TooLarge, open_storage
from backoffice.intake import quarantine
from backoffice.intake.models import IncomingMessage, MessageStatus
from backoffice.intake.outages import DiskError
from backoffice.intake.processing import REASONS
from backoffice.paging import Keyset
from backoffice.settings import Settings
from backoffice.validation.problems import Invalid, Problem
from backoffice.web import database, db_session
from workflows.engine import WorkflowError
from workflows.roles import Role

PAGE_SIZE = 100
TABS = {
    "quarantined": (MessageStatus.QUARANTINED,),
    "ignored": (MessageStatus.IGNORED,),
    "all": tuple(MessageStatus),
}
SCAN_FAMILIES = frozenset({Family.PDF, Family.IMAGE})
REASON_HINT = _l("Give a reason: it goes into the audit trail.")
STATE_HINT = _l("This action is not possible in the application's current state.")
NEWEST = Keyset((IncomingMessage.id,))


def _settings() -> Settings:
    settings: Settings = current_app.config["SETTINGS"]
    return settings


class QuarantineView(StaffView):
    """Messages the intake could not turn into an application by itself, and what operators did with them."""

    @expose("/")
    def index(self) -> Any:
        tab = request.args.get("tab", "quarantined")
        if tab not in TABS:
            tab = "quarantined"
        query = select(IncomingMessage).where(IncomingMessage.status.in_(TABS[tab]))
        if current_actor().role != Role.SUPERVISOR:
            # As private as the applications the messages made or joined; the rest is everyone's pool. Asked of
            # each listed message's own application (EXISTS, by its key), not of a whole center's applications.
            visible = (
                select(Application.id)
                .where(Application.id == IncomingMessage.application_id, services.visible_to(current_actor()))
                .exists()
            )
            query = query.where(or_(IncomingMessage.application_id.is_(None), visible))
        page = NEWEST.page(db_session(), query, request.args.get("after", ""), PAGE_SIZE)
        return self.render("admin/intake/quarantine.html", page=page, tab=tab, reasons=REASONS)

    @expose("/<int:message_id>")
    def details(self, message_id: int) -> Any:
        message = self._message(message_id)
        # Messages that came under the same Message-ID with other bytes: the operator sees each from the other.
        first = message.same_id_as_id or message.id
        same_id = db_session().scalars(
            select(IncomingMessage.id)
            .where(IncomingMessage.same_id_as_id == first, IncomingMessage.id != message.id)
            .order_by(IncomingMessage.id)
        ).all()
        if message.same_id_as_id is not None:
            same_id = [message.same_id_as_id, *same_id]
        signed = message.email_signature or {}
        return self.render(
            "admin/intake/message.html",
            message=message,
            # Each with its parameters ("%(value)s is not a valid email address" needs the value).
            problems=[Problem.from_stored(p).text() for p in message.problems or []],
            same_id=same_id,
            email_signature=signature_report.present(signed) if signed.get("state") == "checked" else None,
            email_signature_pending=signed.get("state") == "pending",
            reasons=REASONS,
            can_act=message.status in quarantine.OPEN,
            application_visible=message.application is not None
            and services.can_access(current_actor(), message.application),
        )

    @expose("/<int:message_id>/original")
    def original(self, message_id: int) -> Any:
        """The message exactly as it arrived, for the operator's mail program."""
        message = self._message(message_id)
        storage = open_storage(_settings(), database())
        name = f"message-{message.id}.eml"
        return send_stored(storage, message.raw_path, mimetype="message/rfc822", as_attachment=True, download_name=name)

    @expose("/<int:message_id>/convert", methods=["POST"])
    def convert(self, message_id: int) -> Any:
        session = db_session()
        message = self._message(message_id)
        try:
            number = quarantine.convert(session, message, current_actor(), request.form.get("reason", ""), _settings())
        except (Invalid, WorkflowError) as exc:
            session.rollback()
            why = explain(exc, reason_hint=REASON_HINT, state_hint=STATE_HINT)
            flash(_("Not converted: %(why)s", why=why), "error")
            return redirect(url_for(".details", message_id=message_id))
        except DiskError as exc:  # the disk, not the message: the operator can try again once space is freed
            session.rollback()
            flash(_("Not converted: %(why)s", why=exc.describe(_)), "error")
            return redirect(url_for(".details", message_id=message_id))
        session.commit()
        flash(_("Application %(number)s was made from the message.", number=number), "success")
        return redirect(url_for("applications.details", number=number))

    @expose("/<int:message_id>/dismiss", methods=["POST"])
    def dismiss(self, message_id: int) -> Any:
        session = db_session()
        message = self._message(message_id)
        try:
            quarantine.dismiss(session, message, current_actor(), request.form.get("reason", ""))
        except Invalid as exc:
            session.rollback()
            flash(_("Not dismissed: %(why)s", why=exc.user_message), "error")
            return redirect(url_for(".details", message_id=message_id))
        session.commit()
        flash(_("The message was dismissed."), "success")
        return redirect(url_for(".index"))

    def _message(self, message_id: int) -> IncomingMessage:
        """The message, if this member of staff may see it: one that made or joined an application is as private
        as the application (another center's looks exactly like a missing one); the rest is everyone's pool."""
        message = db_session().get(IncomingMessage, message_id)
        if message is None or (
            message.application is not None and not services.can_access(current_actor(), message.application)
        ):
            abort(404)
        return message


class ServiceCenterView(StaffView):
    """An application signed by hand in front of the operator: registered with the operator's own center."""

    @expose("/", methods=["GET", "POST"])
    def index(self) -> Any:
        actor = current_actor()
        values: dict[str, str] = {}
        errors: dict[str, list[str]] = {}
        if actor.center_id is None:
            flash(_("Your account belongs to no service center, so you cannot register applications here."), "error")
        elif request.method == "POST":
            values = {name: request.form.get(name, "") for name in FIELDS}
            result = self._register(values)
            if isinstance(result, str):
                flash(_("Application %(number)s is registered.", number=result), "success")
                return redirect(url_for("applications.details", number=result))
            errors = result
            values.pop("code_word", None)  # never sent back to the page
        return self.render(
            "admin/intake/register.html",
            values=values,
            errors=errors,
            fields=FIELD_LABELS,
            offers=OFFER_LABELS,
            has_center=actor.center_id is not None,
        )

    @expose("/validate", methods=["POST"])
    def validate(self) -> Any:
        """One field checked by the same rules as the submit, for messages while the customer types."""
        name = request.form.get("field", "")
        if name not in FIELDS:
            abort(400)
        cleaned = clean({name: request.form.get("value", "")}, only=(name,))
        return jsonify(
            field=name,
            errors=[p.text() for p in cleaned.errors],
            warnings=[p.text() for p in cleaned.warnings],
        )

    def _register(self, values: dict[str, str]) -> str | dict[str, list[str]]:
        session = db_session()
        actor = current_actor()
        settings = _settings()
        errors: dict[str, list[str]] = {}
        upload = request.files.get("scan")
        stored = None
        kind = None
        if upload is not None and upload.filename:
            storage = open_storage(settings, session)
            try:
                stored = storage.put_file(upload.stream, limit=settings.signatures.max_file_mb * 1024 * 1024)
            except TooLarge:
                errors["scan"] = [_("The file is larger than %(mb)d MB", mb=settings.signatures.max_file_mb)]
            else:
                with storage.local_file(stored.path) as path:
                    kind = sniff(path, upload.filename)
                if kind.family not in SCAN_FAMILIES:
                    errors["scan"] = [_("Upload a PDF or an image (JPEG, PNG, TIFF) of the signed form")]
        try:
            app, _cleaned = services.create(
                session,
                actor,
                channel=Channel.SERVICE_CENTER,
                raw=values,
                center_id=actor.center_id,
                language=settings.site.default_language,
                strict=True,
                settings=settings,
            )
        except Invalid as exc:
            session.rollback()
            return _by_field(exc.problems, errors)
        if errors:
            session.rollback()
            return errors
        if stored is not None and kind is not None:
            app.documents.append(
                Document(
                    kind=DocumentKind.SCAN,
                    filename=(upload.filename or "scan")[:255] if upload else "scan",
                    content_type=kind.media_type,
                    size=stored.size,
                    sha256=stored.sha256,
                    storage_path=stored.path,
                )
            )
        try:
            services.fire(
                session, app, "witness_signature", actor, reason="signed at the service center", settings=settings
            )
        except WorkflowError as exc:  # a Conflict too
            session.rollback()
            return {"form": [explain(exc, reason_hint=REASON_HINT, state_hint=STATE_HINT)]}
        session.commit()
        return str(app.number)


def _by_field(problems: list[Problem], errors: dict[str, list[str]]) -> dict[str, list[str]]:
    for problem in problems:
        if not problem.warning:
            errors.setdefault(problem.field, []).append(problem.text())
    return errors
