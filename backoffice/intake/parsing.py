"""Taking a stored message apart into the files it brings, each streamed into document storage.

The message is parsed with the standard library (``policy.default``, each header parsed once:
:mod:`backoffice.intake.mimepolicy`) from the stored .eml, never from the network. Base64 bodies are decoded
slice by slice straight into storage. From :data:`SPOOL_MESSAGE_BYTES` on, :class:`_Spooler` first takes each
base64 body of a file out of the way and the parser reads the rest: the body is then decoded from the stored
message itself. So a 25 MB scan is never held in memory as text (the parser's list of lines and the joined
payload used to cost about 130 MB for it), and no base64 body of a file is read line by line in Python.
"""

from __future__ import annotations

import binascii
import mmap
import re
import secrets
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from email.parser import BytesParser
from pathlib import Path
from typing import BinaryIO

from backoffice.documents.classify import Family, FileType, sniff
from backoffice.documents.storage import Storage, Stored, TooLarge
from backoffice.intake import legacy
from backoffice.intake.archives import is_tnef, unpack, unpack_tnef
from backoffice.intake.envelope import HEADER_LIMIT, Envelope, envelope
from backoffice.intake.filenames import attachment_filename, safe_filename
from backoffice.intake.limits import Budget, Limits
from backoffice.intake.mimepolicy import POLICY

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
    #: The bodies the spooler took out of the message while it is parsed (None for a message parsed whole).
    spools: _Spools | None = field(default=None, repr=False)


def parse(path: Path, storage: Storage, limits: Limits) -> Parsed:
    """Every attachment of the message at ``path`` (archives unpacked), stored and sniffed.

    Problems that should stop the message from becoming an application by itself (limits, executables,
    encrypted archives) are noted in ``budget.issues``; only an unreadable file raises.
    """
    size = path.stat().st_size
    if size == 0 or size < SPOOL_MESSAGE_BYTES:  # an empty file cannot be mapped
        with path.open("rb") as fh:
            message = BytesParser(policy=POLICY).parse(fh)
        return _parsed(message, path, storage, limits, None)
    spools = _Spools(path, f"X-Backoffice-Spooled-{secrets.token_hex(8)}")
    with tempfile.SpooledTemporaryFile(SKELETON_IN_MEMORY, prefix="backoffice-mime-") as skeleton:
        with path.open("rb") as source, mmap.mmap(source.fileno(), 0, access=mmap.ACCESS_READ) as raw:
            _Spooler(raw, spools).run(skeleton)
        skeleton.seek(0)
        message = BytesParser(policy=POLICY).parse(skeleton)
    return _parsed(message, path, storage, limits, spools)


def _parsed(message: Message, path: Path, storage: Storage, limits: Limits, spools: _Spools | None) -> Parsed:
    assert isinstance(message, EmailMessage)
    budget = Budget(limits)
    parsed = Parsed(envelope(message), budget=budget, charsets=_declared_charsets(message), raw_path=path)
    parsed.spools = spools
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
        # Imported here: the signature library (pyhanko) costs an intake process 0.4 s and ~40 MB to import, and
        # only an S/MIME message that wraps its content needs it to be opened.
        from signatures import enveloped_content

        data = part.get_payload(decode=True)
        inner = enveloped_content(data) if isinstance(data, bytes) else None
        if inner is None or not isinstance(data, bytes):
            budget.note("encrypted_message", "S/MIME")
            return
        parsed.email_signature = EmailSignature(storage.put_bytes(data), None)
        enclosed = BytesParser(policy=POLICY).parsebytes(inner)
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
        parts = [BytesParser(policy=POLICY).parsebytes(chunk.lstrip(b"\r\n")) for chunk in chunks]
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
    spooled = parsed.spools.of(part) if parsed.spools is not None else None
    encoded = part.get_payload(decode=False)
    encoded_len = spooled.size if spooled is not None else len(encoded) if isinstance(encoded, str) else 0
    decorative = content_type.startswith("image/") and part.get("content-id") and disposition != "attachment"
    if decorative and encoded_len * 3 // 4 < DECORATION_BYTES:
        return  # a logo in the sender's signature
    if not budget.take_file(name or content_type):
        return
    filename = safe_filename(name, content_type, budget.files)
    try:
        stored = _store_payload(part, storage, budget.limits.max_message_bytes, parsed.spools, spooled)
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


def _store_payload(
    part: Message, storage: Storage, limit: int, spools: _Spools | None = None, spooled: _Spooled | None = None
) -> Stored:
    cte = str(part.get("content-transfer-encoding", "")).strip().lower()
    if spools is not None and spooled is not None:
        return _store_base64(spools.slices(spooled), storage, limit)
    payload = part.get_payload(decode=False)
    if cte == "base64" and isinstance(payload, str):
        slices = (payload[start : start + SLICE] for start in range(0, len(payload), SLICE))
        return _store_base64(slices, storage, limit)
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        data = b""
    if len(data) > limit:
        raise TooLarge(limit)
    return storage.put_bytes(data)


def _store_base64(slices: Iterator[str], storage: Storage, limit: int) -> Stored:
    """Decode base64 text slice by slice into storage: only a slice and its decoded bytes are in memory."""
    with storage.writer(limit=limit) as out:
        carry = ""
        for piece in slices:
            text = carry + "".join(piece.split())
            usable = len(text) - len(text) % 4
            carry = text[usable:]
            if usable:
                out.write(_b64(text[:usable]))
        if carry:
            out.write(_b64(carry + "=" * (-len(carry) % 4)))
    return out.stored


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


# -- taking the base64 bodies out of the way of the parser --------------------------------------------------------

#: A message at least this large is read through :class:`_Spooler` first; smaller ones are parsed as they are.
SPOOL_MESSAGE_BYTES = 16 * 1024
#: A base64 body at least this large (encoded) is left in the stored message instead of going into the parsed one.
SPOOL_BODY_BYTES = 8 * 1024
#: The skeleton (the message without the bodies taken out) is kept in memory up to this size, then in a file.
SKELETON_IN_MEMORY = 2 * 1024 * 1024
#: Content types whose payload is read from the parsed message itself (signatures, S/MIME, uuencode, text):
#: never spooled, whatever their size.
_NEVER_SPOOLED = (
    "text/",
    "message/",
    "multipart/",
    "application/pkcs7",
    "application/x-pkcs7",
    *legacy.UUENCODE_TYPES,
)
_HEADER_LINE = re.compile(rb"^(From |[\041-\071\073-\176]*:|[\t ])")
#: A carriage return the parser ends a line at, where this reader does not.
_BARE_CR = re.compile(rb"\r(?!\n)")
#: Bytes of a body searched before their pages are let go.
SCAN_WINDOW = 1024 * 1024


@dataclass
class _Spooled:
    """Where a body taken out of the message lies in the stored message, and how long it is, encoded (what the
    parsed part would have held)."""

    offset: int
    size: int


@dataclass
class _Spools:
    """The bodies taken out of one message; parts name them by a header whose name holds a random token, so a
    header written by the sender can never point at a body, nor at a file of ours."""

    source: Path
    header: str
    bodies: list[_Spooled] = field(default_factory=list)

    def of(self, part: Message) -> _Spooled | None:
        value = part.get(self.header)
        if value is None:
            return None
        try:
            return self.bodies[int(str(value))]
        except (ValueError, IndexError):
            return None

    def slices(self, spooled: _Spooled) -> Iterator[str]:
        """A body as the parser would have given it: ASCII with other bytes escaped, in slices."""
        with self.source.open("rb") as fh:
            fh.seek(spooled.offset)
            left = spooled.size
            while left > 0 and (chunk := fh.read(min(SLICE, left))):
                left -= len(chunk)
                yield chunk.decode("ascii", "surrogateescape")


class _Spooler:
    """Copies a message to a skeleton in which each large base64 leaf body is replaced by a header naming where
    that body lies in the stored message; the skeleton is then parsed by the standard library as usual, so every
    rule of the parser (boundaries, headers, defects) still decides what the message is.

    Why by hand: the standard library's parser reads every body line by line in Python (about 2 µs a line, 4,000
    lines of base64 for a 300 KB scan: taking them out made the parse of the usual mix cost 0.64× its CPU) and
    keeps every body in memory, as a list of lines and then joined (a 35 MB base64 scan cost about 130 MB at its
    peak); no maintained library splits MIME into parts without reading their bodies (the streaming
    ``multipart`` parsers read HTTP form data, not mail; mail libraries build on ``email``). So this class only
    finds where a large body starts and ends, with the searches of :mod:`re` and ``mmap`` over the stored
    message, and leaves the judging to ``email``; the body is then decoded from the stored message slice by
    slice, never copied.

    It is conservative: a body is taken out only when the parser would read exactly those bytes as the body of
    that leaf. The part begins after a delimiter of an enclosing multipart, its header block is made of header
    lines only and ends with an empty line, its type is one whose payload is only ever stored (never a text,
    message, multipart or S/MIME part), its encoding is base64, and it ends at a delimiter of an enclosing
    multipart (or the end of the file, for a message that is one leaf). A carriage return other than a final
    CRLF, at which the parser would end a line where this reader does not, makes it keep that body where it is
    and take out nothing more. Everything else is copied byte for byte.
    """

    def __init__(self, raw: mmap.mmap, spools: _Spools) -> None:
        self.raw = raw
        self.pos = 0
        self.spools = spools
        self.boundaries: list[bytes] = []  # the delimiters ("--" + boundary) of the enclosing multiparts
        #: Set once the message takes a shape this reader might see otherwise than the parser: nothing more is
        #: spooled, and the rest is copied as it is.
        self.confused = False

    def run(self, out: BinaryIO) -> _Spools:
        headers, line = self._header_block()
        if line is not None and self._read_headers(headers):  # one base64 leaf: its body runs to the end
            line = self._body(out, line, headers)
        else:
            out.write(b"".join(headers))
        while line is not None:
            self.confused = self.confused or _bare_cr(line)
            delimiter = self._delimiter(line)
            out.write(line)
            line = self._line()
            if delimiter is None or delimiter.endswith(b"--") or line is None:
                continue
            headers, line = self._header_block(line)
            if line is not None and self._read_headers(headers):
                line = self._body(out, line, headers)
            else:
                out.write(b"".join(headers))
        return self.spools

    def _line(self) -> bytes | None:
        """The next line, with its line ending (lines end at LF only, as a binary file's lines do)."""
        start = self.pos
        if start >= len(self.raw):
            return None
        end = self.raw.find(b"\n", start)
        self.pos = len(self.raw) if end < 0 else end + 1
        return self.raw[start : self.pos]

    def _header_block(self, first: bytes | None = None) -> tuple[list[bytes], bytes | None]:
        """The lines of a header block up to and including its empty line, and the line after it; or the lines
        up to the first that is no header (the parser's body starts there), and that line."""
        block: list[bytes] = []
        line = first if first is not None else self._line()
        size = 0
        while line is not None:
            if line in (b"\n", b"\r\n"):
                block.append(line)
                return block, self._line()
            if self._is_delimiter(line) or not _HEADER_LINE.match(line) or _bare_cr(line) or size > HEADER_LIMIT:
                return block, line
            block.append(line)
            size += len(line)
            line = self._line()
        return block, None

    def _read_headers(self, block: list[bytes]) -> bool:
        """Note a multipart's boundary; True when the block's part is a leaf whose base64 body may be spooled."""
        if not _blank(block):
            return False
        try:
            headers = BytesParser(policy=POLICY).parsebytes(b"".join(block), headersonly=True)
            content_type = headers.get_content_type()
            boundary = headers.get_boundary() if headers.get_content_maintype() == "multipart" else None
            encoding = str(headers.get("content-transfer-encoding", "")).strip().lower()
        except Exception:  # the parser may still read it some way: from here on, nothing is spooled
            self.confused = True
            return False
        if boundary is not None:
            if boundary.isascii():
                self.boundaries.append(b"--" + boundary.encode("ascii"))
            else:  # compared as the parser compares it only in plain ASCII; beyond, stop spooling
                self.confused = True
            return False
        return not self.confused and encoding == "base64" and not content_type.startswith(_NEVER_SPOOLED)

    def _delimiter(self, line: bytes) -> bytes | None:
        """The delimiter ``line`` is, of an enclosing multipart (inner ones end with it), else None."""
        text = _delimiter_text(line)
        if text is None:
            return None
        for depth in range(len(self.boundaries) - 1, -1, -1):
            delimiter = self.boundaries[depth]
            if text in (delimiter, delimiter + b"--"):
                closing = text != delimiter
                del self.boundaries[depth + (0 if closing else 1) :]
                return text
        return None

    def _is_delimiter(self, line: bytes) -> bool:
        text = _delimiter_text(line)
        return text is not None and any(text in (d, d + b"--") for d in self.boundaries)

    def _body_end(self, start: int) -> int | None:
        """Where the first line from ``start`` on that is a delimiter of an enclosing multipart begins (the end of
        the message if none), or None if a carriage return other than a line's final CRLF comes first.

        Only a line that starts with "--" can be a delimiter. Both are searched for a window at a time, and each
        window's pages are let go once searched, so that a big body never counts in the process's
        memory (the pages stay in the page cache, where the slices of the body are read from next)."""
        raw, size = self.raw, len(self.raw)
        if raw[start : start + 2] == b"--" and self._is_delimiter(self._line_at(start)):
            return start
        window = start
        while window < size:
            limit = min(window + SCAN_WINDOW, size)
            bare = _BARE_CR.search(raw, window, min(limit + 1, size))  # the next byte tells a CRLF
            stop = bare.start() if bare is not None and bare.start() < limit else limit
            at = raw.find(b"\n--", window, min(stop + 2, size))
            while 0 <= at < stop:
                if self._is_delimiter(self._line_at(at + 1)):
                    return at + 1
                at = raw.find(b"\n--", at + 1, min(stop + 2, size))
            if stop < limit:
                return None
            if limit - window == SCAN_WINDOW:  # a smaller one is the last: its pages are read again next
                _let_go(raw, window, limit)
            window = limit
        return size

    def _line_at(self, start: int) -> bytes:
        end = self.raw.find(b"\n", start)
        return self.raw[start : len(self.raw) if end < 0 else end + 1]

    def _body(self, out: BinaryIO, line: bytes, headers: list[bytes]) -> bytes | None:
        """Spool or copy the body starting at ``line``, after its header block; returns the line after it: the
        delimiter, or None at the end. With a bare carriage return in it, the body and the rest of the message
        are copied line by line as they are."""
        start = self.pos - len(line)
        end = self._body_end(start)
        if end is None:
            self.confused = True
            out.write(b"".join(headers))
            return line
        if end - start < SPOOL_BODY_BYTES:
            out.write(b"".join(headers))
            out.write(self.raw[start:end])
        else:  # the marker goes before the empty line that ends the block
            self.spools.bodies.append(_Spooled(start, end - start))
            ending = b"\r\n" if headers[-1].endswith(b"\r\n") else b"\n"
            out.write(b"".join(headers[:-1]))
            out.write(f"{self.spools.header}: {len(self.spools.bodies) - 1}".encode() + ending + headers[-1])
        self.pos = end
        return self._line()


def _let_go(raw: mmap.mmap, start: int, end: int) -> None:
    """Drop the whole pages of ``raw[start:end]`` from the process (a read-only file mapping: they are read again
    from the page cache if needed)."""
    first = start - start % mmap.PAGESIZE
    last = end - end % mmap.PAGESIZE
    if last > first:
        raw.madvise(mmap.MADV_DONTNEED, first, last - first)


def _delimiter_text(line: bytes) -> bytes | None:
    """``line`` without its line ending and trailing blanks, when it may be a delimiter line (as the parser's
    ``--boundary(--)?[ \\t]*(line ending)?$`` reads it)."""
    if not line.startswith(b"--") or _bare_cr(line):
        return None
    return line.rstrip(b"\r\n").rstrip(b" \t")


def _blank(block: list[bytes]) -> bool:
    """Whether the block ends with its empty line (else the parser took its body to start without one)."""
    return bool(block) and block[-1] in (b"\n", b"\r\n")


def _bare_cr(line: bytes) -> bool:
    """A carriage return that is not the end of a CRLF: the parser ends a line there, this reader does not."""
    count = line.count(b"\r")
    return count > 1 or (count == 1 and not line.endswith(b"\r\n"))
