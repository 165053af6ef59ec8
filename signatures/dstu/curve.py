"""Binary elliptic curves y^2 + xy = x^3 + a x^2 + b over GF(2^m), as DSTU 4145 uses them.

Why these choices (measured in pure Python, where an inversion costs about
ten multiplications and every Python step counts):

* Points are kept in López–Dahab projective coordinates (X, Y, Z) with
  x = X/Z, y = Y/Z^2 during scalar multiplication: doubling costs 3M + 5S plus
  a multiplication by the constant b (done with a precomputed byte table), and
  adding an affine point costs 8M + 5S.  Affine formulas would need an
  inversion per step.
* s*G + r*Q (verification) is r*Q by width-5 NAF over Q's odd multiples plus
  s*G from a per-curve table of signed radix-2^6 digits times 2^(6j) G, so
  the base point needs additions only, no doublings.  The table is built on
  first use and kept with the curve.
* Precomputed points are normalised to affine with one inversion per batch
  (Montgomery's trick).

Affine formulas remain for parsing and checks, where clarity matters more.
"""

from __future__ import annotations

from functools import cached_property

from signatures.dstu.errors import DSTUError
from signatures.dstu.field import BinaryField

Affine = tuple[int, int]
"""A finite point (x, y)."""
Projective = tuple[int, int, int]
"""López–Dahab (X, Y, Z); Z = 0 is the point at infinity."""

INFINITY: Projective = (1, 0, 0)
_FIXED_WINDOW = 6
_NAF_WIDTH = 5


class Curve:
    """A DSTU 4145 curve: field, a in {0, 1}, b, base point G of prime order n."""

    def __init__(self, field: BinaryField, a: int, b: int, n: int, base: Affine, *, name: str = "explicit") -> None:
        if a not in (0, 1):
            raise DSTUError("DSTU 4145 curves have a = 0 or a = 1")
        if not 0 < b <= field.mask:
            raise DSTUError("curve coefficient b out of range")
        if n < 3 or n.bit_length() > field.m + 1:
            raise DSTUError("base point order out of range")
        self.field = field
        self.a = a
        self.b = b
        self.n = n
        self.name = name
        self.base = base
        self._b_table = field.table(b)
        if not self.contains(base):
            raise DSTUError("base point is not on the curve")

    # -- affine helpers -----------------------------------------------------

    def contains(self, point: Affine) -> bool:
        """Whether the affine point satisfies the curve equation."""
        f = self.field
        x, y = point
        if not (0 <= x <= f.mask and 0 <= y <= f.mask):
            return False
        x2 = f.sqr(x)
        lhs = f.sqr(y) ^ f.mul(x, y)
        rhs = f.mul(x2, x) ^ (x2 if self.a else 0) ^ self.b
        return lhs == rhs

    def negate(self, point: Affine) -> Affine:
        x, y = point
        return x, x ^ y

    def add_affine(self, p: Affine | None, q: Affine | None) -> Affine | None:
        """Reference affine addition (None is the point at infinity); slow, used for checks."""
        if p is None:
            return q
        if q is None:
            return p
        f = self.field
        x1, y1 = p
        x2, y2 = q
        if x1 == x2:
            if y1 != y2 or x1 == 0:
                return None
            lam = x1 ^ f.mul(y1, f.inv(x1))
            x3 = f.sqr(lam) ^ lam ^ self.a
            y3 = f.sqr(x1) ^ f.mul(lam ^ 1, x3)
            return x3, y3
        lam = f.mul(y1 ^ y2, f.inv(x1 ^ x2))
        x3 = f.sqr(lam) ^ lam ^ x1 ^ x2 ^ self.a
        y3 = f.mul(lam, x1 ^ x3) ^ x3 ^ y1
        return x3, y3

    # -- projective arithmetic ----------------------------------------------

    def double(self, p: Projective) -> Projective:
        """2P in López–Dahab coordinates."""
        x, y, z = p
        if z == 0 or x == 0:
            return INFINITY
        f = self.field
        sqr = f.sqr
        mul = f.mul
        x2 = sqr(x)
        z2 = sqr(z)
        z3 = mul(x2, z2)
        bz4 = f.mul_table(self._b_table, sqr(z2))
        x3 = sqr(x2) ^ bz4
        inner = sqr(y) ^ bz4
        if self.a:
            inner ^= z3
        y3 = mul(bz4, z3) ^ mul(x3, inner)
        return x3, y3, z3

    def add_mixed(self, p: Projective, q: Affine) -> Projective:
        """P + Q with P projective and Q affine (finite)."""
        x1, y1, z1 = p
        x2, y2 = q
        if z1 == 0:
            return x2, y2, 1
        f = self.field
        sqr = f.sqr
        mul = f.mul
        z1s = sqr(z1)
        a = mul(y2, z1s) ^ y1
        b = mul(x2, z1) ^ x1
        if b == 0:
            if a == 0:
                return self.double((x2, y2, 1))
            return INFINITY
        c = mul(z1, b)
        d = mul(sqr(b), (c ^ z1s) if self.a else c)
        z3 = sqr(c)
        e = mul(a, c)
        x3 = sqr(a) ^ d ^ e
        g = mul(x2 ^ y2, sqr(z3))
        y3 = mul(e ^ z3, x3 ^ mul(x2, z3)) ^ g
        return x3, y3, z3

    def to_affine(self, p: Projective) -> Affine | None:
        x, y, z = p
        if z == 0:
            return None
        f = self.field
        zi = f.inv(z)
        return f.mul(x, zi), f.mul(y, f.sqr(zi))

    def normalize_all(self, points: list[Projective]) -> list[Affine]:
        """Affine forms of finite projective points with one inversion (Montgomery's trick)."""
        f = self.field
        prefix = []
        acc = 1
        for _, _, z in points:
            if z == 0:
                raise DSTUError("cannot normalise the point at infinity")
            prefix.append(acc)
            acc = f.mul(acc, z)
        inv = f.inv(acc)
        out: list[Affine] = [(0, 0)] * len(points)
        for i in range(len(points) - 1, -1, -1):
            x, y, z = points[i]
            zi = f.mul(inv, prefix[i])
            inv = f.mul(inv, z)
            zi2 = f.sqr(zi)
            out[i] = (f.mul(x, zi), f.mul(y, zi2))
        return out

    # -- scalar multiplication ----------------------------------------------

    def odd_multiples(self, q: Affine, count: int) -> list[Affine]:
        """Q, 3Q, 5Q, ... (``count`` points) in affine form."""
        twice = self.to_affine(self.double((q[0], q[1], 1)))
        if twice is None:
            raise DSTUError("point of order two")
        points: list[Projective] = [(q[0], q[1], 1)]
        for _ in range(count - 1):
            points.append(self.add_mixed(points[-1], twice))
        if any(z == 0 for _, _, z in points):
            raise DSTUError("point of small order")
        return self.normalize_all(points)

    @cached_property
    def _fixed_table(self) -> list[list[Affine]]:
        """T[j][i] = (i + 1) * 2^(w j) * G for signed radix-2^w recoding of scalars below 2n."""
        w = _FIXED_WINDOW
        half = 1 << (w - 1)
        windows = (self.n.bit_length() + 1 + w) // w + 1
        table: list[list[Affine]] = []
        base = self.base
        for _ in range(windows):
            multiples: list[Projective] = [(base[0], base[1], 1)]
            for _ in range(half - 1):
                multiples.append(self.add_mixed(multiples[-1], base))
            next_base = self.double(multiples[-1])  # 2 * half * B = 2^w * B
            normal = self.normalize_all([*multiples, next_base])
            table.append(normal[:half])
            base = normal[half]
        return table

    def _fixed_digits(self, k: int) -> list[int]:
        w = _FIXED_WINDOW
        full = 1 << w
        half = full >> 1
        digits = []
        while k:
            d = k & (full - 1)
            if d > half:
                d -= full
            digits.append(d)
            k = (k - d) >> w
        return digits

    def _add_base_multiple(self, acc: Projective, k: int) -> Projective:
        table = self._fixed_table
        if len(self._fixed_digits(k)) > len(table):
            raise DSTUError("scalar too large for the fixed-base table")
        for j, d in enumerate(self._fixed_digits(k)):
            if d > 0:
                acc = self.add_mixed(acc, table[j][d - 1])
            elif d < 0:
                x, y = table[j][-d - 1]
                acc = self.add_mixed(acc, (x, x ^ y))
        return acc

    def mul_base(self, k: int) -> Projective:
        """k * G, 0 <= k < 2n."""
        return self._add_base_multiple(INFINITY, k)

    def mul(self, k: int, q: Affine) -> Projective:
        """k * Q for a finite affine point Q."""
        return self._naf_mul(INFINITY, k, q)

    def mul_add(self, s: int, r: int, q: Affine) -> Projective:
        """s * G + r * Q (the verification equation)."""
        return self._add_base_multiple(self._naf_mul(INFINITY, r, q), s)

    def _naf_mul(self, acc: Projective, k: int, q: Affine) -> Projective:
        digits = _wnaf(k, _NAF_WIDTH)
        if not digits:
            return acc
        table = self.odd_multiples(q, 1 << (_NAF_WIDTH - 2))
        double = self.double
        add = self.add_mixed
        for d in reversed(digits):
            acc = double(acc)
            if d > 0:
                acc = add(acc, table[d >> 1])
            elif d < 0:
                x, y = table[(-d) >> 1]
                acc = add(acc, (x, x ^ y))
        return acc

    # -- DSTU point compression ---------------------------------------------

    def compress(self, point: Affine) -> int:
        """DSTU 4145 compression: x with its lowest bit replaced by Tr(y/x)."""
        f = self.field
        x, y = point
        if x == 0:
            return 0
        return (x & ~1) | f.trace(f.mul(y, f.inv(x)))

    def decompress(self, value: int) -> Affine:
        """The point whose DSTU compression is ``value``; DSTUError if there is none."""
        f = self.field
        if not 0 <= value <= f.mask:
            raise DSTUError("compressed point out of range")
        if value == 0:
            return 0, f.sqrt(self.b)
        k = value & 1
        x = value & ~1
        if f.trace(x) != self.a:
            x ^= 1
        if x == 0:
            raise DSTUError("compressed point has no curve point")
        w = x ^ self.a ^ f.mul(self.b, f.sqr(f.inv(x)))
        z = f.solve_quadratic(w)
        if z is None:
            raise DSTUError("compressed point has no curve point")
        if f.trace(z) != k:
            z ^= 1
        point = (x, f.mul(z, x))
        if not self.contains(point):
            raise DSTUError("decompressed point is not on the curve")
        return point

    def in_subgroup(self, point: Affine) -> bool:
        """Whether a finite point on the curve has order n (n * P = O)."""
        if not self.contains(point) or point[0] == 0:
            return False
        return self.mul(self.n, point)[2] == 0


def _wnaf(k: int, width: int) -> list[int]:
    """Width-w NAF digits of k, least significant first."""
    digits = []
    full = 1 << width
    half = full >> 1
    while k:
        if k & 1:
            d = k & (full - 1)
            if d >= half:
                d -= full
            k -= d
        else:
            d = 0
        digits.append(d)
        k >>= 1
    return digits
