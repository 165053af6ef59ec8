"""The code word: kept only as a slow hash, checked the way a person says it, and flagged when it is long enough
that a customer's password could equal it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from backoffice.actors import Actor
from backoffice.applications import services
from backoffice.passwords import code_word_matches
from tests.factories import Factory
from workflows.accession import AccessionState
from workflows.roles import Role


def test_code_word_is_hashed_and_checked_as_spoken(make: Factory) -> None:
    app = make.application(code_word="Зелений  Гай")
    assert "Зелений" not in app.code_word_hash and app.code_word_hash.startswith("$argon2id$")
    assert code_word_matches(app.code_word_hash, "зелений гай")
    assert not code_word_matches(app.code_word_hash, "зелений")


def test_only_a_code_word_as_long_as_a_password_is_flagged(make: Factory, session: Session) -> None:
    short = make.application(code_word="Кобзар")
    long = make.application(code_word="сонячний ранок над дніпром")
    assert (short.code_word_long, long.code_word_long) == (False, True)
    supervisor = Actor(Role.SUPERVISOR, "s")
    services.update_data(session, short, supervisor, {"code_word": "дуже довге кодове слово"})
    assert short.code_word_long is True
    assert short.state == AccessionState.RECEIVED
