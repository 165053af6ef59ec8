"""Arithmetic in GF(2^m), polynomial basis, elements as Python ints.

Why this shape: pure Python pays per interpreted operation, not per bit, so
the fast paths do as few Python-level steps as possible:

* multiplication is a left-to-right comb over 4-bit windows of one operand
  with a 16-entry table of the other (66 steps at m = 257), or over bytes
  with a 256-entry table when the same operand is reused (:meth:`table`,
  :meth:`mul_table`; the curve constant b, precomputed points);
* squaring is linear: the bits are spread with two ``bytes.translate`` calls
  and a slice assignment, no Python loop;
* reduction by the sparse modulus (trinomial or pentanomial) is a handful of
  shifts and XORs;
* inversion is the extended Euclidean algorithm on polynomials.
"""

from __future__ import annotations

from functools import cached_property

from signatures.dstu.errors import DSTUError

_HEX_NIBBLES = bytes.maketrans(b"0123456789abcdef", bytes(range(16)))


def _spread_table(shift: int) -> bytes:
    """Byte -> the nibble ``(byte >> shift) & 15`` with a zero bit after every bit."""
    out = bytearray()
    for byte in range(256):
        nibble = (byte >> shift) & 15
        out.append(sum(((nibble >> i) & 1) << (2 * i) for i in range(4)))
    return bytes(out)


_SPREAD_LOW = _spread_table(0)
_SPREAD_HIGH = _spread_table(4)


class BinaryField:
    """GF(2^m) with modulus x^m + x^k1 + ... + 1 (a trinomial or a pentanomial)."""

    def __init__(self, m: int, exponents: tuple[int, ...]) -> None:
        if not 2 <= m <= 2048:
            raise DSTUError("field degree out of range")
        if len(exponents) not in (1, 3) or sorted(set(exponents), reverse=True) != list(exponents):
            raise DSTUError("the modulus must be a trinomial or a pentanomial, exponents decreasing")
        if not all(0 < k < m for k in exponents):
            raise DSTUError("modulus exponents must lie strictly between 0 and m")
        self.m = m
        self.exponents = exponents
        self.modulus = (1 << m) | 1 | sum(1 << k for k in exponents)
        self.mask = (1 << m) - 1
        self.byte_length = (m + 7) // 8
        # Reduction folds the part above bit m down twice; that is enough when
        # the largest middle exponent is below m/2, as in every standard field.
        self._top = exponents[0]
        self._folds = 2 if 2 * self._top < m else m

    def reduce(self, r: int) -> int:
        """Reduce a polynomial of degree < 2m modulo the field polynomial."""
        m, mask, exps = self.m, self.mask, self.exponents
        if self._folds == 2:
            if len(exps) == 1:
                k = exps[0]
                hi = r >> m
                r = (r & mask) ^ hi ^ (hi << k)
                hi = r >> m
                return (r & mask) ^ hi ^ (hi << k)
            k1, k2, k3 = exps
            hi = r >> m
            r = (r & mask) ^ hi ^ (hi << k1) ^ (hi << k2) ^ (hi << k3)
            hi = r >> m
            return (r & mask) ^ hi ^ (hi << k1) ^ (hi << k2) ^ (hi << k3)
        while r >> m:
            hi = r >> m
            r &= mask
            r ^= hi
            for k in exps:
                r ^= hi << k
        return r

    def mul(self, a: int, b: int) -> int:
        """a * b in the field (both already reduced)."""
        a2 = a << 1
        a3 = a2 ^ a
        a4 = a << 2
        a5 = a4 ^ a
        a6 = a4 ^ a2
        a7 = a4 ^ a3
        a8 = a << 3
        table = (0, a, a2, a3, a4, a5, a6, a7, a8, a8 ^ a, a8 ^ a2, a8 ^ a3, a8 ^ a4, a8 ^ a5, a8 ^ a6, a8 ^ a7)
        r = 0
        for nibble in f"{b:x}".encode().translate(_HEX_NIBBLES):
            r = (r << 4) ^ table[nibble]
        return self.reduce(r)

    def table(self, a: int) -> list[int]:
        """The 256 products of ``a`` with every byte polynomial, for :meth:`mul_table`."""
        a2 = a << 1
        a3 = a2 ^ a
        a4 = a << 2
        a8 = a << 3
        low = [0, a, a2, a3, a4, a4 ^ a, a4 ^ a2, a4 ^ a3]
        low += [a8 ^ t for t in low]
        return [(h << 4) ^ t for h in low for t in low]

    def mul_table(self, table: list[int], b: int) -> int:
        """a * b where ``table`` is :meth:`table` of a: one step per byte of b."""
        r = 0
        for byte in b.to_bytes(self.byte_length, "big"):
            r = (r << 8) ^ table[byte]
        return self.reduce(r)

    def sqr(self, a: int) -> int:
        """a^2: squaring only spreads the bits apart, then reduces."""
        raw = a.to_bytes(self.byte_length, "little")
        spread = bytearray(2 * self.byte_length)
        spread[0::2] = raw.translate(_SPREAD_LOW)
        spread[1::2] = raw.translate(_SPREAD_HIGH)
        return self.reduce(int.from_bytes(spread, "little"))

    def inv(self, a: int) -> int:
        """a^-1 by the extended Euclidean algorithm; a must be non-zero."""
        if a == 0:
            raise DSTUError("zero has no inverse")
        u, v = a, self.modulus
        g1, g2 = 1, 0
        while u != 1:
            j = u.bit_length() - v.bit_length()
            if j < 0:
                u, v = v, u
                g1, g2 = g2, g1
                j = -j
            u ^= v << j
            g1 ^= g2 << j
        return self.reduce(g1)

    @cached_property
    def trace_mask(self) -> int:
        """Bits i with Tr(x^i) = 1, so Tr(a) is the parity of a & trace_mask.

        From Newton's identities for the power sums of the modulus' roots:
        p_k = sum_{j<k} c_j p_{k-j} + k c_k over GF(2), where c_j is the
        coefficient of x^(m-j).
        """
        m = self.m
        c = [(self.modulus >> (m - j)) & 1 for j in range(m + 1)]
        p = [m & 1] + [0] * (m - 1)
        for k in range(1, m):
            value = (k & 1) * c[k]
            for j in range(1, k):
                if c[j]:
                    value ^= p[k - j]
            p[k] = value
        return sum(bit << i for i, bit in enumerate(p))

    def trace(self, a: int) -> int:
        """Absolute trace Tr(a) in {0, 1}."""
        return (a & self.trace_mask).bit_count() & 1

    def half_trace(self, a: int) -> int:
        """Sum of a^(4^i) for i = 0..(m-1)/2 (m odd): a root z of z^2 + z = a when Tr(a) = 0."""
        if self.m % 2 == 0:
            raise DSTUError("half-trace needs an odd field degree")
        z = a
        t = a
        for _ in range((self.m - 1) // 2):
            t = self.sqr(self.sqr(t))
            z ^= t
        return z

    def solve_quadratic(self, w: int) -> int | None:
        """A root z of z^2 + z = w, or None when there is none (Tr(w) = 1)."""
        if self.trace(w):
            return None
        z = self.half_trace(w)
        if self.sqr(z) ^ z != w:
            return None
        return z

    def sqrt(self, a: int) -> int:
        """The square root a^(2^(m-1))."""
        for _ in range(self.m - 1):
            a = self.sqr(a)
        return a

    def is_irreducible(self) -> bool:
        """Rabin's test: x^(2^m) = x mod f and gcd(x^(2^(m/p)) - x, f) = 1 for primes p | m."""
        m = self.m

        def frobenius(times: int) -> int:
            t = 2  # the polynomial x
            for _ in range(times):
                t = self.sqr(t)
            return t

        if frobenius(m) != 2:
            return False
        return all(_poly_gcd(frobenius(m // p) ^ 2, self.modulus) == 1 for p in _prime_factors(m))

    def to_bytes(self, a: int, byte_order: str = "big") -> bytes:
        """The element as byte_length octets."""
        return a.to_bytes(self.byte_length, "little" if byte_order == "little" else "big")


def _prime_factors(n: int) -> list[int]:
    factors = []
    d = 2
    while d * d <= n:
        if n % d == 0:
            factors.append(d)
            while n % d == 0:
                n //= d
        d += 1
    if n > 1:
        factors.append(n)
    return factors


def _poly_gcd(a: int, b: int) -> int:
    while b:
        while a and a.bit_length() >= b.bit_length():
            a ^= b << (a.bit_length() - b.bit_length())
        a, b = b, a
    return a
