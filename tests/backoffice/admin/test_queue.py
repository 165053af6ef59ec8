"""The work queue: my work, filters, search, keyset pages, claiming, CSV."""

from __future__ import annotations

import csv
import gc
import io
import re
import threading
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import event, select

from backoffice.actors import Actor
from backoffice.admin import display, queue
from backoffice.applications.models import Application
from backoffice.audit.models import AuditEvent
from backoffice.staff.models import ServiceCenter
from tests.backoffice.admin.conftest import Staff, log_in, post
from workflows.accession import STATE_LABELS, WAITING_FOR_STAFF
from workflows.accession import AccessionState as S


def _numbers(page: str) -> set[str]:
    return set(re.findall(r'data-number="([^"]+)"', page))


def test_my_work_is_mine_and_my_centers_unassigned(make, session, staff: Staff, login):
    mine = make.application(S.AWAITING_SIGNATURE_CHECK, center=staff.center_a)
    colleagues = make.application(S.AWAITING_SIGNATURE_CHECK, center=staff.center_a)
    done = make.application(S.COMPLETED, center=staff.center_a)
    other_center = make.application(S.RECEIVED, center=staff.center_b)
    session.flush()
    mine.assignee_id, colleagues.assignee_id = staff.operator_a.id, staff.operator_a2.id
    unassigned = make.application(S.RECEIVED, center=staff.center_a)
    session.commit()
    client = login(staff.operator_a)
    page = client.get("/admin/applications/").get_data(as_text=True)
    assert _numbers(page) == {mine.number, unassigned.number}
    everything = client.get("/admin/applications/?scope=all").get_data(as_text=True)
    assert _numbers(everything) == {mine.number, colleagues.number, done.number, unassigned.number}
    assert other_center.number not in everything
    assert other_center.number in login(staff.supervisor).get("/admin/applications/?scope=all").get_data(as_text=True)


def test_a_queue_page_lets_go_of_its_rows_once_it_is_sent(make, session, staff: Staff, login):
    """A worker serves the queue all day: a page's fifty rows and their hundreds of formatted strings are freed as
    soon as it is rendered, not kept until the garbage collector comes by (the template's context, which holds
    them, lives on in a reference cycle of Jinja's)."""
    for _ in range(3):
        make.application(S.RECEIVED, center=staff.center_a)
    session.commit()
    client = login(staff.operator_a)
    assert len(_numbers(client.get("/admin/applications/").get_data(as_text=True))) == 3
    gc.collect()
    gc.disable()
    try:
        page = client.get("/admin/applications/").get_data(as_text=True)
        kept = [o for o in gc.get_objects() if isinstance(o, (display.QueueLine, queue.QueueRow))]
    finally:
        gc.enable()
    assert len(_numbers(page)) == 3
    assert kept == []


def test_search_by_identifier_number_name_email_and_phone(make, session, staff: Staff, login):
    target = make.application(
        S.RECEIVED, center=staff.center_a, consumer_name="ТОВ «Агрофірма Степова»",
        email="office@stepova.example.com", phones="067 555 44 33",
    )
    make.application(S.RECEIVED, center=staff.center_a)
    session.commit()
    client = login(staff.operator_a)
    for q in (target.identifier, target.number, "степова", "STEPOVA.example", "+380675554433", "067 555 44 33"):
        page = client.get("/admin/applications/", query_string={"q": q, "scope": "all"}).get_data(as_text=True)
        assert _numbers(page) == {target.number}, q


def test_filters_and_sorting(make, session, staff: Staff, login):
    waiting = make.application(S.AWAITING_SIGNATURE_CHECK, center=staff.center_a)
    issued = make.application(S.CODE_ISSUED, center=staff.center_a)
    session.commit()
    client = login(staff.operator_a)
    page = client.get("/admin/applications/?scope=all&state=code_issued").get_data(as_text=True)
    assert _numbers(page) == {issued.number}
    page = client.get("/admin/applications/?scope=all&channel=service_center").get_data(as_text=True)
    assert _numbers(page) == set()
    page = client.get("/admin/applications/?scope=all&sort=number&dir=desc").get_data(as_text=True)
    assert page.index(issued.number) < page.index(waiting.number)


def test_overdue_applications_are_highlighted_and_filterable(make, session, staff: Staff, login):
    from datetime import timedelta

    late = make.application(S.AWAITING_SIGNATURE_CHECK, center=staff.center_a)
    fresh = make.application(S.AWAITING_SIGNATURE_CHECK, center=staff.center_a)
    session.flush()
    late.due_at = late.received_at - timedelta(hours=1)
    session.commit()
    client = login(staff.operator_a)
    page = client.get("/admin/applications/?overdue=1").get_data(as_text=True)
    assert _numbers(page) == {late.number}
    assert "overdue" in page and fresh.number not in page


def test_keyset_pages_cover_every_row_once_without_count(make, session, staff: Staff, db):
    apps = [make.application(S.RECEIVED, center=staff.center_a) for _ in range(5)]
    session.commit()
    actor = Actor.of(staff.operator_a)
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        seen, f = [], queue.QueueFilters()
        while True:
            with db.sessions() as s:
                page = queue.page(s, actor, f, size=2)
            seen += [r.number for r in page.rows]
            if page.next_after is None:
                break
            f = queue.QueueFilters.from_args({"after": page.next_after})
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert sorted(seen) == sorted(a.number for a in apps)
    assert not [s for s in statements if "count(" in s.lower()]
    # A fixed number of queries per page (rows, centers, assignees), whatever the page holds.
    assert len(statements) <= 3 * 3


@pytest.mark.committed  # counts the statements of a request as production sends them, without savepoints
def test_the_page_costs_the_same_queries_for_5_or_50_rows(make, session, staff: Staff, login, db):
    client = login(staff.operator_a)

    def queries() -> int:
        statements: list[str] = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get("/admin/applications/?scope=all").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    for _ in range(2):
        make.application(S.RECEIVED, center=staff.center_a).assignee_id = staff.operator_a.id
    session.commit()
    few = queries()
    for _ in range(6):
        make.application(S.RECEIVED, center=staff.center_a).assignee_id = staff.operator_a2.id
    session.commit()
    assert queries() == few


@pytest.mark.committed  # two threads, each on a connection of its own, race
def test_two_operators_claiming_at_once_one_gets_it(make, session, staff: Staff, app: Flask):
    target = make.application(S.AWAITING_SIGNATURE_CHECK, center=staff.center_a)
    session.commit()
    clients = [log_in(app.test_client(), op.login) for op in (staff.operator_a, staff.operator_a2)]
    tokens = [post.__globals__["csrf_token"](c, "/admin/applications/") for c in clients]
    barrier = threading.Barrier(2)
    pages: list[str] = []

    def claim(client, token) -> None:
        barrier.wait()
        response = client.post(f"/admin/applications/{target.number}/claim", data={"csrf_token": token})
        pages.append(client.get(response.location).get_data(as_text=True))

    threads = [threading.Thread(target=claim, args=pair) for pair in zip(clients, tokens, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    session.expire_all()
    winner = session.get(Application, target.id).assignee_id
    assert winner in {staff.operator_a.id, staff.operator_a2.id}
    claims = session.scalars(select(AuditEvent).where(AuditEvent.action == "claim")).all()
    assert len(claims) == 1
    assert sum("is yours now" in p for p in pages) == 1
    assert sum("has already taken this application" in p for p in pages) == 1


def test_release_gives_it_back_to_the_center(make, session, staff: Staff, login):
    target = make.application(S.RECEIVED, center=staff.center_a)
    session.commit()
    client = login(staff.operator_a)
    post(client, f"/admin/applications/{target.number}/claim")
    other = login(staff.operator_a2)
    post(other, f"/admin/applications/{target.number}/release")
    session.expire_all()
    assert session.get(Application, target.id).assignee_id == staff.operator_a.id
    post(client, f"/admin/applications/{target.number}/release")
    session.expire_all()
    assert session.get(Application, target.id).assignee_id is None


def test_csv_export_has_the_filtered_rows_as_plain_values(make, session, staff: Staff, login):
    risky = make.application(S.RECEIVED, center=staff.center_a, consumer_name="=HYPERLINK(\"x\")")
    make.application(S.CODE_ISSUED, center=staff.center_a)
    session.commit()
    client = login(staff.operator_a)
    # A streamed response holds its request (and database session) until it is closed, as a server does.
    with client.get("/admin/applications/export.csv?scope=all&state=received") as response:
        assert response.mimetype == "text/csv"
        body = response.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body)))
    assert len(rows) == 2 and rows[1][0] == risky.number
    assert rows[1][2] == "'=HYPERLINK(\"x\")"
    assert "<" not in body


def test_the_queue_speaks_ukrainian_by_default_and_russian_or_english_on_request(staff: Staff, app: Flask):
    client = app.test_client()
    log_in(client, staff.operator_a.login)
    with client.session_transaction() as s:
        s.pop("lang", None)  # as a browser that never chose: the site's default
    ukrainian = client.get("/admin/applications/").get_data(as_text=True)
    assert "Мої заяви" in ukrainian or "Моя робота" in ukrainian
    russian = client.get("/admin/applications/?lang=ru").get_data(as_text=True)
    assert "Мои заявки" in russian
    english = client.get("/admin/applications/?lang=en").get_data(as_text=True)
    assert "My work" in english


def test_pages_of_the_same_shape_never_share_values(make, session, staff: Staff, login):
    # One compiled statement serves every operator's "my work"; each must still get only their own rows.
    here = make.application(S.RECEIVED, center=staff.center_a)
    there = make.application(S.RECEIVED, center=staff.center_b)
    session.commit()
    a, b = login(staff.operator_a), login(staff.operator_b)
    for _ in range(2):
        assert _numbers(a.get("/admin/applications/").get_data(as_text=True)) == {here.number}
        assert _numbers(b.get("/admin/applications/").get_data(as_text=True)) == {there.number}
    # The same with a search and with a filter: values change, the shape does not.
    for target, client in ((here, a), (there, b)):
        page = client.get("/admin/applications/", query_string={"scope": "all", "q": target.identifier})
        assert _numbers(page.get_data(as_text=True)) == {target.number}
        page = client.get("/admin/applications/", query_string={"scope": "all", "state": "received"})
        assert _numbers(page.get_data(as_text=True)) == {target.number}


def test_supervisor_my_work_is_mine_plus_everything_unassigned(make, session, staff: Staff, login):
    mine = make.application(S.AWAITING_CONFIRMATION_CALL, center=staff.center_b)
    taken = make.application(S.AWAITING_CONFIRMATION_CALL, center=staff.center_a)
    free_a = make.application(S.RECEIVED, center=staff.center_a)
    free_b = make.application(S.CONFIRMED, center=staff.center_b)
    make.application(S.COMPLETED, center=staff.center_a)
    session.flush()
    mine.assignee_id, taken.assignee_id = staff.supervisor.id, staff.operator_a.id
    session.commit()
    page = login(staff.supervisor).get("/admin/applications/").get_data(as_text=True)
    assert _numbers(page) == {mine.number, free_a.number, free_b.number}
    # In deadline order across both halves of "my work".
    order = sorted((mine, free_a, free_b), key=lambda a: (a.due_at, a.id))
    assert [page.index(a.number) for a in order] == sorted(page.index(a.number) for a in order)


def test_my_work_pages_through_both_halves_without_gaps(make, session, staff: Staff, db):
    from datetime import timedelta

    apps = [make.application(S.RECEIVED, center=staff.center_a) for _ in range(7)]
    session.flush()
    for i, application in enumerate(apps):
        application.due_at = application.received_at + timedelta(hours=i)
        if i % 2:
            application.assignee_id = staff.operator_a.id
    session.commit()
    actor = Actor.of(staff.operator_a)
    seen, f = [], queue.QueueFilters()
    while True:
        with db.sessions() as s:
            page = queue.page(s, actor, f, size=3)
        seen += [r.number for r in page.rows]
        if page.next_after is None:
            break
        f = queue.QueueFilters.from_args({"after": page.next_after})
    assert seen == [a.number for a in apps]


@pytest.mark.committed  # explains the query on a connection of its own
@pytest.mark.postgres
def test_my_work_reads_its_rows_from_the_partial_indexes(make, session, staff: Staff, db):
    # With a backlog of finished applications, "my work" must not sort every waiting application of the center:
    # the plan walks the small partial indexes (migration 0008) and stops after a page.
    from sqlalchemy import text

    for _ in range(30):
        make.application(S.RECEIVED, center=staff.center_a)
    session.commit()
    actor = Actor.of(staff.operator_a)
    shape, params = queue._plan(actor, queue.QueueFilters(), queue.utcnow(), "postgresql", queue.PAGE_SIZE)
    sql = queue._statement(shape).compile(db.engine, compile_kwargs={"render_postcompile": True})
    with db.engine.connect() as conn:
        conn.execute(text("SET LOCAL enable_seqscan = off"))  # a tiny test table would otherwise be scanned
        explained = conn.exec_driver_sql("EXPLAIN " + sql.string, sql.construct_params(params))
        plan = "\n".join(row[0] for row in explained)
    # Every part (mine; unassigned at my center; unassigned in the unrouted pool), each from a partial index over
    # the waiting states (which one the planner picks for the unassigned parts depends on the table's statistics).
    assert "using ix_application_waiting_assignee" in plan, plan
    assert plan.count("using ix_application_waiting_") == 3, plan  # mine, my center's, the unrouted pool's


def test_what_customers_and_staff_typed_is_shown_as_text_never_as_markup(make, session, staff: Staff, login):
    """The queue's rows are escaped once in Python and placed as they are: a name with HTML in it is text."""
    hostile = '<img src=x onerror="alert(1)">ТОВ «Б&Б»'
    app = make.application(S.RECEIVED, center=staff.center_a, consumer_name=hostile)
    session.flush()
    app.assignee_id = staff.operator_a2.id
    staff.operator_a2.full_name = "<b>Оператор</b>"
    session.commit()
    page = login(staff.operator_a).get("/admin/applications/?scope=all").get_data(as_text=True)
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;ТОВ «Б&amp;Б»" in page
    assert "&lt;b&gt;Оператор&lt;/b&gt;" in page
    assert "<img src=x" not in page and "<b>Оператор" not in page


def test_every_text_of_a_queue_line_is_escaped_html(make, session, staff: Staff, app: Flask):
    from markupsafe import Markup

    from backoffice.admin import display
    from backoffice.admin.applications import _words_in
    from workflows.accession import WAITING_FOR_STAFF

    make.application(S.RECEIVED, center=staff.center_a, consumer_name="A < B")
    session.commit()
    with app.test_request_context("/admin/applications/"):
        page = queue.page(session, Actor.of(staff.operator_a), queue.QueueFilters(scope="all"))
        lines = display.queue_lines(page.rows, _words_in("uk"), page.now, WAITING_FOR_STAFF)
    assert lines
    for line in lines:
        for name, value in line._asdict().items():
            assert isinstance(value, bool | Markup), (name, type(value))
    assert lines[0].customer == "A &lt; B"


def test_a_center_an_administrator_adds_or_renames_is_in_the_supervisors_filter_at_once(
    session, staff: Staff, login
):
    supervisor = login(staff.supervisor)
    assert "ЦОС Знам'янка" not in supervisor.get("/admin/applications/?scope=all").get_data(as_text=True)
    admin = login(staff.admin)
    post(admin, "/admin/centers/", {"code": "zn", "name": "ЦОС Знам'янка"})
    page = supervisor.get("/admin/applications/?scope=all").get_data(as_text=True)
    assert ">ЦОС Знам&#39;янка</option>" in page

    center = session.scalars(select(ServiceCenter).where(ServiceCenter.code == "ZN")).one()
    post(admin, "/admin/centers/", {"center_id": center.id, "name": "ЦОС Олександрія-2"})
    page = supervisor.get("/admin/applications/?scope=all").get_data(as_text=True)
    assert ">ЦОС Олександрія-2</option>" in page and "Знам" not in page


def test_the_queue_opens_after_a_quiet_moment(make, session, staff: Staff, login, monkeypatch):
    """An operator back from a break: the pool tries the idle connection first, and the queue (a read-only
    page) and then an application's page must both work on the connection so tried."""
    from backoffice import database

    waiting = make.application(S.RECEIVED, center=staff.center_a)
    session.commit()
    client = login(staff.operator_a)
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)  # as if every connection had sat idle
    for _ in range(2):
        response = client.get("/admin/applications/")
        assert response.status_code == 200
        assert _numbers(response.get_data(as_text=True)) == {waiting.number}
    assert client.get(f"/admin/applications/{waiting.number}").status_code == 200


def test_queue_rows_come_back_named_with_values_that_look_up_as_members(make, session, staff: Staff):
    """Rows come as QueueRows: their fields must be the statement's columns, and the stored values of offer,
    channel and state must find what the tables keyed by the enum members hold."""
    from backoffice.applications.labels import CHANNEL_LABELS

    app = make.application(S.AWAITING_SIGNATURE_CHECK, center=staff.center_a)
    session.commit()
    rows = queue.page(session, Actor.of(staff.supervisor), queue.QueueFilters.from_args({"scope": "all"})).rows
    assert [type(r) for r in rows] == [queue.QueueRow]
    first = rows[0]
    assert (first.number, first.state, first.center) == (app.number, "awaiting_signature_check", staff.center_a.name)
    assert STATE_LABELS[first.state] == STATE_LABELS[S.AWAITING_SIGNATURE_CHECK]
    assert CHANNEL_LABELS[first.channel] == CHANNEL_LABELS[app.channel]
    assert first.state in WAITING_FOR_STAFF and first.overdue(first.due_at + timedelta(seconds=1))


def test_several_states_at_once_are_one_expanding_parameter_of_the_queues_statement(
    make, session, staff: Staff, login
):
    """A filter on a list of states is an ordinary ``in_(bindparam(..., expanding=True))``, run by SQLAlchemy as
    any statement is: the same statement serves lists of any length, on SQLite and on PostgreSQL alike."""
    received = make.application(S.RECEIVED, center=staff.center_a)
    call = make.application(S.AWAITING_CONFIRMATION_CALL, center=staff.center_a)
    make.application(S.COMPLETED, center=staff.center_a)
    session.commit()
    supervisor = Actor.of(staff.supervisor)
    both = queue.QueueFilters(scope="all", states=(S.RECEIVED, S.AWAITING_CONFIRMATION_CALL))
    assert {r.number for r in queue.page(session, supervisor, both).rows} == {received.number, call.number}
    one = queue.QueueFilters(scope="all", states=(S.RECEIVED,))
    assert [r.number for r in queue.page(session, supervisor, one).rows] == [received.number]
    three = queue.QueueFilters(scope="all", states=(S.RECEIVED, S.CONFIRMED, S.AWAITING_CONFIRMATION_CALL))
    assert {r.number for r in queue.page(session, supervisor, three).rows} == {received.number, call.number}
    assert queue._plan(supervisor, both, queue.utcnow(), "sqlite", 50)[0] == queue._plan(
        supervisor, three, queue.utcnow(), "sqlite", 50
    )[0]  # one shape, so one statement object for lists of any length (one state alone is a plain comparison)
    assert [r.number for r in queue.page(session, supervisor, queue.QueueFilters(scope="all", states=())).rows]

    page = login(staff.supervisor).get(
        "/admin/applications/", query_string=[("scope", "all"), ("state", "received"), ("state", "confirmed"),
                                             ("state", "awaiting_confirmation_call"), ("state", "no-such-state")]
    )
    assert page.status_code == 200
    assert _numbers(page.get_data(as_text=True)) == {received.number, call.number}
    chosen = re.findall(r'<option value="([a-z_]+)" selected>', page.get_data(as_text=True))
    assert chosen == ["received", "awaiting_confirmation_call", "confirmed"]  # in the list's order


def test_the_same_customer_mark_follows_the_duplicates_rule(make, session, staff: Staff, login):
    """The queue asks for the "same customer" badge in its page's statement; it must agree with
    ``duplicates.find``, which the application's page uses: another application open or completed marks a row,
    rejected or withdrawn ones do not, nor does an empty identifier."""
    from backoffice.applications import duplicates

    twice = [make.application(S.RECEIVED, center=staff.center_a) for _ in range(2)]
    registered, completed = make.application(S.RECEIVED, center=staff.center_a), make.application(S.COMPLETED)
    gone, rejected, withdrawn = (
        make.application(state, center=staff.center_a) for state in (S.RECEIVED, S.REJECTED, S.WITHDRAWN)
    )
    alone = make.application(S.RECEIVED, center=staff.center_a)
    blank = [make.application(S.RECEIVED, center=staff.center_a) for _ in range(2)]
    twice[1].identifier = twice[0].identifier
    completed.identifier = registered.identifier
    rejected.identifier = withdrawn.identifier = gone.identifier
    blank[0].identifier = blank[1].identifier = ""
    session.commit()
    page = login(staff.operator_a).get("/admin/applications/").get_data(as_text=True)
    marked = set(re.findall(r'data-testid="same-customer-([^"]+)"', page))
    assert marked == {twice[0].number, twice[1].number, registered.number}
    shown = (*twice, registered, gone, alone, *blank)
    found = duplicates.find(session, [(a.id, a.identifier) for a in shown])
    assert marked == {a.number for a in shown if a.id in found}
    assert all(a.number in page for a in shown)
