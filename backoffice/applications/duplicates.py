"""Another application from the same customer: the operator is warned before working a second one.

A company that emails its application twice, or writes again while the first is open, must not end up with two
applications (and two registration codes); one whose earlier application was completed already has a login and
only needs to log in. The warning is shown on the application's page and in the queue, for a page's rows in one
query; :func:`merge` folds a duplicate into the open application.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.applications.models import Application
from workflows.accession import AccessionState

CLOSED = frozenset({AccessionState.COMPLETED, AccessionState.REJECTED, AccessionState.WITHDRAWN})


@dataclass(frozen=True)
class Duplicates:
    #: Numbers of the other applications with the same identifier that are still open.
    open_numbers: tuple[str, ...] = ()
    #: An application with this identifier was completed: the customer has a login already.
    registered: bool = False

    def __bool__(self) -> bool:
        return bool(self.open_numbers) or self.registered


def find(session: Session, apps: Iterable[tuple[int, str]]) -> dict[int, Duplicates]:
    """For each (application id, identifier), what else exists for that identifier (only ids with something)."""
    wanted = {app_id: identifier for app_id, identifier in apps if identifier}
    if not wanted:
        return {}
    others = session.execute(
        select(Application.id, Application.number, Application.identifier, Application.state).where(
            Application.identifier.in_(set(wanted.values()))
        )
    ).all()
    by_identifier: dict[str, list[tuple[int, str, AccessionState]]] = defaultdict(list)
    for other_id, number, identifier, state in others:
        by_identifier[identifier].append((other_id, number, AccessionState(state)))
    found = {}
    for app_id, identifier in wanted.items():
        rows = [row for row in by_identifier[identifier] if row[0] != app_id]
        result = Duplicates(
            open_numbers=tuple(sorted(number for _id, number, state in rows if state not in CLOSED)),
            registered=any(state == AccessionState.COMPLETED for _id, _number, state in rows),
        )
        if result:
            found[app_id] = result
    return found
