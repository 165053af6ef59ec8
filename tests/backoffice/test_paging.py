"""Keyset paging: every row on exactly one page, in order, whatever the key; a tampered cursor starts over."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.actors import Actor
from backoffice.audit.models import AuditEvent
from backoffice.audit.trail import record
from backoffice.paging import Keyset
from backoffice.types import utcnow


def _walk(session: Session, keyset: Keyset, size: int) -> list[int]:
    seen: list[int] = []
    cursor = ""
    while True:
        page = keyset.page(session, select(AuditEvent).where(AuditEvent.subject_type == "paging"), cursor, size)
        seen += [event.id for event in page.rows]
        if page.next_after is None:
            return seen
        cursor = page.next_after


def test_pages_cover_every_row_once_by_id_and_by_moment_then_id(session: Session) -> None:
    start = utcnow()
    for n in range(7):
        event = record(session, Actor.system("test"), "paging", n, "edit")
        event.occurred_at = start - timedelta(minutes=n // 2)  # pairs share a moment: the id decides
    session.flush()
    by_id = _walk(session, Keyset((AuditEvent.id,)), 3)
    assert by_id == sorted(by_id, reverse=True) and len(by_id) == 7
    by_moment = _walk(session, Keyset((AuditEvent.occurred_at, AuditEvent.id)), 2)
    assert sorted(by_moment) == sorted(by_id) and len(set(by_moment)) == 7
    oldest_first = _walk(session, Keyset((AuditEvent.id,), descending=False), 4)
    assert oldest_first == sorted(by_id)


def test_a_tampered_cursor_reads_the_first_page(session: Session) -> None:
    keyset = Keyset((AuditEvent.occurred_at, AuditEvent.id))
    for bad in ("", "not-base64!", "WzFd", "WyJ4IiwxXQ"):  # [1] (too short), ["x",1] (not a moment)
        assert keyset.after(bad) is None
