"""Registering, confirming, resending, the duplicate identifier, the scheduler's jobs: through the services."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.audit.trail import history
from backoffice.customers import accounts
from backoffice.customers.models import CustomerAccount, CustomerToken
from backoffice.database import Database
from backoffice.letters.models import OutboxMessage
from backoffice.selfreg import jobs, links, services
from backoffice.selfreg.models import ConsentRecord, PersonKind, SelfRegistration
from backoffice.settings import Settings
from backoffice.types import utcnow
from tests.backoffice.selfreg.conftest import PASSWORD, People
from workflows.self_registration import SelfRegistrationState as S


def _letters(session: Session, kind: str = "self_registration_confirm") -> list[OutboxMessage]:
    return list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)))


def _token(letter: OutboxMessage) -> str:
    return str(letter.context["link"]).rsplit("/", 1)[-1]


@pytest.mark.parametrize("kind", list(PersonKind))
def test_registration_waits_for_the_email_and_cannot_log_in(
    people: People, session: Session, kind: PersonKind
) -> None:
    reg = people.register(kind)
    session.commit()
    assert reg.state == S.PENDING_CONFIRMATION
    assert reg.account is not None and reg.account.login == reg.identifier and not reg.account.is_active
    assert accounts.authenticate(session, reg.identifier, PASSWORD) is None
    (letter,) = _letters(session)
    assert letter.recipient == reg.email and letter.language == "ru"
    assert letter.context["link"].startswith("http://127.0.0.1:5000/signup/confirm/")
    assert [e.action for e in history(session, services.SUBJECT, reg.id)] == ["register"]


def test_snils_with_dashes_and_spaces_is_stored_as_digits(people: People) -> None:
    reg = people.register(identifier="112-233-445 95")
    assert reg.identifier == "11223344595"
    assert reg.account is not None and reg.account.login == "11223344595"


def test_confirming_makes_a_user_who_logs_in_with_the_identifier(
    people: People, session: Session, flow_settings: Settings
) -> None:
    reg = people.register(PersonKind.LEGAL_ENTITY)
    session.commit()
    token = _token(_letters(session)[0])
    outcome = services.confirm_email(session, flow_settings, token, services.Origin("192.0.2.11"))
    session.commit()
    assert outcome == services.ConfirmOutcome.CONFIRMED
    assert reg.state == S.ACTIVE and reg.confirmed_at is not None and reg.version == 2
    assert accounts.authenticate(session, reg.identifier, PASSWORD) is not None
    assert [e.action for e in history(session, services.SUBJECT, reg.id)] == ["register", "confirm_email"]


def test_a_link_works_once(people: People, session: Session, flow_settings: Settings) -> None:
    people.register()
    session.commit()
    token = _token(_letters(session)[0])
    origin = services.Origin("192.0.2.12")
    assert services.confirm_email(session, flow_settings, token, origin) == services.ConfirmOutcome.CONFIRMED
    session.commit()
    again = services.confirm_email(session, flow_settings, token, origin)
    assert again == services.ConfirmOutcome.ALREADY_CONFIRMED
    assert services.confirm_email(session, flow_settings, "no-such-token", origin) == services.ConfirmOutcome.UNKNOWN


def test_an_expired_link_changes_nothing_and_a_new_letter_works(
    people: People, session: Session, flow_settings: Settings
) -> None:
    reg = people.register()
    session.commit()
    token = _token(_letters(session)[0])
    row = links.find(session, token)
    assert row is not None
    assert row.expires_at - row.created_at == timedelta(hours=72)
    row.expires_at = utcnow() - timedelta(minutes=1)
    session.commit()
    origin = services.Origin("192.0.2.13")
    assert services.confirm_email(session, flow_settings, token, origin) == services.ConfirmOutcome.EXPIRED
    assert reg.state == S.PENDING_CONFIRMATION
    assert services.resend(session, flow_settings, reg.identifier, origin)
    session.commit()
    fresh = _token(_letters(session)[-1])
    assert fresh != token
    assert services.confirm_email(session, flow_settings, fresh, origin) == services.ConfirmOutcome.CONFIRMED
    actions = [e.action for e in history(session, services.SUBJECT, reg.id)]
    assert actions == ["register", "resend_confirmation", "confirm_email"]


def test_resend_says_nothing_about_unknown_or_confirmed_identifiers(
    people: People, session: Session, flow_settings: Settings
) -> None:
    origin = services.Origin("192.0.2.14")
    assert not services.resend(session, flow_settings, "11223344595", origin)
    assert _letters(session) == []


def test_second_registration_with_the_identifier_is_refused_without_the_email(
    people: People, session: Session, flow_settings: Settings
) -> None:
    first = people.register(PersonKind.SOLE_PROPRIETOR)
    session.commit()
    data = people.submission(PersonKind.SOLE_PROPRIETOR, identifier=first.identifier, email="other@example.com")
    with pytest.raises(services.AlreadyRegistered) as info:
        services.register(
            session,
            flow_settings,
            services.clean(data),
            password_hash="x",
            language="ru",
            origin=services.Origin("192.0.2.15"),
        )
    session.commit()
    assert first.email not in str(info.value) and first.email not in repr(info.value.args)
    assert session.scalar(select(SelfRegistration.id).where(SelfRegistration.id != first.id)) is None
    assert len(session.scalars(select(CustomerAccount)).all()) == 1
    assert [e.action for e in history(session, services.SUBJECT, first.id)] == ["register", "duplicate_registration"]


def test_consent_record_holds_version_time_address_and_form(people: People, session: Session) -> None:
    reg = people.register(ip="198.51.100.7")
    session.commit()
    (record,) = session.scalars(select(ConsentRecord)).all()
    assert record.registration_id == reg.id
    assert record.text_version == 1 and record.text_language == "ru" and len(record.text_sha256) == 64
    assert record.accepted_from == "198.51.100.7" and record.accepted_user_agent == "pytest"
    assert record.form == "self_registration"
    assert abs(record.accepted_at - utcnow()) < timedelta(minutes=1)
    assert record.withdrawn_at is None


def test_withdrawing_consent_closes_the_account_and_keeps_the_evidence(
    people: People, session: Session, flow_settings: Settings
) -> None:
    reg = people.register()
    session.commit()
    services.confirm_email(session, flow_settings, _token(_letters(session)[0]), services.Origin("192.0.2.16"))
    session.commit()
    account_id = reg.account_id
    origin = services.Origin("203.0.113.5")
    with pytest.raises(Exception, match="confirm that you have read the warning"):
        services.withdraw_consent(session, flow_settings, reg, origin, acknowledged=False)
    session.rollback()
    assert reg.state == S.ACTIVE
    services.withdraw_consent(session, flow_settings, reg, origin, acknowledged=True)
    session.commit()
    assert reg.state == S.CLOSED and reg.account_id is None
    account = session.get(CustomerAccount, account_id)
    assert account is not None and not account.is_active and account.login != reg.identifier
    assert accounts.authenticate(session, reg.identifier, PASSWORD) is None
    (record,) = session.scalars(select(ConsentRecord).where(ConsentRecord.registration_id == reg.id)).all()
    assert record.withdrawn_at is not None and record.withdrawn_from == "203.0.113.5"
    assert record.withdrawn_form == "consent_withdrawal"
    assert record.accepted_from == "192.0.2.10" and record.text_version == 1
    # The identifier is free again: the same person may register anew, with a new consent.
    again = people.register(identifier=reg.identifier)
    session.commit()
    assert again.id != reg.id and again.state == S.PENDING_CONFIRMATION


def test_supervisor_actions_go_through_the_write_path(
    people: People, session: Session, flow_settings: Settings
) -> None:
    from backoffice.actors import Actor
    from workflows.roles import Role

    supervisor = Actor(Role.SUPERVISOR, "boss", operator_id=None)
    operator = Actor(Role.OPERATOR, "op")
    reg = people.register()
    session.commit()
    assert services.available_actions(reg, supervisor) == ["manual_confirm", "resend_confirmation"]
    assert services.available_actions(reg, operator) == []
    with pytest.raises(Exception, match="may not fire"):
        services.fire(session, reg, "manual_confirm", operator, reason="passport seen", settings=flow_settings)
    services.fire(session, reg, "resend_confirmation", supervisor, settings=flow_settings)
    services.fire(session, reg, "manual_confirm", supervisor, reason="passport seen", settings=flow_settings)
    services.fire(session, reg, "block", supervisor, reason="fraud suspected", settings=flow_settings)
    session.commit()
    assert reg.state == S.BLOCKED and reg.account is not None and not reg.account.is_active
    services.fire(session, reg, "unblock", supervisor, settings=flow_settings)
    session.commit()
    assert reg.account.is_active
    events = history(session, services.SUBJECT, reg.id)
    assert [(e.action, e.actor_label) for e in events[1:]] == [
        ("resend_confirmation", "boss"),
        ("manual_confirm", "boss"),
        ("block", "boss"),
        ("unblock", "boss"),
    ]
    assert events[2].reason == "passport seen"
    assert len(_letters(session)) == 2


def test_stale_copy_is_refused(people: People, session: Session, flow_settings: Settings) -> None:
    from backoffice.actors import Actor
    from backoffice.statechange import Conflict
    from workflows.roles import Role

    reg = people.register()
    session.commit()
    with pytest.raises(Conflict):
        services.fire(
            session,
            reg,
            "resend_confirmation",
            Actor(Role.SUPERVISOR, "boss"),
            expected_version=0,
            settings=flow_settings,
        )


def test_reminder_once_after_a_day_then_removal_frees_the_identifier(
    people: People, session: Session, flow_settings: Settings, db: Database
) -> None:
    reg = people.register(PersonKind.LEGAL_ENTITY)
    session.commit()
    start = reg.created_at
    assert jobs.remind_unconfirmed(db, flow_settings, start + timedelta(hours=23)) == 0
    assert jobs.remind_unconfirmed(db, flow_settings, start + timedelta(hours=25)) == 1
    assert jobs.remind_unconfirmed(db, flow_settings, start + timedelta(hours=26)) == 0
    session.expire_all()
    (reminder,) = _letters(session, "self_registration_reminder")
    assert reminder.recipient == reg.email and reminder.context["link"]
    # The reminder's link lives 72 hours from the reminder: the removal waits for it.
    assert jobs.remove_unconfirmed(db, flow_settings, start + timedelta(days=3, hours=12)) == 0
    removed_at = start + timedelta(days=7, hours=1)
    for row in session.scalars(select(CustomerToken)):
        row.expires_at = min(row.expires_at, removed_at - timedelta(minutes=1))
    session.commit()
    assert jobs.remove_unconfirmed(db, flow_settings, removed_at) == 1
    session.expire_all()
    assert reg.state == S.REMOVED and reg.account_id is None and reg.name == "" and reg.email == ""
    assert session.scalars(select(CustomerAccount)).all() == []
    assert all(letter.recipient == "" for letter in [*_letters(session), reminder])
    assert session.scalars(select(ConsentRecord)).one().registration_id == reg.id
    again = people.register(PersonKind.LEGAL_ENTITY, identifier=reg.identifier)
    session.commit()
    assert again.state == S.PENDING_CONFIRMATION
    events = history(session, services.SUBJECT, reg.id)
    assert [(e.action, e.actor_label) for e in events] == [
        ("register", "anonymous 192.0.2.10"),
        ("remind", "scheduler"),
        ("expire", "scheduler"),
    ]


@pytest.mark.postgres
@pytest.mark.committed  # the plans are read on a connection of their own
def test_removing_a_registration_finds_its_letters_by_the_beginning_of_their_keys(
    people: People, session: Session, flow_settings: Settings, db: Database
) -> None:
    """The removal blanks the registration's letters, read from an index by their keys' beginnings, not by a
    ``%…%`` match over every letter of no application (nearly all letters of a self-registration deployment)."""
    from tests.backoffice.plans import explain_sent

    reg = people.register(PersonKind.LEGAL_ENTITY)
    other = people.register(PersonKind.LEGAL_ENTITY)
    session.commit()
    # Letters of earlier registrations, as a deployment has thousands: with a handful of rows any plan is as cheap.
    session.connection().exec_driver_sql(
        "INSERT INTO outbox_message (dedup_key, kind, recipient, language, context, status, attempts,"
        " next_attempt_at, last_error, created_at, resends)"
        " SELECT 'self_registration_confirm:-:selfreg-' || (1000 + g) || '-link-' || g,"
        " 'self_registration_confirm', '', 'ru', '{}', 'sent', 1, now(), '', now(), 0"
        " FROM generate_series(1, 2000) g"
    )
    session.commit()
    with db.engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE outbox_message")
    removed_at = reg.created_at + timedelta(days=7, hours=1)
    for row in session.scalars(select(CustomerToken)):
        row.expires_at = min(row.expires_at, removed_at - timedelta(minutes=1))
    session.commit()
    removed: list[int] = []
    plans = explain_sent(db, lambda: removed.append(jobs.remove_unconfirmed(db, flow_settings, removed_at)))
    assert removed == [2]
    session.expire_all()
    ours = {str(reg.id), str(other.id)}
    letters = [letter for letter in _letters(session) if letter.dedup_key.split(":")[2].split("-")[1] in ours]
    assert len(letters) == 2 and all(letter.recipient == "" for letter in letters)  # both confirmations blanked
    assert other.state == S.REMOVED
    # Each kind's keys as a range of an index (migration 0027's; under the C collation the unique index on the key
    # can serve the same range), not an index or the table read whole and filtered by a ``%…%`` match.
    ranges = re.compile(r"Index Cond: \(\(dedup_key (?:~>=~|>=) '")
    assert any(len(ranges.findall(plan)) == 2 for plan in plans), plans
