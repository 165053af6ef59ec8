"""Deny-by-default bases for every back-office view."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, TypeVar

from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import AdminIndexView, BaseView, expose
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backoffice.actors import Actor
from backoffice.applications.models import Application
from backoffice.errors import BackofficeError, Forbidden
from backoffice.settings import Settings
from backoffice.web import db_session
from workflows.accession import STATE_LABELS
from workflows.engine import GuardFailed, IllegalTransition, ReasonRequired, RoleNotAllowed, WorkflowError
from workflows.roles import Role

T = TypeVar("T")


def current_actor() -> Actor:
    return current_user.actor  # type: ignore[no-any-return]


class StaffOnly:
    """Mixin: nobody gets in without a staff login and one of ``roles``."""

    roles: frozenset[Role] = frozenset({Role.OPERATOR, Role.SUPERVISOR})

    def is_accessible(self) -> bool:
        return bool(
            current_user.is_authenticated
            and getattr(current_user, "is_staff", False)
            and current_user.role in self.roles
        )

    def is_visible(self) -> bool:
        # The menu shows only what this user may open; the server checks again on every request.
        return self.is_accessible()

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)


class StaffIndexView(StaffOnly, AdminIndexView):
    roles = frozenset({Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN})

    @expose("/")
    def index(self) -> Any:
        if current_user.role in {Role.OPERATOR, Role.SUPERVISOR}:
            return redirect(url_for("applications.index"))
        counts = dict(
            db_session().execute(select(Application.state, func.count()).group_by(Application.state)).all()
        )
        rows = [(state, label, counts.get(state, 0)) for state, label in STATE_LABELS.items()]
        # A state links to its list only where this role may open the list: an administrator reads the counts.
        lists = next((v for v in self.admin._views if v.endpoint == "applications"), None)
        return self.render("admin/home.html", rows=rows, can_list=bool(lists and lists.is_accessible()))


class StaffView(StaffOnly, BaseView):
    """A plain back-office page (not a model list)."""


class SupervisorView(StaffView):
    roles = frozenset({Role.SUPERVISOR})


class AdministratorView(StaffView):
    roles = frozenset({Role.ADMIN})


def run_action(change: Callable[[Session], str | None], *, back: str, reason_hint: Any, state_hint: Any) -> Any:
    """Run one change of a back-office page in one transaction, tell the user the outcome, and go back to ``back``.

    Every action button of every page goes through here, so an error reads the same everywhere: a refusal that
    is not for this user at all is a 403, any other error of the back office is flashed as its
    ``user_message`` (committed first when the error says the attempt itself is on record), and a refusal of the
    workflow is explained with the page's own two hints (see :func:`workflow_refusal`). ``change`` returns what
    to tell the user on success (nothing: it flashed its own words).
    """
    session = db_session()
    try:
        message = change(session)
        session.commit()
        if message:
            flash(message, "success")
    except (Forbidden, RoleNotAllowed):
        session.rollback()
        abort(403)
    except (BackofficeError, WorkflowError) as exc:
        if isinstance(exc, BackofficeError) and exc.recorded:
            session.commit()  # the attempt stays on record (a call whose code word did not match)
        else:
            session.rollback()
        flash(explain(exc, reason_hint=reason_hint, state_hint=state_hint), "error")
    return redirect(back)


def get_or_404(model: type[T], key: int) -> T:
    """The record a page is about, or a 404 when there is none."""
    row = db_session().get(model, key)
    if row is None:
        abort(404)
    return row


def fire_posted(
    trigger: str,
    buttons: Collection[str],
    fire: Callable[[Session, Settings, str, int | None], object],
    label_of: Callable[[str], str],
    *,
    back: str,
    reason_hint: Any,
    state_hint: Any,
) -> Any:
    """Press one of a page's workflow buttons through :func:`run_action`; a trigger not among ``buttons`` is a 404.

    The button's form carries the reason (cut to 2,000 characters) and the version the page showed: ``fire(session,
    settings, reason, expected_version)`` moves the record, and the user reads "Done: " and the trigger's label.
    """
    if trigger not in buttons:
        abort(404)
    settings: Settings = current_app.config["SETTINGS"]

    def change(session: Session) -> str:
        fire(session, settings, request.form.get("reason", "").strip()[:2000], request.form.get("version", type=int))
        return _("Done: %(action)s.", action=_(label_of(trigger)))

    return run_action(change, back=back, reason_hint=reason_hint, state_hint=state_hint)


def explain(exc: BackofficeError | WorkflowError, *, reason_hint: Any, state_hint: Any) -> str:
    """What staff read when a change was refused: the error's own ``user_message``, or the workflow's refusal."""
    if isinstance(exc, BackofficeError):
        return exc.user_message
    return workflow_refusal(exc, reason_hint=reason_hint, state_hint=state_hint)


def workflow_refusal(exc: WorkflowError, *, reason_hint: Any, state_hint: Any) -> str:
    """What staff read when the workflow refuses an action; the write path changed nothing.

    The two hints are the view's own words (what the reason is used for, which kind of record it is).
    """
    if isinstance(exc, ReasonRequired):
        return str(reason_hint)
    if isinstance(exc, GuardFailed):
        return str(_("Not possible yet: %(why)s", why="; ".join(_(g.message) for g in exc.guards)))
    if isinstance(exc, IllegalTransition):
        return str(state_hint)
    return str(exc)
