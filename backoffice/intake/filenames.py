"""Attachment names as the sender's mail client meant them, whatever it did to encode them.

The standard library decodes well-formed RFC 2231 and RFC 2047 names, but what Ukrainian customers' clients
send is often not well-formed: Outlook puts RFC 2047 encoded words inside quoted parameters (forbidden by
the RFC, done by everyone), some clients leave them unquoted, split one encoded word across RFC 2231
continuations, send raw UTF-8 or Windows-1251 bytes, or label Windows-1251 bytes as UTF-8. Each of these
comes out as the name the customer saw on their screen, or at worst as a safe placeholder, never as a crash.
"""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from email.header import decode_header
from email.message import EmailMessage, Message
from urllib.parse import quote, unquote_to_bytes

#: Charsets tried, in order, for bytes whose charset is missing or wrong.
FALLBACK_CHARSETS = ("utf-8", "cp1251", "koi8-u")
MAX_NAME = 200

_PARAM = re.compile(
    r"""\s*([A-Za-z0-9_\-]+)(?:\*(\d+))?(\*)?\s*=\s*("(?:[^"\\]|\\.)*"?|[^;]*)""",
    re.DOTALL,
)
_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?]*\?=")
_CYRILLIC_LOWER = re.compile(r"[а-яіїєґё]")
_CYRILLIC = re.compile(r"[А-ЯЁІЇЄҐа-яёіїєґ]")
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')


def attachment_filename(part: Message) -> str | None:
    """The decoded file name of a MIME part, or None when it has none (Content-Disposition first)."""
    raw = {name.lower(): value for name, value in part.raw_items()} if isinstance(part, EmailMessage) else {}
    for header, param in (("content-disposition", "filename"), ("content-type", "name")):
        value = raw.get(header)
        if value is None:
            value = part.get(header)
        if value is None:
            continue
        name = _from_params(str(value), param)
        if name:
            return name
    try:
        fallback = part.get_filename()
    except (ValueError, LookupError, AttributeError, IndexError):  # the library gives up on some broken input
        return None
    return fallback or None


def safe_filename(name: str | None, content_type: str = "", index: int = 1) -> str:
    """A name fit for storage and display: no path, no control characters, an extension, a sane length."""
    if name:
        name = unicodedata.normalize("NFC", name)
        name = name.replace("\\", "/").rsplit("/", 1)[-1]
        name = _UNSAFE.sub("_", name).strip(" .")
    if not name:
        ext = mimetypes.guess_extension(content_type or "") or ".bin"
        name = f"attachment-{index}{ext}"
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: MAX_NAME - len(ext) - 1] + "." + ext) if dot and len(ext) <= 10 else name[:MAX_NAME]
    return name


def decode_text(value: str) -> str:
    """A header text that may hold encoded words or raw 8-bit bytes, as readable text."""
    value = _from_raw_bytes(value)
    if "=?" in value:
        value = _decode_encoded_words(value)
    return " ".join(value.split())


def _from_params(header: str, wanted: str) -> str | None:
    params = _parse_params(header)
    extended = sorted((n, v, star) for key, n, v, star in params if key == wanted and (n is not None or star))
    if extended:
        return _join_rfc2231(extended)
    plain = [v for key, n, v, star in params if key == wanted and n is None and not star]
    if plain:
        return decode_text(plain[0]) or None
    return None


def _parse_params(header: str) -> list[tuple[str, int | None, str, bool]]:
    """(name, section, value, extended) for every parameter after the first ';', tolerant of broken quoting."""
    _, _, rest = header.partition(";")
    out: list[tuple[str, int | None, str, bool]] = []
    pos = 0
    while pos < len(rest):
        match = _PARAM.match(rest, pos)
        if not match:
            nxt = rest.find(";", pos)
            if nxt < 0:
                break
            pos = nxt + 1
            continue
        name, section, star, value = match.groups()
        value = value.strip()
        if value.startswith('"'):
            value = value[1:-1] if value.endswith('"') and len(value) > 1 else value[1:]
            value = re.sub(r"\\(.)", r"\1", value)
        value = re.sub(r"\r?\n[ \t]", "", value)  # a folded line inside the value
        out.append((name.lower(), int(section) if section is not None else None, value, bool(star)))
        pos = match.end()
        if pos < len(rest) and rest[pos] == ";":
            pos += 1
    return out


def _join_rfc2231(sections: list[tuple[int | None, str, bool]]) -> str | None:
    charset = ""
    encoded = []
    text_mode = True
    for i, (_, value, star) in enumerate(sections):
        value = _from_raw_bytes(value)
        if star:
            text_mode = False
            if i == 0 and value.count("'") >= 2:
                charset, _lang, value = value.split("'", 2)
            encoded.append(value)
        else:
            encoded.append(quote(value, safe=""))
    # Joined before unquoting: some clients split a %XX escape across two sections.
    data = unquote_to_bytes("".join(encoded).encode("utf-8", "surrogateescape"))
    text = _decode_bytes(data, charset or None)
    if text_mode or "=?" in text:  # an encoded word split across continuations (seen in the wild)
        text = _decode_encoded_words(text)
    return text.strip() or None


def _decode_encoded_words(value: str) -> str:
    # Outlook folds a long name into several encoded words; whitespace between them is not part of the name.
    joined = re.sub(r"(\?=)\s+(=\?)", r"\1\2", value)
    parts: list[str] = []
    try:
        chunks = decode_header(joined)
    except (ValueError, LookupError):  # malformed base64 or quoted-printable
        return value
    for chunk, charset in chunks:
        if isinstance(chunk, bytes):
            parts.append(_decode_bytes(chunk, charset))
        else:
            parts.append(chunk)
    return "".join(parts)


def _from_raw_bytes(value: str) -> str:
    """Header text holding raw 8-bit bytes (kept by the parser as surrogates) decoded by the best charset."""
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    return _decode_bytes(value.encode("utf-8", "surrogateescape"), None)


def _decode_bytes(data: bytes, charset: str | None) -> str:
    candidates: list[str] = []
    if charset:
        candidates.append(charset)
    candidates.extend(c for c in FALLBACK_CHARSETS if c not in candidates)
    decoded: list[str] = []
    for name in candidates:
        try:
            text = data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
        if name in ("utf-8", "ascii") or (name == charset and name.lower().replace("_", "-") not in _SINGLE_BYTE):
            return text
        decoded.append(text)
    if not decoded:
        return data.decode("utf-8", "replace")
    # Single-byte Cyrillic charsets all decode anything; the right one reads as words (mostly lower case).
    return max(decoded, key=_readability)


_SINGLE_BYTE = {"cp1251", "windows-1251", "koi8-r", "koi8-u", "iso-8859-5", "cp866"}


def _readability(text: str) -> tuple[int, int]:
    return (len(_CYRILLIC_LOWER.findall(text)), len(_CYRILLIC.findall(text)))
