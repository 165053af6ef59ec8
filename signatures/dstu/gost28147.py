"""GOST 28147-89 block cipher: what GOST 34.311-95 hashing is built on.

Why hand-written: no maintained Python library implements GOST 28147-89 with
the S-boxes Ukrainian implementations use.  Only encryption of single 64-bit
blocks is provided (the hash needs nothing else); it is kept small and fast.

S-boxes ("замінні вузли", ДКЕ) are eight 16-entry permutations K1..K8; K1
substitutes the least significant nibble of the 32-bit half-block.  Ukraine
ships them packed in 64 bytes ("DKE", as in the ``dke`` field of DSTU 4145
parameters): K1 first, two entries a byte, high nibble first.
"""

from __future__ import annotations

import struct
from functools import lru_cache

from signatures.dstu.errors import DSTUError

SBox = tuple[tuple[int, ...], ...]
"""Eight rows K1..K8 of sixteen 4-bit values."""

DKE_1 = bytes.fromhex(
    "a9d6eb45f13c708280c4967b231f5eadf658eba4c037291d38d96bf025ca4e17"
    "f8e9720dc615b43a28975f0bc1dea36438b564ea2c179fd0123e6db8fac57904"
)
"""ДКЕ No. 1, the S-box of the DSTU 4145 standard and the default of Ukrainian
implementations (the ``dke`` of DSTU 4145 parameters when it is left out)."""

TEST_SBOX_ROWS = (
    "4a92d80e6b1c7f53",
    "eb4c6dfa23810759",
    "581da342efc7609b",
    "7da1089fe46cb253",
    "6c715fd84a9e03b2",
    "4ba0721d36859cfe",
    "db413f590ae7682c",
    "1fd057a4923e6b8c",
)
"""The test S-box of GOST R 34.11-94 / GOST 34.311-95 annex A (RFC 4357's
id-GostR3411-94-TestParamSet), K1..K8: used only to check the hash against the
standard's worked examples."""


def sbox_from_dke(dke: bytes) -> SBox:
    """Unpack a 64-byte DKE into K1..K8; each row must be a permutation of 0..15."""
    if not isinstance(dke, bytes | bytearray) or len(dke) != 64:
        raise DSTUError("a DKE S-box is exactly 64 bytes")
    nibbles = [n for byte in dke for n in (byte >> 4, byte & 0x0F)]
    rows = tuple(tuple(nibbles[16 * i : 16 * i + 16]) for i in range(8))
    for row in rows:
        if sorted(row) != list(range(16)):
            raise DSTUError("a DKE S-box row is not a permutation of 0..15")
    return rows


def sbox_from_rows(rows: tuple[str, ...]) -> SBox:
    """S-box from eight rows of sixteen hexadecimal digits (K1 first)."""
    return tuple(tuple(int(digit, 16) for digit in row) for row in rows)


DEFAULT_SBOX = sbox_from_dke(DKE_1)
TEST_SBOX = sbox_from_rows(TEST_SBOX_ROWS)


Tables = tuple[list[int], list[int], list[int]]
"""The round function's lookup tables: nibbles 1-3, 4-6 and 7-8 of the sum."""


@lru_cache(maxsize=8)
def round_tables(sbox: SBox) -> Tables:
    """Lookup tables for the round function f(x) = rol11(S(x)), three nibbles a table.

    Why tables: pure Python pays per operation, so a round is three lookups instead of eight S-box lookups, and
    the 11-bit rotation is folded into the tables (rotation distributes over the disjoint nibbles). Why three of
    12, 12 and 8 bits rather than two of 16: the two 16-bit tables held 196,608 entries (about 7 MB of list and
    int objects), so in a real hash, where every round looks up somewhere new, most lookups missed the CPU's
    caches; the three tables hold 8,704 entries and stay in them. Measured on this project's machine
    (docs/benchmarks.md): twice the hashing rate, for one more lookup a round.

    The last table has 2**9 entries so ``x >> 24`` of an unreduced sum ``a + k`` (up to 33 bits) needs no
    masking: the carry out of bit 31 is dropped by the table.
    """

    def rol11(x: int) -> int:
        return ((x << 11) | (x >> 21)) & 0xFFFFFFFF

    def table(first: int, count: int) -> list[int]:
        """rol11 of the substitution of nibbles ``first``.. ``first + count - 1``, for every value of them."""
        out = []
        for value in range(1 << (4 * count)):
            substituted = 0
            for i in range(count):
                substituted |= sbox[first + i][(value >> (4 * i)) & 15] << (4 * (first + i))
            out.append(rol11(substituted))
        return out

    top = table(6, 2)
    return table(0, 3), table(3, 3), top + top


def key_words(key: bytes) -> tuple[int, ...]:
    """The eight 32-bit key words of a 256-bit key (little-endian, as the standard's byte order)."""
    if len(key) != 32:
        raise DSTUError("a GOST 28147-89 key is 32 bytes")
    return struct.unpack("<8I", key)


def encrypt_words(n1: int, n2: int, k: tuple[int, ...], tables: Tables) -> tuple[int, int]:
    """Encrypt the half-blocks (N1, N2) with key words ``k``; return the output half-blocks.

    32 rounds with the key order K0..K7 three times, then K7..K0.  The eight
    rounds of a key cycle are written out on purpose: a loop per round costs
    about a third more in CPython, and the hash spends most of its time here.
    """
    k0, k1, k2, k3, k4, k5, k6, k7 = k
    t0, t1, t2 = tables
    a, b = n1, n2
    for _ in range(3):
        x = a + k0
        b ^= t0[x & 0xFFF] ^ t1[(x >> 12) & 0xFFF] ^ t2[x >> 24]
        x = b + k1
        a ^= t0[x & 0xFFF] ^ t1[(x >> 12) & 0xFFF] ^ t2[x >> 24]
        x = a + k2
        b ^= t0[x & 0xFFF] ^ t1[(x >> 12) & 0xFFF] ^ t2[x >> 24]
        x = b + k3
        a ^= t0[x & 0xFFF] ^ t1[(x >> 12) & 0xFFF] ^ t2[x >> 24]
        x = a + k4
        b ^= t0[x & 0xFFF] ^ t1[(x >> 12) & 0xFFF] ^ t2[x >> 24]
        x = b + k5
        a ^= t0[x & 0xFFF] ^ t1[(x >> 12) & 0xFFF] ^ t2[x >> 24]
        x = a + k6
        b ^= t0[x & 0xFFF] ^ t1[(x >> 12) & 0xFFF] ^ t2[x >> 24]
        x = b + k7
        a ^= t0[x & 0xFFF] ^ t1[(x >> 12) & 0xFFF] ^ t2[x >> 24]
    x = a + k7
    b ^= t0[x & 0xFFF] ^ t1[(x >> 12) & 0xFFF] ^ t2[x >> 24]
    x = b + k6
    a ^= t0[x & 0xFFF] ^ t1[(x >> 12) & 0xFFF] ^ t2[x >> 24]
    x = a + k5
    b ^= t0[x & 0xFFF] ^ t1[(x >> 12) & 0xFFF] ^ t2[x >> 24]
    x = b + k4
    a ^= t0[x & 0xFFF] ^ t1[(x >> 12) & 0xFFF] ^ t2[x >> 24]
    x = a + k3
    b ^= t0[x & 0xFFF] ^ t1[(x >> 12) & 0xFFF] ^ t2[x >> 24]
    x = b + k2
    a ^= t0[x & 0xFFF] ^ t1[(x >> 12) & 0xFFF] ^ t2[x >> 24]
    x = a + k1
    b ^= t0[x & 0xFFF] ^ t1[(x >> 12) & 0xFFF] ^ t2[x >> 24]
    x = b + k0
    a ^= t0[x & 0xFFF] ^ t1[(x >> 12) & 0xFFF] ^ t2[x >> 24]
    return b, a


def encrypt_block(key: bytes, block: bytes, sbox: SBox = DEFAULT_SBOX) -> bytes:
    """Encrypt one 8-byte block in simple-substitution (ECB) mode."""
    if len(block) != 8:
        raise DSTUError("a GOST 28147-89 block is 8 bytes")
    n1, n2 = struct.unpack("<2I", block)
    out1, out2 = encrypt_words(n1, n2, key_words(key), round_tables(sbox))
    return struct.pack("<2I", out1, out2)
