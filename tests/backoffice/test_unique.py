"""A row a unique key may refuse: refused quietly by that key alone, anything else fails as it should."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backoffice.customers.models import CustomerAccount
from backoffice.unique import insert_unless_taken


def _account(login: str, application_id: int | None = None) -> CustomerAccount:
    return CustomerAccount(login=login, password_hash="h", email=f"{login}@example.com", application_id=application_id)


def test_the_first_row_is_stored_with_the_database_s_defaults_and_the_second_is_refused(session: Session) -> None:
    stored = insert_unless_taken(session, _account("firma.one"))
    assert stored is not None and stored.id is not None
    assert stored.is_active is True and stored.created_at is not None  # defaults the row did not give
    assert session.get(CustomerAccount, stored.id) is stored

    assert insert_unless_taken(session, _account("firma.one")) is None
    # The transaction is intact: the refusal cost nothing of what it holds.
    assert session.scalar(select(func.count()).select_from(CustomerAccount)) == 1
    assert session.scalars(select(CustomerAccount.email)).all() == ["firma.one@example.com"]


def test_a_row_that_breaks_another_rule_is_an_error_not_a_taken_key(session: Session) -> None:
    """A missing application is a bug to see, never "this login is taken"."""
    with pytest.raises(IntegrityError):
        insert_unless_taken(session, _account("firma.two", application_id=987654))
