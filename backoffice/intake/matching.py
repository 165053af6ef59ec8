"""Which application a received message answers, if any.

A reply carries the application's number in its subject (our acknowledgement says it), or names one of our
letters in In-Reply-To/References. Either only counts when the reply comes from the address the application
came from: the number is printed on paper and letters' Message-IDs can be guessed, the sender is the check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.utils import parseaddr

from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.applications import services
from backoffice.applications.models import Application
from backoffice.intake.envelope import Envelope
from backoffice.intake.models import IncomingMessage
from backoffice.letters.models import OutboxMessage
from backoffice.settings import Settings

NUMBER = re.compile(r"(?<![\d-])(\d{4}-\d{6,})(?![\d-])")
LETTER_ID = re.compile(r"<(?:letter|outbox)-(\d+)(?:-[^@>]*)?@([^>]+)>", re.IGNORECASE)


@dataclass(frozen=True)
class Match:
    application: Application
    #: The reply comes from an address this application is known by.
    same_sender: bool
    how: str  # "in_reply_to" or "subject"


def our_domain(settings: Settings) -> str:
    return parseaddr(settings.mail.sender)[1].rpartition("@")[2].lower()


def find(session: Session, env: Envelope, settings: Settings) -> Match | None:
    app = _by_thread(session, env, settings)
    how = "in_reply_to"
    if app is None:
        how = "subject"
        for number in NUMBER.findall(env.subject):
            app = services.by_number(session, number)
            if app is not None:
                break
    if app is None:
        return None
    return Match(app, _known_sender(session, app, env.sender), how)


def _by_thread(session: Session, env: Envelope, settings: Settings) -> Application | None:
    domain = our_domain(settings)
    for mid in env.answers:
        letter = LETTER_ID.fullmatch(mid)
        if letter and letter.group(2).lower() == domain:
            row = session.get(OutboxMessage, int(letter.group(1)))
            if row is not None and row.application_id is not None:
                return session.get(Application, row.application_id)
        # A follow-up to the customer's own earlier message ("forgot the attachment").
        earlier = session.scalar(
            select(IncomingMessage.application_id)
            .where(IncomingMessage.message_id == mid, IncomingMessage.application_id.is_not(None))
            .limit(1)
        )
        if earlier is not None:
            return session.get(Application, earlier)
    return None


def _known_sender(session: Session, app: Application, sender: str) -> bool:
    if not sender:
        return False
    if app.email and app.email.lower() == sender:
        return True
    return (
        session.scalar(
            select(IncomingMessage.id)
            .where(IncomingMessage.application_id == app.id, IncomingMessage.sender == sender)
            .limit(1)
        )
        is not None
    )
