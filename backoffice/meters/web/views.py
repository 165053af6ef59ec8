"""The customer's meters: the list, «Добавить ПУ», a meter's page with its readings form, history and chart, and
the requests about one meter."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask import abort, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Session

from backoffice.customers.models import CustomerAccount
from backoffice.customers.web.common import customer_required, page, saved, settings, show_problems
from backoffice.meters import labels, services
from backoffice.meters.models import Meter, MeterType, ReadingNote
from backoffice.meters.web import bp
from backoffice.meters.web.forms import AddForm, AskForm, ReadingForm
from backoffice.requests.labels import KIND_LABELS
from backoffice.requests.models import RequestKind
from backoffice.requests.web import sections_on
from backoffice.selfreg import sections
from backoffice.types import utcnow
from backoffice.validation.problems import Invalid
from backoffice.web import db_session
from workflows.request_states import STATE_LABELS


def provide_section(*, always: bool) -> None:
    def count(session: Session, account: CustomerAccount) -> int:
        return services.count(session, account) if "meters" in sections_on(account) else 0

    sections.provide("meters", endpoint="meters.index", count=count, always=always)


@bp.route("/account/meters")
@customer_required
def index() -> ResponseReturnValue:
    account = _account()
    return page(
        "meters/list.html",
        meters=services.of_account(db_session(), account),
        window=services.window(settings().cabinet, utcnow().date()),
        type_labels=labels.TYPE_LABELS,
    )


@bp.route("/account/meters/new", methods=["GET", "POST"])
@customer_required
def add() -> ResponseReturnValue:
    account = _account()
    form = AddForm()
    form.type.choices = [(t.value, _(labels.TYPE_LABELS[t])) for t in MeterType]
    if form.submitted():
        meter = saved(
            form,
            lambda db: services.add_meter(
                db,
                account,
                type=form.type.data or "",
                serial=form.serial.data or "",
                place=form.place.data or "",
                zones=form.zones.data,
                digits=form.digits.data,
                verified_on=form.verified_on.data,
            ),
        )
        if meter is not None:
            flash(_("The meter %(serial)s is added.", serial=meter.serial), "success")
            return redirect(url_for(".details", meter_id=meter.id))
    return page("meters/add.html", form=form)


@bp.route("/account/meters/<int:meter_id>", methods=["GET", "POST"])
@customer_required
def details(meter_id: int) -> ResponseReturnValue:
    meter = _own(meter_id)
    form = ReadingForm()
    form.note.choices = [("", _("It is not lower"))] + [(n.value, _(labels.NOTE_LABELS[n])) for n in ReadingNote]
    to_confirm: list[int] = []
    win = services.window(settings().cabinet, utcnow().date())
    if form.submitted():
        db = db_session()
        values = {zone: getattr(form, f"zone_{zone}").data for zone in services.zones_of(meter)}
        note = ReadingNote(form.note.data) if form.note.data in set(ReadingNote) else None
        try:
            outcome = services.submit_readings(
                db, settings(), meter, values, note=note, confirmed=form.step.data == "confirm" and form.confirmed.data
            )
        except Invalid as exc:
            db.rollback()
            show_problems(form, exc.problems)
        else:
            if outcome.to_confirm:
                to_confirm = outcome.to_confirm
                form.step.data = "confirm"
            else:
                db.commit()
                if outcome.awaiting_check:
                    flash(_("Your readings are received; staff will check them before they count."), "success")
                else:
                    flash(_("Your readings are counted."), "success")
                return redirect(url_for(".details", meter_id=meter.id))
    return page(
        "meters/details.html",
        meter=meter,
        form=form,
        ask_form=AskForm(),
        window=win,
        to_confirm=to_confirm,
        zone_fields=[getattr(form, f"zone_{zone}") for zone in services.zones_of(meter)],
        history=list(reversed(meter.readings)),
        chart=chart(services.periods(meter)),
        related=services.requests_of(db_session(), meter),
        type_labels=labels.TYPE_LABELS,
        status_labels=labels.STATUS_LABELS,
        note_labels=labels.NOTE_LABELS,
        kind_labels=KIND_LABELS,
        state_labels=STATE_LABELS,
        asks=[(k.value, KIND_LABELS[k]) for k in services.METER_REQUESTS],
    )


@bp.route("/account/meters/<int:meter_id>/ask", methods=["POST"])
@customer_required
def ask(meter_id: int) -> ResponseReturnValue:
    meter = _own(meter_id)
    form = AskForm()
    if not form.submitted() or form.kind.data not in {k.value for k in services.METER_REQUESTS}:
        abort(400)
    db = db_session()
    try:
        req = services.ask(db, settings(), meter, RequestKind(form.kind.data), form.text.data or "")
    except Invalid as exc:
        db.rollback()
        for problem in exc.problems:
            flash(problem.text(), "error")
        return redirect(url_for(".details", meter_id=meter.id))
    db.commit()
    flash(_("Sent. Your number is %(number)s; we answer here and by email.", number=req.number), "success")
    return redirect(url_for("requests.details", request_id=req.id))


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal
    x: int
    y: int
    height: int


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    peak: Decimal


BAR, GAP, HEIGHT, TOP = 40, 12, 160, 20


def chart(periods: list[tuple[object, Decimal]]) -> Chart | None:
    """The consumption per period as bars of an inline SVG (no script); the page shows the same in a table."""
    if not periods:
        return None
    peak = max(value for _day, value in periods) or Decimal(1)
    bars = []
    for index, (day, value) in enumerate(periods[-12:]):
        height = int(HEIGHT * value / peak)
        bars.append(Bar(str(day), value, GAP + index * (BAR + GAP), TOP + HEIGHT - height, height))
    return Chart(GAP + len(bars) * (BAR + GAP), HEIGHT + TOP + 30, bars, peak)


def _own(meter_id: int) -> Meter:
    account = _account()
    if "meters" not in sections_on(account):
        abort(404)
    meter = services.own(db_session(), account.id, meter_id)
    if meter is None:
        abort(404)
    return meter


def _account() -> CustomerAccount:
    account = db_session().get(CustomerAccount, current_user.account_id)
    assert account is not None
    if "meters" not in sections_on(account):
        abort(404)
    return account
