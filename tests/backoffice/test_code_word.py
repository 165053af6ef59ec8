"""The code word: kept as a hash under the code key, checked the way a person says it; a code word kept as argon2id
before that still confirms a call and still keeps a password from being the code word."""

from __future__ import annotations

from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from backoffice.actors import Actor
from backoffice.applications import services
from backoffice.customers import rules
from backoffice.passwords import code_word_matches, normalise_code_word
from backoffice.settings import Settings
from tests.factories import Factory
from workflows.accession import AccessionState
from workflows.roles import Role


def test_code_word_is_kept_under_the_code_key_and_checked_as_spoken(make: Factory, settings: Settings) -> None:
    app = make.application(code_word="Зелений  Гай")
    assert "Зелений" not in app.code_word_hash and "зелений" not in app.code_word_hash
    assert code_word_matches(settings.code_key, app.code_word_hash, "зелений гай")
    assert code_word_matches(settings.code_key, app.code_word_hash, "  ЗЕЛЕНИЙ ГАЙ ")
    assert not code_word_matches(settings.code_key, app.code_word_hash, "зелений")
    # A copy of the database without the key confirms nothing: the same word under another key does not match.
    assert not code_word_matches("another key of the same length as the real one", app.code_word_hash, "зелений гай")
    # Two applications with the same word do not show it: their stored hashes differ.
    other = make.application(code_word="Зелений Гай")
    assert other.code_word_hash != app.code_word_hash
    assert code_word_matches(settings.code_key, other.code_word_hash, "зелений гай")


def test_the_operators_call_confirms_with_the_word_as_said(make: Factory, session: Session, settings: Settings) -> None:
    app = make.application(AccessionState.AWAITING_CONFIRMATION_CALL, code_word="Кобзар")
    operator = Actor(Role.SUPERVISOR, "s")
    call = services.log_call(
        session, app, operator, outcome=services.CallOutcome.CONFIRMED, spoken_code_word="кобзар", settings=settings
    )
    assert call.code_word_matched is True
    assert app.state != AccessionState.AWAITING_CONFIRMATION_CALL


def test_a_code_word_kept_as_argon2id_before_still_works(make: Factory, session: Session, settings: Settings) -> None:
    """Applications taken before the keyed hash keep their argon2id hash: it confirms a call, and a long one still
    keeps a customer's password from being the code word."""
    legacy = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(
        normalise_code_word("Сонячний ранок над Дніпром")
    )
    app = make.application(AccessionState.AWAITING_CONFIRMATION_CALL, code_word="тимчасове")
    app.code_word_hash, app.code_word_long = legacy, True
    assert code_word_matches(settings.code_key, app.code_word_hash, "сонячний ранок над дніпром")
    problems = rules.code_word_problems(settings.code_key, "Сонячний ранок над Дніпром", app)
    assert [p.code for p in problems] == ["code_word"]
    assert rules.code_word_problems(settings.code_key, "інший довгий пароль 2026", app) == []
    call = services.log_call(
        session,
        app,
        Actor(Role.SUPERVISOR, "s"),
        outcome=services.CallOutcome.CONFIRMED,
        spoken_code_word="СОНЯЧНИЙ ранок над дніпром",
        settings=settings,
    )
    assert call.code_word_matched is True


def test_only_a_code_word_as_long_as_a_password_is_flagged(make: Factory, session: Session, settings: Settings) -> None:
    short = make.application(code_word="Кобзар")
    long = make.application(code_word="сонячний ранок над дніпром")
    assert (short.code_word_long, long.code_word_long) == (False, True)
    supervisor = Actor(Role.SUPERVISOR, "s")
    before = short.code_word_hash
    services.update_data(session, short, supervisor, {"code_word": "дуже довге кодове слово"}, settings=settings)
    assert short.code_word_long is True and short.code_word_hash != before
    assert code_word_matches(settings.code_key, short.code_word_hash, "Дуже довге кодове слово")
    assert short.state == AccessionState.RECEIVED
