"""A rendered letter as a correct Internet message: what every mail client and spam filter expects.

multipart/alternative with a text and an HTML part in UTF-8; Cyrillic subjects and display names as RFC 2047
encoded words; internationalised domains in IDNA; a Message-ID derived from the outbox row; Date; and
``Auto-Submitted: auto-generated`` (RFC 3834) so that autoresponders do not answer.
"""

from __future__ import annotations

import email.policy
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from backoffice.errors import BackofficeError
from backoffice.letters.models import OutboxMessage
from backoffice.letters.render import Rendered
from backoffice.settings import Settings

#: Lines stay within 78 characters and headers are encoded as RFC 2047 words: 7-bit clean on the wire.
POLICY = email.policy.SMTP


class BadAddress(BackofficeError, ValueError):
    """An address the letter cannot be sent to (empty, malformed, non-ASCII local part)."""


def sender_address(settings: Settings) -> Address:
    name, addr = parseaddr(settings.mail.sender)
    return _address(addr, name)


def message_id(row: OutboxMessage, settings: Settings) -> str:
    """The same row gives the same Message-ID, so a resend after a crash is one message to the recipient.

    A supervisor's deliberate resend gets a new one (``-r<n>``): mail systems silently drop a second message
    with an ID they have already seen. The creation time tells apart rows of a database started afresh.
    """
    stamp = row.created_at.strftime("%Y%m%d%H%M%S")
    resend = f"-r{row.resends}" if row.resends else ""
    return f"<letter-{row.id}-{stamp}{resend}@{sender_address(settings).domain}>"


def build(row: OutboxMessage, rendered: Rendered, settings: Settings, *, now: datetime) -> EmailMessage:
    message = EmailMessage(policy=POLICY)
    message["From"] = sender_address(settings)
    message["To"] = recipient_address(row.recipient)
    message["Subject"] = rendered.subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id(row, settings)
    message["Auto-Submitted"] = "auto-generated"
    message["Content-Language"] = row.language
    message.set_content(rendered.text, charset="utf-8", cte="base64")
    message.add_alternative(rendered.html, subtype="html", charset="utf-8", cte="base64")
    return message


def recipient_address(recipient: str) -> Address:
    name, addr = parseaddr(recipient)
    return _address(addr, name)


def _address(addr: str, name: str = "") -> Address:
    if "@" not in addr:
        raise BadAddress(f"not an email address: {addr!r}")
    local, _, domain = addr.rpartition("@")
    if not local or not domain or not local.isascii():
        raise BadAddress(f"cannot send to {addr!r}")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise BadAddress(f"not a valid domain in {addr!r}") from None
    return Address(display_name=name, username=local, domain=domain)
