"""Taking a stored message apart into the files it brings, each streamed into document storage.

The message is parsed with the standard library (``policy.default``) from the stored .eml, never from the
network. Base64 bodies are decoded slice by slice straight into storage, so a 25 MB scan exists once as text
inside the parsed message and once on disk, not as several whole copies in memory.
"""

from __future__ import annotations

import binascii
import mmap
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from pathlib import Path

import signatures
from backoffice.documents.classify import Family, FileType, sniff
from backoffice.documents.storage import Storage, Stored, TooLarge
from backoffice.intake import legacy
from backoffice.intake.archives import is_tnef, unpack, unpack_tnef
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


@dataclass(frozen=True)
class EmailSignature:
    """The S/MIME signature of the email itself (not of a document it brings), to be verified after commit.

    ``content`` is the signed MIME part exactly as transmitted (``multipart/signed``), None when the signature
    envelops its content (``application/pkcs7-mime``)."""

    signature: Stored
    content: Stored | None


@dataclass
class Parsed:
    envelope: Envelope
    attachments: list[Attachment] = field(default_factory=list)
    budget: Budget | None = None
    email_signature: EmailSignature | None = None
    raw_path: Path | None = None
    #: The charsets the message declares (its own, then its text parts'): a raw 8-bit name is read in these
    #: before any guess.
    charsets: tuple[str, ...] = ()


def parse(path: Path, storage: Storage, limits: Limits) -> Parsed:
    """Every attachment of the message at ``path`` (archives unpacked), stored and sniffed.

    Problems that should stop the message from becoming an application by itself (limits, executables,
    encrypted archives) are noted in ``budget.issues``; only an unreadable file raises.
    """
    with path.open("rb") as fh:
        message = BytesParser(policy=policy.default).parse(fh)
    assert isinstance(message, EmailMessage)
    budget = Budget(limits)
    parsed = Parsed(envelope(message), budget=budget, charsets=_declared_charsets(message), raw_path=path)
    _walk(message, parsed, storage, budget, depth=0, mime_depth=0, origin="")
    return parsed


def _declared_charsets(message: Message) -> tuple[str, ...]:
    found: list[str] = []
    for part in [message, *(p for p in message.walk() if p.get_content_maintype() == "text")][:20]:
        charset = part.get_param("charset")
        if isinstance(charset, str) and charset.strip() and charset.lower() not in ("us-ascii", "ascii"):
            found.append(charset.strip())
    return tuple(dict.fromkeys(found))


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
    if content_type == "multipart/signed" and "pkcs7-signature" in str(part.get_param("protocol") or "").lower():
        payload = part.get_payload()
        if isinstance(payload, list) and len(payload) == 2:
            # S/MIME: the email's own signature over its first part, whose files are documents like any others.
            parsed.email_signature = _detached_smime(part, payload[1], parsed, storage)
            _walk(payload[0], parsed, storage, budget, depth=depth, mime_depth=mime_depth + 1, origin=origin)
            return
    if content_type in SMIME_ENVELOPING:
        if "enveloped" in str(part.get_param("smime-type") or "").lower():
            budget.note("encrypted_message", "S/MIME")
            return
        data = part.get_payload(decode=True)
        inner = signatures.enveloped_content(data) if isinstance(data, bytes) else None
        if inner is None or not isinstance(data, bytes):
            budget.note("encrypted_message", "S/MIME")
            return
        parsed.email_signature = EmailSignature(storage.put_bytes(data), None)
        enclosed = BytesParser(policy=policy.default).parsebytes(inner)
        _walk(enclosed, parsed, storage, budget, depth=depth, mime_depth=mime_depth + 1, origin=origin)
        return
    if part.is_multipart():
        payload = part.get_payload()
        for sub in payload if isinstance(payload, list) else []:
            _walk(sub, parsed, storage, budget, depth=depth, mime_depth=mime_depth + 1, origin=origin)
        return
    if part.get_content_maintype() == "multipart":
        # The declared boundary never appears (a mistyped or missing boundary parameter): find the one the parts
        # are actually separated by, and take them as if it had been declared.
        for sub in _salvage(part):
            _walk(sub, parsed, storage, budget, depth=depth, mime_depth=mime_depth + 1, origin=origin)
        return
    _leaf(part, parsed, storage, budget, depth=depth, origin=origin)


SMIME_ENVELOPING = frozenset({"application/pkcs7-mime", "application/x-pkcs7-mime"})


def _detached_smime(part: Message, signature: Message, parsed: Parsed, storage: Storage) -> EmailSignature | None:
    """The signature and the exact bytes it covers: the first body part as it was transmitted, between the
    boundary lines, in canonical CRLF form (RFC 8551 section 3.5; a Maildir may have stored LF endings)."""
    data = signature.get_payload(decode=True)
    boundary = part.get_boundary()
    if not isinstance(data, bytes) or not boundary or parsed.raw_path is None:
        return None
    delimiter = b"--" + boundary.encode("utf-8", "surrogateescape")
    with parsed.raw_path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as raw:
        start = raw.find(delimiter)
        start = raw.find(b"\n", start) + 1 if start >= 0 else -1
        end = raw.find(b"\n" + delimiter, start) if start > 0 else -1
        if end < 0:
            return None
        signed = raw[start:end]
    signed = signed.removesuffix(b"\r")
    signed = re.sub(rb"(?<!\r)\n", b"\r\n", signed)
    return EmailSignature(storage.put_bytes(data), storage.put_bytes(signed))


_DELIMITER = re.compile(rb"^--([\x21-\x7e]{1,70})[ \t]*\r?$", re.MULTILINE)


def _salvage(part: Message) -> list[Message]:
    """The parts of a multipart whose declared boundary is wrong, split on the delimiter line that occurs most
    often and is followed by part headers. Nothing is found in a body that has no such line."""
    body = part.get_payload(decode=False)
    if not isinstance(body, str):
        return []
    raw = body.encode("utf-8", "surrogateescape")
    counts: dict[bytes, int] = {}
    for found in _DELIMITER.finditer(raw):
        boundary = found.group(1).removesuffix(b"--")
        counts[boundary] = counts.get(boundary, 0) + 1
    for boundary, _count in sorted(counts.items(), key=lambda item: -item[1]):
        chunks = re.split(rb"(?m)^--" + re.escape(boundary) + rb"(?:--)?[ \t]*\r?\n?", raw)[1:]
        parts = [BytesParser(policy=policy.default).parsebytes(chunk.lstrip(b"\r\n")) for chunk in chunks]
        parts = [p for p in parts if p.keys()]
        if parts:
            return parts
    return []


def _leaf(part: Message, parsed: Parsed, storage: Storage, budget: Budget, *, depth: int, origin: str) -> None:
    content_type = part.get_content_type()
    disposition = (part.get_content_disposition() or "").lower()
    name = attachment_filename(part, parsed.charsets)
    text = _text_of(part) if content_type.startswith("text/") or content_type in legacy.UUENCODE_TYPES else ""
    if legacy.is_binhex(content_type, name, text):
        budget.note("binhex", safe_filename(name, content_type, budget.files + 1))
        return
    if text and legacy.has_uuencode(text):
        # uuencoded files: a part of their own, or blocks inside the text of the letter (old clients)
        for uu in legacy.uudecode(text, limit=budget.limits.max_message_bytes):
            if not budget.take_file(uu.name):
                return
            stored = storage.put_bytes(uu.data)
            _add(parsed, storage, budget, safe_filename(uu.name), "", stored, depth=depth, origin=origin)
        return
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
    with storage.open(stored.path) as fh:
        head = fh.read(8)
    if is_tnef(head):
        # Outlook's winmail.dat: the container is not a document, the files inside it are.
        budget.files -= 1
        with storage.local_file(stored.path) as path:
            for entry in unpack_tnef(path, filename, storage, budget):
                _add(parsed, storage, budget, entry.filename, "", entry.stored, depth=depth + 1, origin=filename)
        return
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


def _text_of(part: Message) -> str:
    """A text part's content as text, whatever its declared charset (never raises)."""
    try:
        data = part.get_payload(decode=True)
    except Exception:  # the library gives up on some broken encodings
        return ""
    if not isinstance(data, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return data.decode(charset, "replace")
    except LookupError:
        return data.decode("utf-8", "replace")


def _subject(message: Message) -> str:
    try:
        return str(message.get("subject", "") or "forwarded message")[:100]
    except (ValueError, IndexError):
        return "forwarded message"
