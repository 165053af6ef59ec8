"""The cabinet's sections (seed 001): which exist, and the rule that shows a section only when it has content.

The profile is always there. Each other section (services, meters, connection applications, appeals and
complaints, requests, documents) registers itself here, where the deployment turns it on, with the page that shows
it and a count of the person's items; the cabinet lists it only when it has a page and at least one item ("Данные
разделы доступны только в случае если у потребителя имеется хотя бы одна поданная заявка"), except the services
and the meters, which are always there. A section no feature provided has no page and is never shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from backoffice.customers.models import CustomerAccount
from workflows.i18n import N_

Count = Callable[[Session, CustomerAccount], int]


def _none(_session: Session, _account: CustomerAccount) -> int:
    return 0


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    #: The Flask endpoint of the section's page; None while the section is not built.
    endpoint: str | None = None
    #: How many items the person has in it (applications, appeals, ...).
    count: Count = _none
    #: Shown even when empty (the profile).
    always: bool = False


SECTIONS: dict[str, Section] = {
    s.key: s
    for s in (
        Section("services", N_("Interactive services")),
        Section("profile", N_("User profile"), "customers.cabinet", always=True),
        Section("meters", N_("Meters")),
        Section("connection_applications", N_("Applications for connection")),
        Section("appeals", N_("Appeals and complaints")),
        Section("requests", N_("Requests")),
        Section("documents", N_("Documents")),
    )
}


def provide(key: str, *, endpoint: str, count: Count, always: bool = False) -> None:
    """A later feature gives a declared section its page and its count (call it where that feature starts)."""
    if key not in SECTIONS:
        raise KeyError(f"no cabinet section {key!r}; declared: {', '.join(SECTIONS)}")
    SECTIONS[key] = replace(SECTIONS[key], endpoint=endpoint, count=count, always=always)


@dataclass(frozen=True)
class Shown:
    key: str
    title: str
    endpoint: str
    count: int


def visible(session: Session, account: CustomerAccount) -> list[Shown]:
    """The sections this person sees, in the document's order."""
    out = []
    for section in SECTIONS.values():
        if section.endpoint is None:
            continue
        count = section.count(session, account)
        if section.always or count > 0:
            out.append(Shown(section.key, section.title, section.endpoint, count))
    return out
