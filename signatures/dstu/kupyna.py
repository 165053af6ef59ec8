"""DSTU 7564:2014 "Kupyna" hash, 256/384/512-bit outputs.

Why hand-written: newer Ukrainian keys hash with Kupyna (OIDs
1.2.804.2.1.1.1.1.2.2.x) and no maintained Python library implements it.

The state is 8 (hash up to 256 bits) or 16 columns of 8 bytes; a column is a
Python int read little-endian (row 0 = least significant byte).  A round of
the permutations T⊕ / T+ (round constant, S-boxes, row shifts, MDS mixing) is
done with eight 256-entry tables per row position that fold S-box and MDS
column together ("T-tables"), built once at import.  The S-boxes π0..π3 and
the MDS row (1, 1, 5, 1, 8, 6, 7, 4) over GF(2^8) mod x^8+x^4+x^3+x^2+1 are
the standard's constants.
"""

from __future__ import annotations

from signatures.dstu.errors import DSTUError

_SBOXES = (
    bytes.fromhex(
        "a8435f066b756c5971df879517f0d8096df31dcbc94d2caf79e097fd6f4b4539"
        "3edda34fb4b69a0e1fbf15e149d293c692729e61d163faeef419d5ad58a4bba1"
        "dcf2833742e47a329cccab4a8f6e04272ee7e25a9616232bc265660fbca94741"
        "3448fcb76a88a55386f95bdb387bc31e2233242836c7b23b8e77baf5149f0855"
        "9b4cfe605cda1846cd7d21b03f1b89ffeb84693a9dd7d3706740b5de5d3091b1"
        "781101e5006898a0c502a6742d0ba276b3becebdaee98a311cecf19994aaf626"
        "2fefe88c3503d47ffb05c15e90203d82f7ea0a0d7ef8501ac40757b83c62e3c8"
        "ac526410d0d9130c122951b9cfd6738d8154c0ed4e44a72a8525e6ca7c8b5680"
    ),
    bytes.fromhex(
        "cebbeb92eacb13c1e93ad6b2d29017f8421556b4651c8843c55c36baf557678d"
        "31f664589ef422aa750f02b1df6d734d7c262ef7085d443e9f14c8ae5410d8bc"
        "1a6b69f3bd33abfad19b684e169591ee4c638e5bcc3c19a181497bd96f3760ca"
        "e72b48fd9645fc41120d79e5898ce32030dcb76c4ab53f97d4622d06a4a5835f"
        "2adac9007ea255bf11d59ccf0e0a3d517d931bfec44709860b8f9d6a07b9b098"
        "1832714bef3b70a0e440ffc3a9e678f98b46801e38e1b8a8e00c23761d252405"
        "f16e94289a84e8a34f77d385e252f282507a2f7453b361af3935decd1f99acad"
        "722cddd087be5ea6ec04c60334fbdb59b6c201f05aeda766217f8a27c7c029d7"
    ),
    bytes.fromhex(
        "93d99ab5982245fcba6adf029fdc51594a172bc294f4bba362e471d4cd7016e1"
        "493cc0d85c9bad8553a17ac82de0d172a62cc4e37678b7b4093b0e414cdeb290"
        "25a5d7031100c32e92ef4e129d7dcb3510d54f9e4da955c6d07b1897d336e648"
        "56818f77cc9cb9e2acb82f15a47cda381e0b05d6146e6c7e66fdb1e560af5e33"
        "87c9f05d6d3f888dc7f71de9eced802927cf99a8500f3724283095d23e5b4083"
        "b369571f071c8abc20ebce8eabee31a273f9ca3a1afb0dc1fefaf26fbd96dd43"
        "52b608f3aebe19893226b0ea4b6484826bf579bf015f75631b233d682a65e891"
        "f6ff1358f1470a7fc5a7e7615a0646444204a0db398654aa8c34218bf80c7467"
    ),
    bytes.fromhex(
        "688dca4d734b4e2ad45226b3541e191f2203463d2d4a5383138ab7d52579f5bd"
        "582f0d02ed519e11f23e555ed1163c66705df34540cce8945608ce1a3ad2e1df"
        "b5386e0ee5f4f986e94fd68523cf32993114aeeec848d330a19241b118c42c71"
        "724415fd37be5faa9b88d8ab899cfa60eabc620c24a6a8ec6720db7c28ddac5b"
        "347e10f17b8f63a0059a437721bf2709c39fb6d729c2ebc0a48b8c1dfbffc1b2"
        "972ef865f67507044933e4d9b9d042c76c90008e6f5001c5da473fcd69a2e27a"
        "a7c6930f0a06e62b96a31caf6a128439e7b082f7fe9d875c8135deb4a5fc80ef"
        "cbbb6b76ba5a7d780b95e3ad74983b36646ddcf059a94c177f91b8c9571be061"
    ),
)
_MDS_ROW = (0x01, 0x01, 0x05, 0x01, 0x08, 0x06, 0x07, 0x04)
_MASK64 = (1 << 64) - 1


def _gf_mul(x: int, y: int) -> int:
    result = 0
    while y:
        if y & 1:
            result ^= x
        x <<= 1
        if x & 0x100:
            x ^= 0x11D
        y >>= 1
    return result


def _build_tables() -> tuple[tuple[int, ...], ...]:
    """T[i][v]: the mixed column produced by byte ``v`` (before its S-box) at row ``i``.

    Output row r of MixColumns is sum_b MDS[r][b] * in[b] with the circulant
    MDS[r][b] = _MDS_ROW[(b - r) % 8].
    """
    tables = []
    for i in range(8):
        sbox = _SBOXES[i % 4]
        table = []
        for v in range(256):
            s = sbox[v]
            column = 0
            for r in range(8):
                column |= _gf_mul(s, _MDS_ROW[(i - r) % 8]) << (8 * r)
            table.append(column)
        tables.append(tuple(table))
    return tuple(tables)


_T = _build_tables()


def _round(state: list[int], shifts: tuple[int, ...]) -> list[int]:
    """S-boxes, row shifts and MDS mixing on a list of column ints."""
    t0, t1, t2, t3, t4, t5, t6, t7 = _T
    c = len(state)
    s0, s1, s2, s3, s4, s5, s6, s7 = shifts
    return [
        t0[state[(j - s0) % c] & 0xFF]
        ^ t1[(state[(j - s1) % c] >> 8) & 0xFF]
        ^ t2[(state[(j - s2) % c] >> 16) & 0xFF]
        ^ t3[(state[(j - s3) % c] >> 24) & 0xFF]
        ^ t4[(state[(j - s4) % c] >> 32) & 0xFF]
        ^ t5[(state[(j - s5) % c] >> 40) & 0xFF]
        ^ t6[(state[(j - s6) % c] >> 48) & 0xFF]
        ^ t7[state[(j - s7) % c] >> 56]
        for j in range(c)
    ]


class _Variant:
    def __init__(self, digest_bits: int) -> None:
        self.digest_size = digest_bits // 8
        wide = digest_bits > 256
        self.columns = 16 if wide else 8
        self.rounds = 14 if wide else 10
        self.state_bytes = 8 * self.columns
        # Row i moves i columns to the right; in the 1024-bit state row 7 moves 11.
        self.shifts = (0, 1, 2, 3, 4, 5, 6, 11 if wide else 7)

    def p(self, state: list[int]) -> list[int]:
        for v in range(self.rounds):
            state = _round([col ^ ((j << 4) ^ v) for j, col in enumerate(state)], self.shifts)
        return state

    def q(self, state: list[int]) -> list[int]:
        c = self.columns
        for v in range(self.rounds):
            state = _round(
                [
                    (col + (0x00F0F0F0F0F0F0F3 ^ ((((c - 1 - j) << 4) ^ v) << 56))) & _MASK64
                    for j, col in enumerate(state)
                ],
                self.shifts,
            )
        return state


def _columns(block: bytes) -> list[int]:
    return [int.from_bytes(block[i : i + 8], "little") for i in range(0, len(block), 8)]


def _pad(data: bytes, nbits: int, state_bytes: int) -> bytes:
    """Padding of DSTU 7564: a 1 bit after the message, zeros, the 96-bit length (little-endian)."""
    whole, extra = divmod(nbits, 8)
    if extra:
        last = (data[whole] & (0xFF << (8 - extra)) & 0xFF) | (0x80 >> extra)
        message = data[:whole] + bytes([last])
    else:
        message = data[:whole] + b"\x80"
    zeros = (-len(message) - 12) % state_bytes
    return message + bytes(zeros) + nbits.to_bytes(12, "little")


def kupyna_bits(data: bytes, nbits: int, digest_bits: int) -> bytes:
    """Kupyna of the first ``nbits`` bits of ``data`` (bits counted from each byte's most significant).

    Byte-oriented callers use :func:`kupyna256` and friends; the bit length is
    here so the standard's odd-length test vectors can be checked too.
    """
    if not (8 <= digest_bits <= 512 and digest_bits % 8 == 0):
        raise DSTUError("Kupyna digest length must be a multiple of 8 up to 512 bits")
    if not isinstance(data, bytes | bytearray | memoryview) or not 0 <= nbits <= 8 * len(data):
        raise DSTUError("Kupyna input must be bytes holding at least nbits bits")
    variant = _Variant(digest_bits)
    width = variant.state_bytes
    state = [0] * variant.columns
    state[0] = width  # IV: the state size in bytes in the first byte
    padded = _pad(bytes(data), nbits, width)
    for offset in range(0, len(padded), width):
        block = _columns(padded[offset : offset + width])
        p = variant.p([h ^ m for h, m in zip(state, block, strict=True)])
        q = variant.q(block)
        state = [h ^ x ^ y for h, x, y in zip(state, p, q, strict=True)]
    final = variant.p(list(state))
    out = b"".join((h ^ x).to_bytes(8, "little") for h, x in zip(state, final, strict=True))
    return out[width - variant.digest_size :]


def kupyna256(data: bytes) -> bytes:
    """Kupyna-256 (DSTU 7564:2014) digest of ``data``."""
    return kupyna_bits(data, 8 * len(data), 256)


def kupyna384(data: bytes) -> bytes:
    """Kupyna-384 (DSTU 7564:2014) digest of ``data``."""
    return kupyna_bits(data, 8 * len(data), 384)


def kupyna512(data: bytes) -> bytes:
    """Kupyna-512 (DSTU 7564:2014) digest of ``data``."""
    return kupyna_bits(data, 8 * len(data), 512)
