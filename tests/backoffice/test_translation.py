"""What the rules and services say reads in the language of the page that shows it, and as written where no page
does (an intake lane, a command's log line), without loading the web for it."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask

from backoffice import translation
from backoffice.errors import Forbidden


def test_outside_an_app_a_message_reads_as_written_with_its_values() -> None:
    assert (
        translation.gettext("%(name)s has already taken this request.", name="Оператор 7")
        == "Оператор 7 has already taken this request."
    )
    assert Forbidden().user_message == "You may not do this."
    assert translation.format_datetime(datetime(2026, 12, 7, 9, 30, tzinfo=UTC)) == "2026-12-07T09:30:00+00:00"


def test_one_error_reads_in_the_language_of_each_page_that_shows_it(app: Flask) -> None:
    error = Forbidden()
    taken = translation.lazy_gettext("%(name)s has already taken this request.", name="Оператор 7")
    with app.test_request_context("/?lang=uk"):
        assert error.user_message == "Вам це не дозволено."
        assert str(taken) == "Оператор 7 вже взяв(-ла) цей запит."
    with app.test_request_context("/?lang=ru"):
        assert error.user_message == "Вам это не разрешено."
        assert str(taken) == "Оператор 7 уже взял(а) этот запрос."
