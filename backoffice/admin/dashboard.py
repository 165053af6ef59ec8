"""The supervisors' dashboard: where the work stands, what is late and where, and how long customers wait.

Every figure is one aggregate query (GROUP BY in the database), so the page costs the same at a hundred or a
million applications; the chart is drawn here as SVG, so the page needs no script.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask_admin import expose
from markupsafe import Markup, escape
from sqlalchemy import Date, and_, case, cast, func, select
from sqlalchemy.orm import Session

from backoffice.admin.base import SupervisorView
from backoffice.applications.models import Application
from backoffice.audit.models import AuditEvent
from backoffice.staff.models import ServiceCenter
from backoffice.types import utcnow
from backoffice.web import db_session
from backoffice.web.throttle import ALERT_ACTION
from workflows.accession import STATE_LABELS, WAITING_FOR_STAFF, AccessionState
from workflows.i18n import N_

DAYS = 30
#: How far back the dashboard lists alerts about guessing (a ceiling of wrong tries reached).
ALERT_DAYS = 7
AGE_BUCKETS = ((1, N_("under 1 day")), (2, N_("1–2 days")), (7, N_("2–7 days")), (None, N_("over 7 days")))


@dataclass
class Dashboard:
    counts: list[tuple[AccessionState, int]]
    ageing: list[tuple[str, int]]
    overdue: list[tuple[str, int, int]]
    per_day: list[tuple[date, int]]
    median_to_login: timedelta | None
    completed_sample: int
    #: Identifiers, customer logins and staff logins whose wrong tries reached the ceiling (web.throttle).
    alerts: list[AuditEvent]


def gather(session: Session, now: datetime | None = None) -> Dashboard:
    now = now or utcnow()
    waiting = Application.state.in_(sorted(WAITING_FOR_STAFF))
    counts = dict(session.execute(select(Application.state, func.count()).group_by(Application.state)).all())

    age_case = case(
        *[
            (Application.received_at > now - timedelta(days=limit), index)
            for index, (limit, _label) in enumerate(AGE_BUCKETS)
            if limit is not None
        ],
        else_=len(AGE_BUCKETS) - 1,
    )
    ages = dict(session.execute(select(age_case, func.count()).where(waiting).group_by(age_case)).all())

    late = func.sum(case((Application.due_at < now, 1), else_=0))
    by_center = session.execute(
        select(ServiceCenter.name, late, func.count())
        .select_from(Application)
        .outerjoin(ServiceCenter, ServiceCenter.id == Application.center_id)
        .where(waiting)
        .group_by(ServiceCenter.name)
        .order_by(late.desc())
    ).all()

    since = now - timedelta(days=DAYS - 1)
    since = since.replace(hour=0, minute=0, second=0, microsecond=0)
    day = _day(session)
    per_day_rows = dict(
        session.execute(
            select(day, func.count()).where(Application.received_at >= since).group_by(day)
        ).all()
    )
    per_day = []
    for i in range(DAYS):
        d = (since + timedelta(days=i)).date()
        per_day.append((d, int(per_day_rows.get(d, per_day_rows.get(d.isoformat(), 0)))))

    # Arrival to login: the customer's "complete" step, over the last 90 days of completions.
    rows = session.execute(
        select(Application.received_at, AuditEvent.occurred_at)
        .join(AuditEvent, and_(AuditEvent.subject_type == "application", AuditEvent.subject_id == Application.id))
        .where(AuditEvent.action == "complete", AuditEvent.occurred_at >= now - timedelta(days=90))
        .limit(100_000)
    ).all()
    durations = [(done - received).total_seconds() for received, done in rows if done and received]
    median = timedelta(seconds=statistics.median(durations)) if durations else None
    alerts = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == ALERT_ACTION, AuditEvent.occurred_at >= now - timedelta(days=ALERT_DAYS))
        .order_by(AuditEvent.id.desc())
        .limit(50)
    ).all()
    return Dashboard(
        counts=[(s, int(counts.get(s, 0))) for s in STATE_LABELS],
        ageing=[(label, int(ages.get(i, 0))) for i, (_limit, label) in enumerate(AGE_BUCKETS)],
        overdue=[(name or "—", int(n_late or 0), int(total)) for name, n_late, total in by_center],
        per_day=per_day,
        median_to_login=median,
        completed_sample=len(durations),
        alerts=list(alerts),
    )


def _day(session: Session) -> Any:
    if session.get_bind().dialect.name == "sqlite":
        return func.date(Application.received_at)
    return cast(func.timezone("UTC", Application.received_at), Date)


def bar_chart(series: list[tuple[date, int]], *, title: str, width: int = 720, height: int = 200) -> Markup:
    """Applications per day as an SVG bar chart (no script, readable by screen readers through <title>s)."""
    top = max((n for _d, n in series), default=0) or 1
    left, bottom, inner_h = 30, 20, height - 30
    step = (width - left) / max(len(series), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<text x="0" y="12">{top}</text><text x="0" y="{height - bottom}">0</text>',
    ]
    for i, (day, count) in enumerate(series):
        h = inner_h * count / top
        x = left + i * step
        y = height - bottom - h
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{max(step - 2, 1):.1f}" height="{h:.1f}">'
            f"<title>{day.isoformat()}: {count}</title></rect>"
        )
        if i % 5 == 0:
            parts.append(f'<text x="{x:.1f}" y="{height - 5}">{day.strftime("%d.%m")}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - built from numbers and escaped text only


class DashboardView(SupervisorView):
    @expose("/")
    def index(self) -> Any:
        from flask_babel import gettext as _

        data = gather(db_session())
        return self.render(
            "admin/dashboard.html",
            data=data,
            labels=STATE_LABELS,
            chart=bar_chart(data.per_day, title=_("Applications per day, last %(days)d days", days=DAYS)),
            days=DAYS,
            alert_kinds={
                "company": _("Registration codes of EDRPOU/RNOKPP"),
                "customer-login": _("Customer login"),
                "staff-login": _("Staff login"),
            },
        )
