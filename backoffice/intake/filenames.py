"""Attachment names as the sender's mail client meant them, whatever it did to encode them.

The standard library decodes well-formed RFC 2231 and RFC 2047 names, but what Ukrainian customers' clients
send is often not well-formed: Outlook puts RFC 2047 encoded words inside quoted parameters (forbidden by
the RFC, done by everyone), some clients leave them unquoted, split one encoded word across RFC 2231
continuations, send raw UTF-8 or Windows-1251 bytes, or label Windows-1251 bytes as UTF-8. Each of these
comes out as the name the customer saw on their screen, or at worst as a safe placeholder, never as a crash.
"""

from __future__ import annotations

import codecs
import mimetypes
import re
import unicodedata
from collections.abc import Sequence
from email.header import decode_header
from email.message import EmailMessage, Message
from urllib.parse import quote, unquote_to_bytes

#: Charsets guessed, for bytes whose charset is missing or wrong: UTF-8 if it decodes, else the most readable.
FALLBACK_CHARSETS = ("utf-8", "cp1251", "koi8-u", "cp1252", "iso-8859-1")
MAX_NAME = 200

_PARAM = re.compile(
    r"""\s*([A-Za-z0-9_\-]+)(?:\*(\d+))?(\*)?\s*=\s*("(?:[^"\\]|\\.)*"?|[^;]*)""",
    re.DOTALL,
)
_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?]*\?=")
_CYRILLIC_LOWER = re.compile(r"[а-яіїєґё]")
_CYRILLIC = re.compile(r"[А-ЯЁІЇЄҐа-яёіїєґ]")
_LATIN = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ]")
_ACCENTED_RUN = re.compile(r"[À-ÖØ-öø-ÿ]{2,}")
_WORD = re.compile(r"\w+")
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')


def attachment_filename(part: Message, declared: Sequence[str] = ()) -> str | None:
    """The decoded file name of a MIME part, or None when it has none (Content-Disposition first).

    ``declared``: the charsets the message declares elsewhere (its body's, its top part's). Raw 8-bit names are
    read in the part's own charset first, then in those, and only then guessed.
    """
    own = part.get_param("charset") if isinstance(part, Message) else None
    declared = tuple(c for c in (own if isinstance(own, str) else None, *declared) if c)
    raw = {name.lower(): value for name, value in part.raw_items()} if isinstance(part, EmailMessage) else {}
    for header, param in (("content-disposition", "filename"), ("content-type", "name")):
        value = raw.get(header)
        if value is None:
            value = part.get(header)
        if value is None:
            continue
        name = _from_params(str(value), param, declared)
        if name:
            return name
    try:
        fallback = part.get_filename()
    except (ValueError, LookupError, AttributeError, IndexError):  # the library gives up on some broken input
        return None
    return fallback or None


def storable(text: str, limit: int) -> str:
    """Text any database column takes: no NUL (PostgreSQL refuses it), no lone surrogate (no encoder writes one),
    at most ``limit`` characters. Whatever a message carries, its row can always be written."""
    text = text.replace("\x00", "")
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        text = "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in text)
    return text[:limit]


def safe_filename(name: str | None, content_type: str = "", index: int = 1) -> str:
    """A name fit for storage and display: no path, no control characters, an extension, a sane length."""
    if name:
        name = unicodedata.normalize("NFC", storable(name, 10 * MAX_NAME))
        name = name.replace("\\", "/").rsplit("/", 1)[-1]
        name = _UNSAFE.sub("_", name).strip(" .")
    if not name:
        ext = mimetypes.guess_extension(content_type or "") or ".bin"
        name = f"attachment-{index}{ext}"
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: MAX_NAME - len(ext) - 1] + "." + ext) if dot and len(ext) <= 10 else name[:MAX_NAME]
    return name


def decode_text(value: str, declared: Sequence[str] = ()) -> str:
    """A header text that may hold encoded words or raw 8-bit bytes, as readable text."""
    value = from_raw_bytes(value, declared)
    if "=?" in value:
        value = _decode_encoded_words(value)
    return " ".join(value.split())


def _from_params(header: str, wanted: str, declared: Sequence[str]) -> str | None:
    params = _parse_params(header)
    extended = sorted((n, v, star) for key, n, v, star in params if key == wanted and (n is not None or star))
    if extended:
        return _join_rfc2231(extended, declared)
    plain = [v for key, n, v, star in params if key == wanted and n is None and not star]
    if plain:
        return decode_text(plain[0], declared) or None
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


def _join_rfc2231(sections: list[tuple[int | None, str, bool]], declared: Sequence[str]) -> str | None:
    charset = ""
    encoded = []
    text_mode = True
    for i, (_, value, star) in enumerate(sections):
        value = from_raw_bytes(value, declared)
        if star:
            text_mode = False
            if i == 0 and value.count("'") >= 2:
                charset, _lang, value = value.split("'", 2)
            encoded.append(value)
        else:
            encoded.append(quote(value, safe=""))
    # Joined before unquoting: some clients split a %XX escape across two sections.
    data = unquote_to_bytes("".join(encoded).encode("utf-8", "surrogateescape"))
    text = decode_bytes(data, charset or None, declared)
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
            parts.append(decode_bytes(chunk, charset))
        else:
            parts.append(chunk)
    return "".join(parts)


def from_raw_bytes(value: str, declared: Sequence[str] = ()) -> str:
    """Header text holding raw 8-bit bytes (kept by the parser as surrogates) decoded by the best charset.

    UTF-8 comes first among the guesses: it is what RFC 6532 (internationalised addresses and headers)
    prescribes, and bytes that are not UTF-8 almost never decode as it by chance.
    """
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    return decode_bytes(value.encode("utf-8", "surrogateescape"), None, declared)


def decode_bytes(data: bytes, charset: str | None, declared: Sequence[str] = ()) -> str:
    """``data`` as the sender meant it: in the charset it is labelled with, then in the charsets the message
    declares, then by the most readable of the usual guesses. A labelled charset is trusted when its text is
    plausible (no control characters, no line-drawing); a UTF-8 text whose only fault is a last character cut
    short (some webmail cuts long names by bytes) keeps its text, with a replacement mark for that character.
    """
    for name in dict.fromkeys(_charset_name(c) for c in (charset, *declared) if c):
        text = _strict(data, name)
        if text is not None and _penalty(text) == 0:
            return text
        if name == "utf-8" and (cut := _cut_utf8(data)) is not None:
            return cut
    decoded: list[str] = []
    for name in FALLBACK_CHARSETS:
        text = _strict(data, name)
        if text is None:
            if name == "utf-8" and (cut := _cut_utf8(data)) is not None:
                return cut
            continue
        if name == "utf-8":
            return text  # bytes that decode as UTF-8 are UTF-8
        decoded.append(text)
    if not decoded:
        return data.decode("utf-8", "replace")
    return max(decoded, key=_readability)


def _charset_name(charset: str) -> str:
    try:
        return codecs.lookup(charset.strip().strip('"')).name
    except LookupError:
        return charset


def _strict(data: bytes, charset: str) -> str | None:
    try:
        return data.decode(charset)
    except (UnicodeDecodeError, LookupError):
        return None


def _cut_utf8(data: bytes) -> str | None:
    """UTF-8 whose only error is a character cut off at the very end."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data" and exc.start >= len(data) - 3 and exc.start > 0:
            return data[: exc.start].decode("utf-8") + "\ufffd"
    return None


def _penalty(text: str) -> int:
    """How unlike written text a decoding is: control and line-drawing characters, words mixing Latin and
    Cyrillic letters (Latin-1 bytes read as Cyrillic: "Frцsche"), and runs of accented Latin letters (Cyrillic
    bytes read as Latin-1: "Çàÿâà"), which no language writes."""
    bad = sum(1 for ch in text if unicodedata.category(ch) in {"Cc", "Cf", "Co", "Cn", "So", "Sk"} and ch != "\t")
    mixed = sum(1 for word in _WORD.findall(text) if _LATIN.search(word) and _CYRILLIC.search(word))
    accented_runs = len(_ACCENTED_RUN.findall(text))
    return 3 * bad + 2 * mixed + accented_runs


def _readability(text: str) -> tuple[int, int, int]:
    return (-_penalty(text), len(_CYRILLIC_LOWER.findall(text)), sum(1 for ch in text if ch.islower()))
