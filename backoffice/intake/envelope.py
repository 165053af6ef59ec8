"""What the headers of a received message say: who sent it, which message it is, what it answers, and whether a
machine wrote it (an auto-reply or a bounce must never be acknowledged: two robots would write to each other
forever).

Only the header block is read here, so the key of a message is known without parsing its 30 MB body.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from typing import BinaryIO

from backoffice.intake.filenames import decode_text, from_raw_bytes
from backoffice.intake.mimepolicy import POLICY

HEADER_LIMIT = 256 * 1024
_MSGID = re.compile(r"<[^<>\s]+>")
_AUTO_SUBJECT = re.compile(
    r"^\s*(auto(matic)?\s*(reply|response)|autoreply|out of (the )?office|abwesenheitsnotiz|"
    r"автоматична відповідь|автоматический ответ|автовідповідь|автоответ|відсутн|нет на месте)",
    re.IGNORECASE,
)
_BOUNCE_SENDERS = re.compile(r"^(mailer-daemon|postmaster|mail-daemon)@", re.IGNORECASE)
_BOUNCE_SUBJECT = re.compile(
    r"(undeliver|delivery status notification|delivery (has )?failed|returned mail|failure notice|"
    r"не доставлен|недоставлен|не вдалося доставити)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Envelope:
    message_id: str | None
    sender: str  # the From address, lower case; "" when there is none
    subject: str
    #: Message-IDs this message answers (In-Reply-To, then References).
    answers: tuple[str, ...] = ()
    #: "auto_reply", "bounce" or "read_receipt" when a machine wrote it, else "".
    automatic: str = ""
    headers: dict[str, str] = field(default_factory=dict)


def read_headers(fh: BinaryIO) -> EmailMessage:
    """Parse the header block only (at most HEADER_LIMIT bytes), never the body."""
    head = bytearray()
    while len(head) < HEADER_LIMIT:
        line = fh.readline(HEADER_LIMIT)
        if not line:
            break
        if line in (b"\r\n", b"\n"):
            break
        head += line
    message = BytesParser(policy=POLICY).parsebytes(bytes(head), headersonly=True)
    assert isinstance(message, EmailMessage)
    return message


def envelope(message: EmailMessage) -> Envelope:
    def get(name: str) -> str:
        try:
            value = message.get(name)
        except (ValueError, IndexError, AttributeError):  # a header the library cannot make sense of
            value = None
        if value is None:
            raw = next((v for k, v in message.raw_items() if k.lower() == name.lower()), None)
            return decode_text(str(raw)) if raw is not None else ""
        return decode_text(str(value))

    sender = _first_address(message, "from")
    subject = get("subject")
    answers: list[str] = []
    for name in ("in-reply-to", "references"):
        answers.extend(_MSGID.findall(_raw(message, name)))
    return Envelope(
        message_id=normalise_message_id(_raw(message, "message-id")),
        sender=sender,
        subject=subject[:500],
        answers=tuple(dict.fromkeys(answers)),
        automatic=_automatic(message, sender, subject),
    )


def normalise_message_id(value: str | None) -> str | None:
    """``<id@host>`` as sent, or None when absent or empty (then the raw bytes identify the message)."""
    if not value:
        return None
    value = value.strip()
    found = _MSGID.search(value)
    if found:
        return found.group(0)[:998]
    return value[:998] if value and len(value) > 2 else None


def message_key(message_id: str | None, raw_sha256: str, *, reused: bool = False) -> str:
    """The unique key of a message: its Message-ID, or its bytes when it has none. A message that reuses a
    Message-ID already seen, with other bytes, is keyed by both (``reused``)."""
    if message_id and reused:
        material = f"mid:{message_id}\nraw:{raw_sha256}"
    else:
        material = f"mid:{message_id}" if message_id else f"raw:{raw_sha256}"
    return hashlib.sha256(material.encode("utf-8", "surrogateescape")).hexdigest()


def _raw(message: EmailMessage, name: str) -> str:
    """A header's raw value, unfolded, with any 8-bit bytes decoded (an internationalised address, RFC 6532,
    arrives as raw UTF-8, which the parser keeps as surrogates that no database would store)."""
    for key, value in message.raw_items():
        if key.lower() == name:
            return " ".join(from_raw_bytes(str(value)).split())
    return ""


def _first_address(message: EmailMessage, name: str) -> str:
    raw = _raw(message, name)
    if not raw:
        return ""
    try:
        pairs = getaddresses([raw])
    except (ValueError, IndexError):
        pairs = [parseaddr(raw)]
    for _, addr in pairs:
        if "@" in addr:
            return addr.strip().lower()[:254]
    return ""


def _automatic(message: EmailMessage, sender: str, subject: str) -> str:
    """RFC 3834 and the de-facto headers of Exchange, Gmail and mailing lists, then the usual subjects."""
    content_type = _raw(message, "content-type").lower()
    if "multipart/report" in content_type and "delivery-status" in content_type:
        return "bounce"
    if "multipart/report" in content_type and "disposition-notification" in content_type:
        return "read_receipt"  # RFC 8098: "your message was displayed"; nobody's application
    return_path = _raw(message, "return-path")
    if _BOUNCE_SENDERS.match(sender) or (return_path.strip() == "<>" and _BOUNCE_SUBJECT.search(subject)):
        return "bounce"
    auto_submitted = _raw(message, "auto-submitted").lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return "auto_reply"
    for name in ("x-autoreply", "x-autorespond", "x-autoresponder"):
        if _raw(message, name):
            return "auto_reply"
    precedence = (_raw(message, "precedence") or _raw(message, "x-precedence")).lower()
    if precedence in {"bulk", "junk", "list", "auto_reply"}:
        return "auto_reply"
    if _raw(message, "list-id") or _raw(message, "list-unsubscribe"):
        return "auto_reply"
    if _AUTO_SUBJECT.search(subject):
        return "auto_reply"
    if _BOUNCE_SUBJECT.search(subject) and return_path.strip() == "<>":
        return "bounce"
    return ""
