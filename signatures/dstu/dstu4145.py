"""DSTU 4145-2002 digital signatures: verification, and signing for test data.

Why hand-written: no maintained Python library verifies DSTU 4145, the
signature of most Ukrainian qualified certificates.  Signing exists only so
the tests can build their own DSTU PKI; it uses ``secrets`` but makes no claim
to side-channel resistance.

The scheme (DSTU 4145-2002, 5.10–5.11; the standard's annex B example is in
the tests).  Keys: private d in [1, n-1], public Q = -(d G).  Hash to field:
the hash value H (GOST 34.311 or Kupyna output bytes) is read little-endian,
cut to its m low bits, and 0 becomes 1.  Signing: random e, F = x(e G),
r = the integer of h F cut to bit length L(n) - 1, s = (e + d r) mod n.
Verification: 0 < r, s < n, R = s G + r Q, r' = h x(R) cut likewise, r' = r.

Encodings met in practice (all little-endian unless the big-endian OID says
otherwise, see :data:`BYTE_ORDER_BY_OID`):

* signature value: a DER OCTET STRING (inside CMS SignerInfo.signature or a
  certificate's signature BIT STRING) of 2L bytes, L = byte length of n.
  Little-endian ("dstu4145le", the usual form): r then s, each L bytes
  little-endian, i.e. the 2L-byte integer s * 2^(8L) + r written
  little-endian.  Big-endian ("dstu4145be"): the same integer big-endian,
  s then r.
* public key: the SubjectPublicKeyInfo BIT STRING holds a DER OCTET STRING
  with the compressed point (:meth:`~signatures.dstu.curve.Curve.compress`),
  ceil(m/8) bytes, little-endian for "le", big-endian for "be".
* parameters: ``DSTU4145Params ::= SEQUENCE { CHOICE { ECBinary, OID },
  dke OCTET STRING OPTIONAL }``; in ECBinary the coefficient b and the
  compressed base point are octet strings in the same byte order, n is an
  INTEGER.

Errors: anything malformed raises :class:`~signatures.dstu.errors.DSTUError`
and nothing else; a well-formed signature that does not verify is ``False``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from signatures.dstu import der
from signatures.dstu.curve import Affine, Curve
from signatures.dstu.curves import NAMED_CURVE_OIDS, explicit_curve, named_curve
from signatures.dstu.errors import DSTUError
from signatures.dstu.gost28147 import DEFAULT_SBOX, SBox, sbox_from_dke
from signatures.dstu.gost34311 import gost34311
from signatures.dstu.kupyna import kupyna256, kupyna384, kupyna512

ByteOrder = Literal["le", "be"]

DSTU4145_LE = "1.2.804.2.1.1.1.1.3.1.1"
"""dstu4145WithGost34311 in polynomial basis, little-endian encodings (the usual one)."""
DSTU4145_BE = "1.2.804.2.1.1.1.1.3.1.1.1.1"
"""The same with big-endian encodings (Bouncy Castle's "dstu4145be")."""

BYTE_ORDER_BY_OID: dict[str, ByteOrder] = {DSTU4145_LE: "le", DSTU4145_BE: "be"}

GOST34311_OID = "1.2.804.2.1.1.1.1.2.1"
KUPYNA_OIDS = {
    "1.2.804.2.1.1.1.1.2.2.1": 256,
    "1.2.804.2.1.1.1.1.2.2.2": 384,
    "1.2.804.2.1.1.1.1.2.2.3": 512,
}

_MAX_FIELD_DEGREE = 1024


def _order(byte_order: ByteOrder) -> Literal["little", "big"]:
    if byte_order == "le":
        return "little"
    if byte_order == "be":
        return "big"
    raise DSTUError("byte order must be 'le' or 'be'")


# -- parameters ------------------------------------------------------------


@dataclass(frozen=True)
class DomainParameters:
    """A decoded DSTU4145Params: the curve, and the S-box for GOST 34.311 (from ``dke``)."""

    curve: Curve
    sbox: SBox = DEFAULT_SBOX


def decode_parameters(data: bytes, byte_order: ByteOrder = "le") -> DomainParameters:
    """Decode DER DSTU4145Params (named curve OID or explicit ECBinary, optional DKE)."""
    try:
        return _decode_parameters(data, byte_order)
    except DSTUError:
        raise
    except (ValueError, TypeError, OverflowError, IndexError) as exc:  # defensive: arithmetic on odd values
        raise DSTUError(f"bad DSTU 4145 parameters: {exc}") from None


def _decode_parameters(data: bytes, byte_order: ByteOrder) -> DomainParameters:
    order = _order(byte_order)
    top = der.read_children(der.expect(der.read_one(data), der.SEQUENCE, "DSTU4145Params"))
    if not 1 <= len(top) <= 2:
        raise DSTUError("DSTU4145Params has one or two elements")
    sbox = DEFAULT_SBOX
    if len(top) == 2:
        sbox = sbox_from_dke(der.expect(top[1], der.OCTET_STRING, "dke"))
    first = top[0]
    if first.tag == der.OID:
        oid = der.decode_oid(first.content)
        if oid not in NAMED_CURVE_OIDS:
            raise DSTUError(f"unknown DSTU 4145 curve OID {oid}")
        return DomainParameters(named_curve(oid), sbox)
    fields = der.read_children(der.expect(first, der.SEQUENCE, "ECBinary"))
    if fields and fields[0].tag == 0xA0:
        version = der.read_one(fields[0].content)
        if der.decode_integer(der.expect(version, der.INTEGER, "version"), "version") != 0:
            raise DSTUError("unsupported ECBinary version")
        fields = fields[1:]
    if len(fields) != 5:
        raise DSTUError("ECBinary has f, a, b, n, bp")
    f, a_tlv, b_tlv, n_tlv, bp_tlv = fields
    m, exponents = _decode_field(f)
    a = der.decode_integer(der.expect(a_tlv, der.INTEGER, "a"), "a")
    byte_length = (m + 7) // 8
    b_raw = der.expect(b_tlv, der.OCTET_STRING, "b")
    bp_raw = der.expect(bp_tlv, der.OCTET_STRING, "bp")
    if len(b_raw) != byte_length or len(bp_raw) != byte_length:
        raise DSTUError("b and bp must be ceil(m/8) bytes")
    b = int.from_bytes(b_raw, order)
    n = der.decode_integer(der.expect(n_tlv, der.INTEGER, "n"), "n")
    bp = int.from_bytes(bp_raw, order)
    if a not in (0, 1) or b >> m or bp >> m or b <= 0:
        raise DSTUError("ECBinary values out of range")
    return DomainParameters(explicit_curve(m, exponents, a, b, n, bp), sbox)


def _decode_field(tlv: der.Tlv) -> tuple[int, tuple[int, ...]]:
    parts = der.read_children(der.expect(tlv, der.SEQUENCE, "BinaryField"))
    if len(parts) != 2:
        raise DSTUError("BinaryField has m and a trinomial or pentanomial")
    m = der.decode_integer(der.expect(parts[0], der.INTEGER, "m"), "m")
    if not 2 < m <= _MAX_FIELD_DEGREE:
        raise DSTUError("field degree out of range")
    if parts[1].tag == der.INTEGER:
        exponents: tuple[int, ...] = (der.decode_integer(parts[1].content, "k"),)
    else:
        terms = der.read_children(der.expect(parts[1], der.SEQUENCE, "Pentanomial"))
        if len(terms) != 3:
            raise DSTUError("a pentanomial has k, j, l")
        k, j, el = (der.decode_integer(der.expect(t, der.INTEGER, "exponent"), "exponent") for t in terms)
        if not 0 < k < j < el < m:
            raise DSTUError("pentanomial exponents must satisfy 0 < k < j < l < m")
        exponents = (el, j, k)
    if not all(0 < e < m for e in exponents):
        raise DSTUError("field polynomial exponent out of range")
    return m, exponents


def encode_parameters(
    curve: Curve, *, named: bool = True, byte_order: ByteOrder = "le", dke: bytes | None = None
) -> bytes:
    """DER DSTU4145Params for ``curve`` (to build test certificates and keys)."""
    order = _order(byte_order)
    f = curve.field
    if named and curve.name in NAMED_CURVE_OIDS:
        body = der.encode_oid(curve.name)
    else:
        if len(f.exponents) == 1:
            poly = der.encode_integer(f.exponents[0])
        else:
            el, j, k = f.exponents
            poly = der.encode_tlv(der.SEQUENCE, der.encode_integer(k) + der.encode_integer(j) + der.encode_integer(el))
        body = der.encode_tlv(
            der.SEQUENCE,
            der.encode_tlv(der.SEQUENCE, der.encode_integer(f.m) + poly)
            + der.encode_integer(curve.a)
            + der.encode_tlv(der.OCTET_STRING, curve.b.to_bytes(f.byte_length, order))
            + der.encode_integer(curve.n)
            + der.encode_tlv(der.OCTET_STRING, curve.compress(curve.base).to_bytes(f.byte_length, order)),
        )
    if dke is not None:
        body += der.encode_tlv(der.OCTET_STRING, dke)
    return der.encode_tlv(der.SEQUENCE, body)


# -- keys ------------------------------------------------------------------


@dataclass(frozen=True)
class PublicKey:
    """A validated DSTU 4145 public key: on the curve, of order n.

    Build it with :meth:`from_compressed` or :meth:`from_octet_string`; both
    check the point once, so verifying many signatures costs nothing extra.
    """

    curve: Curve
    point: Affine

    @classmethod
    def from_point(cls, curve: Curve, point: Affine) -> PublicKey:
        if not curve.in_subgroup(point):
            raise DSTUError("public key is not a point of order n on the curve")
        return cls(curve, point)

    @classmethod
    def from_compressed(cls, data: bytes, curve: Curve, byte_order: ByteOrder = "le") -> PublicKey:
        """From the raw compressed point (ceil(m/8) bytes)."""
        if not isinstance(data, bytes | bytearray) or len(data) != curve.field.byte_length:
            raise DSTUError("compressed public key must be ceil(m/8) bytes")
        return cls.from_point(curve, curve.decompress(int.from_bytes(data, _order(byte_order))))

    @classmethod
    def from_octet_string(cls, data: bytes, curve: Curve, byte_order: ByteOrder = "le") -> PublicKey:
        """From the DER OCTET STRING a certificate's subjectPublicKey BIT STRING holds."""
        raw = der.expect(der.read_one(data), der.OCTET_STRING, "public key")
        return cls.from_compressed(raw, curve, byte_order)

    def to_compressed(self, byte_order: ByteOrder = "le") -> bytes:
        return self.curve.field.to_bytes(self.curve.compress(self.point), _order(byte_order))

    def to_octet_string(self, byte_order: ByteOrder = "le") -> bytes:
        return der.encode_tlv(der.OCTET_STRING, self.to_compressed(byte_order))


def public_key_from_private(curve: Curve, d: int) -> PublicKey:
    """Q = -(d G)."""
    if not 0 < d < curve.n:
        raise DSTUError("private key out of range")
    point = curve.to_affine(curve.mul_base(d))
    if point is None:
        raise DSTUError("private key out of range")
    return PublicKey(curve, curve.negate(point))


def generate_private_key(curve: Curve) -> int:
    """A random private key in [1, n-1] (test data only)."""
    return 1 + secrets.randbelow(curve.n - 1)


# -- hashing and signatures --------------------------------------------------


def hash_to_field(curve: Curve, digest: bytes) -> int:
    """The field element h of a hash value: little-endian, m low bits, 0 -> 1."""
    if not isinstance(digest, bytes | bytearray) or not digest:
        raise DSTUError("the hash value must be non-empty bytes")
    h = int.from_bytes(digest, "little") & curve.field.mask
    return h or 1


def _field_to_integer(curve: Curve, value: int) -> int:
    return value & ((1 << (curve.n.bit_length() - 1)) - 1)


def signature_length(curve: Curve) -> int:
    """Bytes of the raw signature value: 2L, L the byte length of n."""
    return 2 * ((curve.n.bit_length() + 7) // 8)


def encode_signature(curve: Curve, r: int, s: int, byte_order: ByteOrder = "le") -> bytes:
    """The raw 2L-byte signature value (see the module docstring for the layout)."""
    half = signature_length(curve) // 2
    if not (0 < r < curve.n and 0 < s < curve.n):
        raise DSTUError("r and s must lie in [1, n-1]")
    return ((s << (8 * half)) | r).to_bytes(2 * half, _order(byte_order))


def decode_signature(curve: Curve, raw: bytes, byte_order: ByteOrder = "le") -> tuple[int, int]:
    """(r, s) from the raw signature value; DSTUError on a wrong length (range is checked by verify)."""
    if not isinstance(raw, bytes | bytearray) or len(raw) != signature_length(curve):
        raise DSTUError("DSTU 4145 signature has the wrong length for this curve")
    half = len(raw) // 2
    value = int.from_bytes(raw, _order(byte_order))
    return value & ((1 << (8 * half)) - 1), value >> (8 * half)


def unwrap_signature(value: bytes) -> bytes:
    """The raw value inside the DER OCTET STRING that CMS and certificates carry."""
    return der.expect(der.read_one(value), der.OCTET_STRING, "signature value")


def sign_digest(curve: Curve, d: int, digest: bytes, *, e: int | None = None) -> tuple[int, int]:
    """(r, s) over a hash value; ``e`` fixes the per-signature secret (standard test vectors only)."""
    if not 0 < d < curve.n:
        raise DSTUError("private key out of range")
    h = hash_to_field(curve, digest)
    f = curve.field
    while True:
        k = e if e is not None else 1 + secrets.randbelow(curve.n - 1)
        if not 0 < k < curve.n:
            raise DSTUError("e out of range")
        point = curve.to_affine(curve.mul_base(k))
        if point is not None and point[0]:
            r = _field_to_integer(curve, f.mul(h, point[0]))
            s = (k + d * r) % curve.n
            if r and s:
                return r, s
        if e is not None:
            raise DSTUError("this e gives no signature")


def verify_digest(key: PublicKey, digest: bytes, r: int, s: int) -> bool:
    """Whether (r, s) is a valid signature of the hash value under ``key``."""
    curve = key.curve
    if not isinstance(r, int) or not isinstance(s, int):
        raise DSTUError("r and s are integers")
    if not (0 < r < curve.n and 0 < s < curve.n):
        return False
    h = hash_to_field(curve, digest)
    point = curve.mul_add(s, r, key.point)
    if point[2] == 0:
        return False
    f = curve.field
    x = f.mul(point[0], f.inv(point[2]))
    return _field_to_integer(curve, f.mul(h, x)) == r


def verify(key: PublicKey, digest: bytes, signature: bytes, byte_order: ByteOrder = "le") -> bool:
    """Verify a raw signature value (2L bytes) over a hash value.

    A wrong length, r or s out of range, or a failed equation is ``False``;
    only arguments of the wrong kind raise :class:`DSTUError`.
    """
    if not isinstance(signature, bytes | bytearray):
        raise DSTUError("the signature value must be bytes")
    if len(signature) != signature_length(key.curve):
        return False
    r, s = decode_signature(key.curve, signature, byte_order)
    return verify_digest(key, digest, r, s)


def digest_function(oid: str, sbox: SBox = DEFAULT_SBOX) -> Callable[[bytes], bytes]:
    """The hash for a digest algorithm OID (GOST 34.311 with the key's S-box, or Kupyna)."""
    if oid == GOST34311_OID:
        return lambda data: gost34311(data, sbox=sbox)
    bits = KUPYNA_OIDS.get(oid)
    if bits == 256:
        return kupyna256
    if bits == 384:
        return kupyna384
    if bits == 512:
        return kupyna512
    raise DSTUError(f"unsupported digest algorithm {oid}")
