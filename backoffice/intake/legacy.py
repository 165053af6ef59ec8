"""Attachments in the encodings of older mail programs: uuencode blocks and BinHex.

uuencode is still what some old clients and scanners write, either as a part of its own
(``application/x-uuencode``) or as ``begin 644 name`` blocks inside the text of the letter. The standard
library decodes a part sent with ``Content-Transfer-Encoding: x-uuencode``, but not these two shapes, and its
``uu`` module is deprecated (removed in Python 3.13), so the blocks are decoded here, line by line, with
``binascii.a2b_uu``. A damaged line is skipped rather than failing the file.

BinHex 4.0 (``application/mac-binhex40``, ``.hqx``) is not decoded: Python 3.11 removed its codec, no
maintained library reads it, and a supplier's customer never needs it. Such a file is quarantined with a
reason that tells the operator what to ask for.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Iterator
from dataclasses import dataclass

_BEGIN = re.compile(r"^begin(?:-base64)?\s+[0-7]{3,4}\s+(.+?)\s*$")
BINHEX_TYPES = frozenset({"application/mac-binhex40", "application/mac-binhex", "application/binhex"})
UUENCODE_TYPES = frozenset({"application/x-uuencode", "text/x-uuencode", "application/uuencode"})


@dataclass(frozen=True)
class UuFile:
    name: str
    data: bytes


def is_binhex(content_type: str, name: str | None, text_start: str = "") -> bool:
    return (
        content_type in BINHEX_TYPES
        or (name or "").lower().endswith(".hqx")
        or "(This file must be converted with BinHex" in text_start[:200]
    )


def has_uuencode(text: str) -> bool:
    return any(_BEGIN.match(line) for line in text.splitlines()[:10_000])


def uudecode(text: str, *, limit: int) -> Iterator[UuFile]:
    """Every ``begin … end`` block in ``text``, decoded; at most ``limit`` bytes in all."""
    name: str | None = None
    out = bytearray()
    used = 0
    for line in text.splitlines():
        if name is None:
            found = _BEGIN.match(line)
            if found:
                name, out = found.group(1), bytearray()
            continue
        if line.strip() == "end":
            used += len(out)
            if used > limit:
                return
            yield UuFile(name, bytes(out))
            name = None
            continue
        if not line or line in ("`", " "):
            continue
        try:
            out += binascii.a2b_uu(line)
        except binascii.Error:
            # Some encoders pad short lines wrongly: the length byte says how many bytes the line holds.
            try:
                count = (ord(line[0]) - 32) & 0x3F
                out += binascii.a2b_uu(line[: 1 + (count * 4 + 2) // 3].ljust(1 + (count * 4 + 2) // 3, " "))
            except (binascii.Error, IndexError):
                continue
