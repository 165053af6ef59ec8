"""The audit trail reads as words in the page's language: no code, no untranslated English, real before → after.

Every action the workflows can produce, and every other action the code writes to the trail (found by reading
the source), is written here with every field, coded value, system reason and kind of actor its domain declares,
then read on the application page, the self-registration page and the global audit log in uk, ru and en.
"""

from __future__ import annotations

import ast
import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from backoffice.actors import Actor
from backoffice.admin.history import VOCABULARIES
from backoffice.applications import labels as application_labels
from backoffice.audit.present import SYSTEM_ACTORS, Vocabulary
from backoffice.audit.trail import record
from backoffice.requests import labels as request_labels
from backoffice.selfreg import labels as selfreg_labels
from backoffice.selfreg.models import PersonKind, SelfRegistration
from backoffice.settings import Settings
from tests.backoffice.admin.conftest import Staff
from workflows.accession import ACCESSION
from workflows.accession import AccessionState as S
from workflows.customer_request import CUSTOMER_REQUEST
from workflows.ownership_claim import OWNERSHIP_CLAIM
from workflows.self_registration import SELF_REGISTRATION

ROOT = Path(__file__).resolve().parents[3]
LANGUAGES = ("uk", "ru", "en")
#: The id the rows of the other kinds of record are written under (no such record: its id shows).
OTHERS = 990001
SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
LATIN_WORD = re.compile(r"\b[A-Za-z]{2,}\b")
#: Latin words a Ukrainian or Russian page still shows: the staff's logins (op.a), file names, formats and programs.
KEPT_LATIN = {"super", "op", "PDF", "pdf", "png", "eml", "Outlook", "winmail", "dat", "BinHex"}
#: Actions the code writes through a variable, by the variable's name (a new one must be added here).
WRITTEN_THROUGH = {
    "action": {"change_password", "reset_password", "reading_counted", "reading_refused"},
    "kind": {"code_reminder", "code_expiring"},
    "ALERT_ACTION": {"guessing_alert"},
    "trigger": set(),  # the write path: every workflow trigger, listed from the tables
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Flow B on, so its page is there to read."""
    return settings.replace(flows={"self_registration": True})


def actions_the_code_writes() -> set[str]:
    """Every action passed to ``audit.trail.record`` anywhere in the back office, read from the source."""
    found: set[str] = set()
    for path in (ROOT / "backoffice").rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or len(node.args) < 5:
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if name != "record":
                continue
            action = node.args[4]
            choices = [action.body, action.orelse] if isinstance(action, ast.IfExp) else [action]
            for choice in choices:
                if isinstance(choice, ast.Constant):
                    found.add(choice.value)
                else:
                    variable = ast.unparse(choice)
                    assert variable in WRITTEN_THROUGH, f"{path}: record() with action {variable}: list it here"
                    found |= WRITTEN_THROUGH[variable]
    return found


def actions_of(subject_type: str, vocab: Vocabulary) -> list[str]:
    if subject_type == "application":
        return [row.trigger for row in ACCESSION.table] + list(application_labels.ACTION_LABELS)
    if subject_type == "self_registration":
        return [row.trigger for row in SELF_REGISTRATION.table] + list(selfreg_labels.OTHER_LABELS)
    if subject_type == "registration":
        return ["registration_refused", "guessing_alert"]
    if subject_type == "ownership_claim":
        return [row.trigger for row in OWNERSHIP_CLAIM.table] + list(selfreg_labels.CLAIM_LABELS)
    if subject_type == "customer_request":
        return [row.trigger for row in CUSTOMER_REQUEST.table] + list(request_labels.OTHER_LABELS)
    assert not callable(vocab.actions)
    return list(vocab.actions)


def test_every_action_the_code_writes_has_words() -> None:
    tables = ACCESSION.table + SELF_REGISTRATION.table + OWNERSHIP_CLAIM.table + CUSTOMER_REQUEST.table
    written = actions_the_code_writes() | {row.trigger for row in tables}
    labelled = {a for code, v in VOCABULARIES.items() for a in actions_of(code, v) if v.action(a) != a}
    assert len(written) > 40
    assert not written - labelled, f"actions written to the trail with no words: {sorted(written - labelled)}"


def _actors(staff: Staff) -> Iterator[Actor]:
    while True:
        yield from [Actor.system(label) for label in SYSTEM_ACTORS]
        yield Actor.customer("anonymous 10.0.0.1")
        yield Actor.customer("anonymous")
        yield Actor.customer("12345678")
        yield Actor.of(staff.supervisor)


def _sample(vocab: Vocabulary, name: str) -> list[Any]:
    """Values of a field as the trail holds them: each coded value, else a before/after pair of plain ones."""
    if name in vocab.values:
        codes = [str(code) for code in vocab.values[name]]
        return [[None, code] for code in codes]
    if name in vocab.references:
        return [[None, 1]]
    if name in vocab.lists:
        return [["заява.pdf", "печатка.png", "лист.eml"]]
    return [["Старе значення", "Нове значення"], "***", 42, True, None]


def _write_everything(session: Session, staff: Staff, subject_type: str, subject_id: int | None) -> None:
    vocab = VOCABULARIES[subject_type]
    actors = _actors(staff)
    for action in actions_of(subject_type, vocab):
        row = ACCESSION.transition(action) if subject_type == "application" else None
        row = row or (SELF_REGISTRATION.transition(action) if subject_type == "self_registration" else None)
        record(
            session,
            next(actors),
            subject_type,
            subject_id,
            action,
            from_state=row.sources[0].value if row else None,
            to_state=row.dest.value if row else None,
            reason="Причина, яку ввів працівник",
        )
    first = actions_of(subject_type, vocab)[0]
    for name in vocab.fields:
        for value in _sample(vocab, name):
            record(session, next(actors), subject_type, subject_id, first, changes={name: value})
    for reason in vocab.reasons:
        record(session, next(actors), subject_type, subject_id, first, reason=reason)
    if subject_type == "application":
        record(
            session, next(actors), subject_type, subject_id, "remove_personal_data",
            reason="retention: 1095 days after the application was closed",
        )


def _table(page: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}".*?</table>', page, re.S)
    assert match, f"no {testid} table"
    text = re.sub(r"<[^>]+>", " ", match.group(0).split(">", 1)[1])
    return html.unescape(text)


def _assert_readable(text: str, language: str, where: str) -> None:
    assert not SNAKE.findall(text), f"{where} ({language}) shows codes: {sorted(set(SNAKE.findall(text)))}"
    if language != "en":
        english = {w for w in LATIN_WORD.findall(text) if w not in KEPT_LATIN}
        assert not english, f"{where} ({language}) shows English: {sorted(english)}"


def _client(client: FlaskClient, language: str) -> FlaskClient:
    client.get(f"/staff/login?lang={language}")
    return client


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_action_reads_as_words_on_every_page(make, session: Session, staff: Staff, login, language: str):
    app = make.application(S.RECEIVED, center=staff.center_a)
    reg = SelfRegistration(kind=PersonKind.LEGAL_ENTITY, identifier="1027700132195", name="ТОВ «Світанок»")
    session.add(reg)
    session.flush()
    _write_everything(session, staff, "application", app.id)
    _write_everything(session, staff, "self_registration", reg.id)
    for subject_type in VOCABULARIES.keys() - {"application", "self_registration"}:
        _write_everything(session, staff, subject_type, OTHERS if subject_type != "registration" else None)
    session.commit()
    client = _client(login(staff.supervisor), language)

    page = client.get(f"/admin/applications/{app.number}?lang={language}").get_data(as_text=True)
    _assert_readable(_table(page, "history"), language, "application page")
    page = client.get(f"/admin/self-registrations/{reg.id}?lang={language}").get_data(as_text=True)
    _assert_readable(_table(page, "history"), language, "self-registration page")
    ids = {"application": app.id, "self_registration": reg.id, "registration": ""}
    for subject_type in VOCABULARIES:  # the rows written here, not the fixtures' own
        query = f"subject_type={subject_type}&subject_id={ids.get(subject_type, OTHERS)}&lang={language}"
        page = client.get(f"/admin/audit/?{query}").get_data(as_text=True)
        _assert_readable(_table(page, "audit"), language, f"audit log of {subject_type}")


def test_a_change_shows_its_real_before_and_after(make, session: Session, staff: Staff, login):
    app = make.application(S.AWAITING_CONFIRMATION_CALL, center=staff.center_a, identifier="12345678")
    record(session, Actor.of(staff.supervisor), "application", app.id, "edit",
           changes={"identifier": ["12345678", "23456789"], "channel": ["email_scan", "email_qualified"],
                    "assignee_id": [None, staff.operator_a.id]})
    record(session, Actor.system("verifier"), "application", app.id, "signature_checked",
           changes={"document": "заява.pdf", "indication": "TOTAL_PASSED"})
    session.commit()
    client = _client(login(staff.supervisor), "uk")
    text = _table(client.get(f"/admin/applications/{app.number}").get_data(as_text=True), "history")
    assert "12345678 → 23456789" in text
    assert "Ел. пошта, скан-копія → Ел. пошта, КЕП" in text
    assert f"{staff.operator_a.full_name} (op.a)" in text
    assert "заява.pdf" in text and "з → а" not in text
    assert "Перевірка підписів" in text and "підпис дійсний" in text
