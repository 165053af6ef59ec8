"""Taking a stored message apart into the files it brings, each streamed into document storage.

The message is parsed with the standard library (``policy.default``) from the stored .eml, never from the
network. Base64 bodies are decoded slice by slice straight into storage, so a 25 MB scan exists once as text
inside the parsed message and once on disk, not as several whole copies in memory.
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from pathlib import Path

from backoffice.documents.classify import Family, FileType, sniff
from backoffice.documents.storage import Storage, Stored, TooLarge
from backoffice.intake.archives import unpack
from backoffice.intake.envelope import Envelope, envelope
from backoffice.intake.filenames import attachment_filename, safe_filename
from backoffice.intake.limits import Budget, Limits

SLICE = 1024 * 1024  # characters of base64 decoded at a time
MAX_MIME_DEPTH = 40  # multipart inside multipart; beyond it the message is hostile, not from a mail client
DECORATION_BYTES = 64 * 1024  # inline images below this with a Content-ID are logos in a signature


@dataclass(frozen=True)
class Attachment:
    filename: str
    declared_type: str
    stored: Stored
    type: FileType
    #: "" for a file attached to the message; the archive or forwarded message it came out of otherwise.
    origin: str = ""


@dataclass
class Parsed:
    envelope: Envelope
    attachments: list[Attachment] = field(default_factory=list)
    budget: Budget | None = None


def parse(path: Path, storage: Storage, limits: Limits) -> Parsed:
    """Every attachment of the message at ``path`` (archives unpacked), stored and sniffed.

    Problems that should stop the message from becoming an application by itself (limits, executables,
    encrypted archives) are noted in ``budget.issues``; only an unreadable file raises.
    """
    with path.open("rb") as fh:
        message = BytesParser(policy=policy.default).parse(fh)
    assert isinstance(message, EmailMessage)
    budget = Budget(limits)
    parsed = Parsed(envelope(message), budget=budget)
    _walk(message, parsed, storage, budget, depth=0, mime_depth=0, origin="")
    return parsed


def _walk(
    part: Message, parsed: Parsed, storage: Storage, budget: Budget, *, depth: int, mime_depth: int, origin: str
) -> None:
    if mime_depth > MAX_MIME_DEPTH:
        budget.note("too_deep", "MIME parts nested deeper than any mail client writes")
        return
    content_type = part.get_content_type()
    if content_type == "message/rfc822" or (part.is_multipart() and content_type.startswith("message/")):
        if depth + 1 > budget.limits.max_nesting:
            budget.note("too_deep", f"forwarded messages nested more than {budget.limits.max_nesting} deep")
            return
        inner = part.get_payload()
        for sub in inner if isinstance(inner, list) else [inner]:
            if isinstance(sub, Message):
                name = _subject(sub)
                _walk(sub, parsed, storage, budget, depth=depth + 1, mime_depth=mime_depth + 1, origin=name)
        return
    if part.is_multipart():
        payload = part.get_payload()
        for sub in payload if isinstance(payload, list) else []:
            _walk(sub, parsed, storage, budget, depth=depth, mime_depth=mime_depth + 1, origin=origin)
        return
    _leaf(part, parsed, storage, budget, depth=depth, origin=origin)


def _leaf(part: Message, parsed: Parsed, storage: Storage, budget: Budget, *, depth: int, origin: str) -> None:
    content_type = part.get_content_type()
    disposition = (part.get_content_disposition() or "").lower()
    name = attachment_filename(part)
    if name is None and disposition != "attachment" and content_type.startswith(("text/", "message/", "multipart/")):
        return  # the body of the letter, or a bounce's report: kept in the .eml, not a document
    encoded = part.get_payload(decode=False)
    encoded_len = len(encoded) if isinstance(encoded, str) else 0
    decorative = content_type.startswith("image/") and part.get("content-id") and disposition != "attachment"
    if decorative and encoded_len * 3 // 4 < DECORATION_BYTES:
        return  # a logo in the sender's signature
    if not budget.take_file(name or content_type):
        return
    filename = safe_filename(name, content_type, budget.files)
    try:
        stored = _store_payload(part, storage, budget.limits.max_message_bytes)
    except TooLarge:
        budget.note("attachment_too_large", filename)
        return
    _add(parsed, storage, budget, filename, content_type, stored, depth=depth, origin=origin)


def _add(
    parsed: Parsed,
    storage: Storage,
    budget: Budget,
    filename: str,
    declared: str,
    stored: Stored,
    *,
    depth: int,
    origin: str,
) -> None:
    with storage.local_file(stored.path) as path:
        kind = sniff(path, filename)
    if kind.family == Family.EXECUTABLE:
        budget.note("executable", filename)
        return
    if kind.family == Family.ZIP:
        if depth + 1 > budget.limits.max_nesting:
            budget.note("too_deep", f"{filename}: archives nested more than {budget.limits.max_nesting} deep")
            return
        budget.files -= 1  # the archive itself is not a document; its files count instead
        with storage.local_file(stored.path) as path:
            for entry in unpack(path, filename, storage, budget):
                _add(parsed, storage, budget, entry.filename, "", entry.stored, depth=depth + 1, origin=filename)
        return
    parsed.attachments.append(Attachment(filename, declared, stored, kind, origin))


def _store_payload(part: Message, storage: Storage, limit: int) -> Stored:
    cte = str(part.get("content-transfer-encoding", "")).strip().lower()
    payload = part.get_payload(decode=False)
    if cte == "base64" and isinstance(payload, str):
        with storage.writer(limit=limit) as out:
            carry = ""
            for start in range(0, len(payload), SLICE):
                text = carry + "".join(payload[start : start + SLICE].split())
                usable = len(text) - len(text) % 4
                carry = text[usable:]
                if usable:
                    out.write(_b64(text[:usable]))
            if carry:
                out.write(_b64(carry + "=" * (-len(carry) % 4)))
        return out.stored
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        data = b""
    if len(data) > limit:
        raise TooLarge(limit)
    return storage.put_bytes(data)


def _b64(text: str) -> bytes:
    try:
        return binascii.a2b_base64(text.encode("ascii", "ignore"))
    except binascii.Error:
        # Clients that pad in the middle or add junk: decode what is decodable, four characters at a time.
        out = bytearray()
        for i in range(0, len(text), 4):
            try:
                out += binascii.a2b_base64(text[i : i + 4].encode("ascii", "ignore"))
            except binascii.Error:
                continue
        return bytes(out)


def _subject(message: Message) -> str:
    try:
        return str(message.get("subject", "") or "forwarded message")[:100]
    except (ValueError, IndexError):
        return "forwarded message"
