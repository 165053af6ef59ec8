"""The ten DSTU 4145-2002 curves in polynomial basis, by OID.

The values are the standard's (DSTU 4145-2002 table of recommended curves,
also fixed by the Ministry of Justice / State Service of Special
Communications order No. 1236/5/453 of 20.08.2012 that assigns the OIDs
1.2.804.2.1.1.1.1.3.1.1.2.0 … .9).  Every base point is checked to lie on its
curve and to have order n by the tests.  Curves are built lazily and shared,
so the fixed-base table of a curve is computed once per process.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache

from signatures.dstu.curve import Curve
from signatures.dstu.errors import DSTUError
from signatures.dstu.field import BinaryField

NAMED_CURVE_ARC = "1.2.804.2.1.1.1.1.3.1.1.2"


@dataclass(frozen=True)
class _Named:
    oid: str
    m: int
    exponents: tuple[int, ...]
    a: int
    b: int
    n: int
    gx: int
    gy: int


_NAMED = (
    _Named(
        "1.2.804.2.1.1.1.1.3.1.1.2.0",
        163,
        (7, 6, 3),
        1,
        0x5FF6108462A2DC8210AB403925E638A19C1455D21,
        0x400000000000000000002BEC12BE2262D39BCF14D,
        0x2E2F85F5DD74CE983A5C4237229DAF8A3F35823BE,
        0x3826F008A8C51D7B95284D9D03FF0E00CE2CD723A,
    ),
    _Named(
        "1.2.804.2.1.1.1.1.3.1.1.2.1",
        167,
        (6,),
        1,
        0x6EE3CEEB230811759F20518A0930F1A4315A827DAC,
        0x3FFFFFFFFFFFFFFFFFFFFFB12EBCC7D7F29FF7701F,
        0x7A1F6653786A68192803910A3D30B2A2018B21CD54,
        0x5F49EB26781C0EC6B8909156D98ED435E45FD59918,
    ),
    _Named(
        "1.2.804.2.1.1.1.1.3.1.1.2.2",
        173,
        (10, 2, 1),
        0,
        0x108576C80499DB2FC16EDDF6853BBB278F6B6FB437D9,
        0x800000000000000000000189B4E67606E3825BB2831,
        0x4D41A619BCC6EADF0448FA22FAD567A9181D37389CA,
        0x10B51CC12849B234C75E6DD2028BF7FF5C1CE0D991A1,
    ),
    _Named(
        "1.2.804.2.1.1.1.1.3.1.1.2.3",
        179,
        (4, 2, 1),
        1,
        0x4A6E0856526436F2F88DD07A341E32D04184572BEB710,
        0x3FFFFFFFFFFFFFFFFFFFFFFB981960435FE5AB64236EF,
        0x6BA06FE51464B2BD26DC57F48819BA9954667022C7D03,
        0x25FBC363582DCEC065080CA8287AAFF09788A66DC3A9E,
    ),
    _Named(
        "1.2.804.2.1.1.1.1.3.1.1.2.4",
        191,
        (9,),
        1,
        0x7BC86E2102902EC4D5890E8B6B4981FF27E0482750FEFC03,
        0x40000000000000000000000069A779CAC1DABC6788F7474F,
        0x714114B762F2FF4A7912A6D2AC58B9B5C2FCFE76DAEB7129,
        0x29C41E568B77C617EFE5902F11DB96FA9613CD8D03DB08DA,
    ),
    _Named(
        "1.2.804.2.1.1.1.1.3.1.1.2.5",
        233,
        (9, 4, 1),
        1,
        0x6973B15095675534C7CF7E64A21BD54EF5DD3B8A0326AA936ECE454D2C,
        0x1000000000000000000000000000013E974E72F8A6922031D2603CFE0D7,
        0x3FCDA526B6CDF83BA1118DF35B3C31761D3545F32728D003EEB25EFE96,
        0x9CA8B57A934C54DEEDA9E54A7BBAD95E3B2E91C54D32BE0B9DF96D8D35,
    ),
    _Named(
        "1.2.804.2.1.1.1.1.3.1.1.2.6",
        257,
        (12,),
        0,
        0x1CEF494720115657E18F938D7A7942394FF9425C1458C57861F9EEA6ADBE3BE10,
        0x800000000000000000000000000000006759213AF182E987D3E17714907D470D,
        0x2A29EF207D0E9B6C55CD260B306C7E007AC491CA1B10C62334A9E8DCD8D20FB7,
        0x10686D41FF744D4449FCCF6D8EEA03102E6812C93A9D60B978B702CF156D814EF,
    ),
    _Named(
        "1.2.804.2.1.1.1.1.3.1.1.2.7",
        307,
        (8, 4, 2),
        1,
        0x393C7F7D53666B5054B5E6C6D3DE94F4296C0C599E2E2E241050DF18B6090BDC90186904968BB,
        0x3FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC079C2F3825DA70D390FBBA588D4604022B7B7,
        0x216EE8B189D291A0224984C1E92F1D16BF75CCD825A087A239B276D3167743C52C02D6E7232AA,
        0x5D9306BACD22B7FAEB09D2E049C6E2866C5D1677762A8F2F2DC9A11C7F7BE8340AB2237C7F2A0,
    ),
    _Named(
        "1.2.804.2.1.1.1.1.3.1.1.2.8",
        367,
        (21,),
        1,
        0x43FC8AD242B0B7A6F3D1627AD5654447556B47BF6AA4A64B0C2AFE42CADAB8F93D92394C79A79755437B56995136,
        0x40000000000000000000000000000000000000000000009C300B75A3FA824F22428FD28CE8812245EF44049B2D49,
        0x324A6EDDD512F08C49A99AE0D3F961197A76413E7BE81A400CA681E09639B5FE12E59A109F78BF4A373541B3B9A1,
        0x1AB597A5B4477F59E39539007C7F977D1A567B92B043A49C6B61984C3FE3481AAF454CD41BA1F051626442B3C10,
    ),
    _Named(
        "1.2.804.2.1.1.1.1.3.1.1.2.9",
        431,
        (5, 3, 1),
        1,
        0x3CE10490F6A708FC26DFE8C3D27C4F94E690134D5BFF988D8D28AAEAEDE975936C66BAC536B18AE2DC312CA493117DAA469C640CAF3,
        0x3FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFBA3175458009A8C0A724F02F81AA8A1FCBAF80D90C7A95110504CF,
        0x1A62BA79D98133A16BBAE7ED9A8E03C32E0824D57AEF72F88986874E5AAE49C27BED49A2A95058068426C2171E99FD3B43C5947C857D,
        0x70B5E1E14031C1F70BBEFE96BDDE66F451754B4CA5F48DA241F331AA396B8D1839A855C1769B1EA14BA53308B5E2723724E090E02DB9,
    ),
)
_BY_OID = {c.oid: c for c in _NAMED}
_BY_DEGREE = {c.m: c.oid for c in _NAMED}

NAMED_CURVE_OIDS: tuple[str, ...] = tuple(c.oid for c in _NAMED)
"""OIDs of the standard curves, m = 163, 167, 173, 179, 191, 233, 257, 307, 367, 431."""


def named_curve(oid: str) -> Curve:
    """The standard curve with this OID; DSTUError for any other OID."""
    if oid not in _BY_OID:
        raise DSTUError(f"unknown DSTU 4145 curve OID {oid!r}")
    return _build(oid)


def curve_for_degree(m: int) -> Curve:
    """The standard curve over GF(2^m)."""
    if m not in _BY_DEGREE:
        raise DSTUError(f"no standard DSTU 4145 curve for m = {m}")
    return _build(_BY_DEGREE[m])


@cache
def _build(oid: str) -> Curve:
    c = _BY_OID[oid]
    return Curve(BinaryField(c.m, c.exponents), c.a, c.b, c.n, (c.gx, c.gy), name=oid)


@lru_cache(maxsize=32)
def explicit_curve(m: int, exponents: tuple[int, ...], a: int, b: int, n: int, compressed_base: int) -> Curve:
    """A curve given by explicit parameters, checked before use.

    Checked: the modulus is irreducible, the base point decompresses onto the
    curve and has order n, n is a probable prime, and the cofactor is small
    (the standard asks for 2 or 4).  A named curve with the same values is
    returned as that curve, sharing its precomputed table.  Cached, so a key
    seen again costs nothing.
    """
    for named in _NAMED:
        if (named.m, named.exponents, named.a, named.b, named.n) == (m, exponents, a, b, n):
            curve = _build(named.oid)
            if curve.compress(curve.base) == compressed_base:
                return curve
    field = BinaryField(m, exponents)
    if not field.is_irreducible():
        raise DSTUError("the field polynomial is not irreducible")
    if not _probable_prime(n):
        raise DSTUError("the base point order is not prime")
    cofactor = ((1 << m) + 1 + (n >> 1)) // n
    if not 1 <= cofactor <= 8:
        raise DSTUError("the curve's cofactor is too large")
    base = _decompress_base(field, a, b, n, compressed_base)
    curve = Curve(field, a, b, n, base)
    if not curve.in_subgroup(base):
        raise DSTUError("the base point does not have order n")
    return curve


def _decompress_base(field: BinaryField, a: int, b: int, n: int, compressed: int) -> tuple[int, int]:
    # A throw-away curve object needs a valid base point; decompress with the
    # order-two point (0, sqrt b) as a stand-in, which is always on the curve.
    stand_in = Curve(field, a, b, n, (0, field.sqrt(b)))
    return stand_in.decompress(compressed)


def _probable_prime(n: int) -> bool:
    if n < 2:
        return False
    for p in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):
        if n % p == 0:
            return n == p
    d, r = n - 1, 0
    while d % 2 == 0:
        d //= 2
        r += 1
    for witness in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53):
        x = pow(witness, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True
