"""A small strict DER reader for the few DSTU 4145 structures we decode.

Why not asn1crypto: it parses lazily and raises a wide range of exception
types from deep inside; the DSTU parsers promise to raise only
:class:`~signatures.dstu.errors.DSTUError`, so they need a reader whose every
failure is one of ours.  Only definite-length, minimally encoded DER is
accepted: a lenient BER reader would give two encodings of one key.
"""

from __future__ import annotations

from dataclasses import dataclass

from signatures.dstu.errors import DSTUError

INTEGER = 0x02
BIT_STRING = 0x03
OCTET_STRING = 0x04
OID = 0x06
SEQUENCE = 0x30

MAX_LENGTH = 1 << 20
"""No DSTU structure we read comes near this; a larger length is an attack or junk."""


@dataclass(frozen=True)
class Tlv:
    """One DER element: its tag byte and its content octets."""

    tag: int
    content: bytes


def read_one(data: bytes) -> Tlv:
    """Decode exactly one element that spans all of ``data``."""
    tlv, rest = read_tlv(data)
    if rest:
        raise DSTUError("trailing bytes after a DER element")
    return tlv


def read_tlv(data: bytes) -> tuple[Tlv, bytes]:
    """Decode the first element of ``data``; return it and what follows."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise DSTUError("DER input must be bytes")
    data = bytes(data)
    if len(data) < 2:
        raise DSTUError("truncated DER element")
    tag = data[0]
    if tag & 0x1F == 0x1F:
        raise DSTUError("multi-byte DER tags are not used by DSTU 4145 structures")
    first = data[1]
    pos = 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0:
            raise DSTUError("indefinite length is not DER")
        if count > 3 or len(data) < pos + count:
            raise DSTUError("bad DER length")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
        if length < 0x80 or length < (1 << (8 * (count - 1))):
            raise DSTUError("non-minimal DER length")
    if length > MAX_LENGTH or len(data) < pos + length:
        raise DSTUError("DER length runs past the data")
    return Tlv(tag, data[pos : pos + length]), data[pos + length :]


def read_children(content: bytes) -> list[Tlv]:
    """Decode the elements inside a constructed element's content."""
    children: list[Tlv] = []
    rest = content
    while rest:
        tlv, rest = read_tlv(rest)
        children.append(tlv)
    return children


def expect(tlv: Tlv, tag: int, what: str) -> bytes:
    """The content of ``tlv``, which must carry ``tag``."""
    if tlv.tag != tag:
        raise DSTUError(f"{what}: expected tag 0x{tag:02x}, got 0x{tlv.tag:02x}")
    return tlv.content


def decode_integer(content: bytes, what: str) -> int:
    """A DER INTEGER's value; only non-negative, minimally encoded values are accepted."""
    if not content:
        raise DSTUError(f"{what}: empty INTEGER")
    if content[0] & 0x80:
        raise DSTUError(f"{what}: negative INTEGER")
    if len(content) > 1 and content[0] == 0 and not content[1] & 0x80:
        raise DSTUError(f"{what}: non-minimal INTEGER")
    return int.from_bytes(content, "big")


def decode_oid(content: bytes) -> str:
    """A DER OBJECT IDENTIFIER in dotted form."""
    if not content or content[-1] & 0x80:
        raise DSTUError("bad OBJECT IDENTIFIER")
    arcs: list[int] = []
    value = 0
    fresh = True
    for byte in content:
        if fresh and byte == 0x80:
            raise DSTUError("non-minimal OBJECT IDENTIFIER arc")
        value = (value << 7) | (byte & 0x7F)
        fresh = not byte & 0x80
        if fresh:
            arcs.append(value)
            value = 0
    first = arcs[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return ".".join(str(arc) for arc in head + arcs[1:])


def encode_tlv(tag: int, content: bytes) -> bytes:
    """DER-encode one element (used to build test data and keys)."""
    length = len(content)
    if length < 0x80:
        return bytes([tag, length]) + content
    raw = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(raw)]) + raw + content


def encode_integer(value: int) -> bytes:
    """DER INTEGER of a non-negative ``value``."""
    raw = value.to_bytes(value.bit_length() // 8 + 1, "big")
    return encode_tlv(INTEGER, raw)


def encode_oid(dotted: str) -> bytes:
    """DER OBJECT IDENTIFIER from dotted form."""
    arcs = [int(part) for part in dotted.split(".")]
    values = [40 * arcs[0] + arcs[1], *arcs[2:]]
    out = bytearray()
    for value in values:
        chunk = [value & 0x7F]
        value >>= 7
        while value:
            chunk.append(0x80 | (value & 0x7F))
            value >>= 7
        out.extend(reversed(chunk))
    return encode_tlv(OID, bytes(out))
