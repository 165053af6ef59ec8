"""GOST 34.311-95 hash (the Ukrainian adoption of GOST R 34.11-94).

Why hand-written: it is the hash of most Ukrainian qualified signatures
(DSTU 4145 "with GOST 34.311"), and no maintained Python library offers it
with the DSTU S-box; pygost has GOST R 34.11-94 only with Russian S-boxes.

Defaults are the ones Ukrainian certificates use: S-box ДКЕ No. 1
(:data:`~signatures.dstu.gost28147.DEFAULT_SBOX`) and a zero start vector.
Other S-boxes (a DKE from the key's parameters, the standard's test S-box) can
be passed in.

Representation: the 256-bit values H, M, Σ are Python ints read little-endian
(byte 0 is the least significant), so the standard's A and ψ transforms are
shifts and XORs on one int.  The one byte transposition (key derivation P)
works on bytes.
"""

from __future__ import annotations

import struct

from signatures.dstu.errors import DSTUError
from signatures.dstu.gost28147 import DEFAULT_SBOX, SBox, Tables, encrypt_words, round_tables

DIGEST_SIZE = 32
BLOCK_SIZE = 32

_MASK64 = (1 << 64) - 1
_MASK256 = (1 << 256) - 1
_C3 = sum(0xFF << (8 * i) for i in (1, 3, 5, 7, 8, 10, 12, 14, 17, 18, 20, 23, 24, 28, 29, 31))
"""The constant C3 of the key derivation, as a little-endian int."""


def _psi_power_rows(power: int) -> tuple[int, ...]:
    """Rows for ψ^power as a word-level linear map.

    ψ acts on the sixteen 16-bit words of a block and every output word is an
    XOR of input words (the same for all 16 bit positions), so ψ^power is a
    16x16 matrix over words.  Row ``i`` holds, spaced 16 bits apart, the output
    words that input word ``i`` feeds; multiplying a 16-bit word by it places
    copies without carries.  ψ^12 and ψ^61 then cost 16 multiplications
    instead of 73 sequential shifts.
    """
    rows = []
    for i in range(16):
        y = 1 << (16 * i)  # input word i = 1, others 0 (one bit lane suffices)
        for _ in range(power):
            words = [(y >> (16 * j)) & 0xFFFF for j in range(16)]
            fresh = words[0] ^ words[1] ^ words[2] ^ words[3] ^ words[12] ^ words[15]
            y = (y >> 16) | (fresh << 240)
        rows.append(y)
    return tuple(rows)


_PSI12 = _psi_power_rows(12)
_PSI61 = _psi_power_rows(61)
_WORDS = struct.Struct("<16H")


def _psi_power(y: int, rows: tuple[int, ...]) -> int:
    out = 0
    for word, row in zip(_WORDS.unpack(y.to_bytes(32, "little")), rows, strict=True):
        if word:
            out ^= word * row
    return out


def _psi(y: int) -> int:
    fresh = (y ^ (y >> 16) ^ (y >> 32) ^ (y >> 48) ^ (y >> 192) ^ (y >> 240)) & 0xFFFF
    return (y >> 16) | (fresh << 240)


def _a(y: int) -> int:
    return (y >> 64) | (((y ^ (y >> 64)) & _MASK64) << 192)


_KEY = struct.Struct("<8I")


def _p(w: int) -> tuple[int, ...]:
    """Key transposition P: key byte i+4j is byte 8i+j of W; return the key words."""
    b = w.to_bytes(32, "little")
    return _KEY.unpack(b[0::8] + b[1::8] + b[2::8] + b[3::8] + b[4::8] + b[5::8] + b[6::8] + b[7::8])


class Gost34311:
    """Incremental GOST 34.311-95 hash with the ``hashlib``-style interface."""

    digest_size = DIGEST_SIZE
    block_size = BLOCK_SIZE
    name = "gost34311"

    def __init__(self, data: bytes = b"", *, sbox: SBox = DEFAULT_SBOX, iv: bytes = bytes(32)) -> None:
        if len(iv) != 32:
            raise DSTUError("the GOST 34.311 start vector is 32 bytes")
        self._sbox = sbox
        self._tables = round_tables(sbox)
        self._h = int.from_bytes(iv, "little")
        self._sigma = 0
        self._length = 0
        self._buffer = b""
        if data:
            self.update(data)

    def copy(self) -> Gost34311:
        clone = Gost34311.__new__(Gost34311)
        clone.__dict__.update(self.__dict__)
        return clone

    def update(self, data: bytes) -> None:
        if not isinstance(data, bytes | bytearray | memoryview):
            raise DSTUError("GOST 34.311 hashes bytes")
        buffer = self._buffer + bytes(data)
        # Keep the last block (even a full one) for finalisation: the standard
        # pads and processes the final block there, whatever its length.
        full = (len(buffer) - 1) // BLOCK_SIZE if buffer else 0
        if full > 0:
            h, sigma = self._h, self._sigma
            tables = self._tables
            step = _step
            for offset in range(0, full * BLOCK_SIZE, BLOCK_SIZE):
                m = int.from_bytes(buffer[offset : offset + BLOCK_SIZE], "little")
                h = step(h, m, tables)
                sigma += m
            self._h, self._sigma = h, sigma & _MASK256
            self._length += full * BLOCK_SIZE
            buffer = buffer[full * BLOCK_SIZE :]
        self._buffer = buffer

    def digest(self) -> bytes:
        tables = self._tables
        last = self._buffer
        h, sigma = self._h, self._sigma
        if last:
            # The final block, zero-padded at the high end.  An empty message
            # has no block at all: the published vectors (H("") of the
            # standard's test S-box) skip it rather than hash a zero block.
            m = int.from_bytes(last, "little")
            h = _step(h, m, tables)
            sigma = (sigma + m) & _MASK256
        bits = ((self._length + len(last)) * 8) & _MASK256
        h = _step(h, bits, tables)
        h = _step(h, sigma, tables)
        return h.to_bytes(32, "little")

    def hexdigest(self) -> str:
        return self.digest().hex()


def _step(h: int, m: int, tables: Tables) -> int:
    """One compression step H' = f(H, M) of GOST 34.311-95."""
    u, v = h, m
    w = u ^ v
    k1 = _p(w)
    u = _a(u)
    v = _a(_a(v))
    k2 = _p(u ^ v)
    u = _a(u) ^ _C3
    v = _a(_a(v))
    k3 = _p(u ^ v)
    u = _a(u)
    v = _a(_a(v))
    k4 = _p(u ^ v)
    s = 0
    for i, key in enumerate((k1, k2, k3, k4)):
        block = (h >> (64 * i)) & _MASK64
        out1, out2 = encrypt_words(block & 0xFFFFFFFF, block >> 32, key, tables)
        s |= (out1 | (out2 << 32)) << (64 * i)
    return _psi_power(h ^ _psi(m ^ _psi_power(s, _PSI12)), _PSI61)


def gost34311(data: bytes, *, sbox: SBox = DEFAULT_SBOX) -> bytes:
    """GOST 34.311-95 digest of ``data`` (ДКЕ No. 1 and zero IV unless told otherwise)."""
    return Gost34311(data, sbox=sbox).digest()
