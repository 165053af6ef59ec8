"""Properties of DSTU 4145 signing/verification and fuzzing of the parsers.

Round trips run on every standard curve (and both byte orders); a flipped
bit anywhere in the message, r, s or the key must fail.  The parsers (keys,
signatures, parameters, DER) get arbitrary and mutated bytes: the only
exception allowed out is DSTUError.
"""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signatures.dstu import (
    NAMED_CURVE_OIDS,
    DSTUError,
    PublicKey,
    decode_parameters,
    decode_signature,
    encode_parameters,
    encode_signature,
    generate_private_key,
    gost34311,
    kupyna256,
    kupyna512,
    named_curve,
    public_key_from_private,
    sign_digest,
    unwrap_signature,
    verify,
)
from signatures.dstu.curve import Curve

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _key(curve: Curve, d: int) -> PublicKey:
    return PublicKey.from_compressed(public_key_from_private(curve, d).to_compressed(), curve)


@pytest.mark.parametrize("oid", NAMED_CURVE_OIDS)
def test_round_trip_and_tampering_on_every_curve(oid: str) -> None:
    curve = named_curve(oid)
    d = generate_private_key(curve)
    key = _key(curve, d)
    message = b"zayava " + oid.encode()
    for order, hash_function in (("le", gost34311), ("be", kupyna256 if curve.field.m < 300 else kupyna512)):
        digest = hash_function(message)
        raw = encode_signature(curve, *sign_digest(curve, d, digest), order)  # type: ignore[arg-type]
        assert verify(key, digest, raw, order)  # type: ignore[arg-type]
        # A flipped bit in the message, in r, in s:
        assert not verify(key, hash_function(message + b"."), raw, order)  # type: ignore[arg-type]
        half = len(raw) // 2
        for position in (0, half - 1, half, len(raw) - 1):
            tampered = bytearray(raw)
            tampered[position] ^= 0x01
            assert not verify(key, digest, bytes(tampered), order)  # type: ignore[arg-type]
    # Another key does not verify it.
    other = _key(curve, d % (curve.n - 1) + 1)
    digest = gost34311(message)
    raw = encode_signature(curve, *sign_digest(curve, d, digest))
    assert not verify(other, digest, raw)
    # Wrong lengths are a plain "no".
    assert not verify(key, digest, raw[:-1])
    assert not verify(key, digest, raw + b"\x00")


@pytest.mark.parametrize("oid", [NAMED_CURVE_OIDS[0], NAMED_CURVE_OIDS[6]])
def test_out_of_range_r_and_s_fail(oid: str) -> None:
    curve = named_curve(oid)
    d = generate_private_key(curve)
    key = _key(curve, d)
    digest = gost34311(b"x")
    r, s = sign_digest(curve, d, digest)
    half = len(encode_signature(curve, r, s)) // 2
    for bad_r, bad_s in ((0, s), (r, 0), (r + curve.n, s), (r, s + curve.n), (curve.n, s)):
        if bad_r >> (8 * half) or bad_s >> (8 * half):
            continue
        raw = ((bad_s << (8 * half)) | bad_r).to_bytes(2 * half, "little")
        assert not verify(key, digest, raw)
    with pytest.raises(DSTUError):
        encode_signature(curve, 0, s)


def test_keys_off_the_curve_or_subgroup_are_refused() -> None:
    curve = named_curve(NAMED_CURVE_OIDS[6])
    x, y = curve.base
    with pytest.raises(DSTUError):
        PublicKey.from_point(curve, (x, y ^ 1))  # not on the curve
    with pytest.raises(DSTUError):
        PublicKey.from_point(curve, (0, curve.field.sqrt(curve.b)))  # the point of order two
    # A point of order 2n (cofactor part left in): on the curve, outside the subgroup.
    two_torsion = (0, curve.field.sqrt(curve.b))
    mixed = curve.add_affine(curve.base, two_torsion)
    assert mixed is not None and curve.contains(mixed)
    with pytest.raises(DSTUError):
        PublicKey.from_point(curve, mixed)
    with pytest.raises(DSTUError):
        PublicKey.from_compressed(curve.field.to_bytes(curve.compress(mixed), "little"), curve)


def test_flipped_key_bit_never_verifies() -> None:
    curve = named_curve(NAMED_CURVE_OIDS[0])
    d = generate_private_key(curve)
    key = _key(curve, d)
    digest = gost34311(b"document")
    raw = encode_signature(curve, *sign_digest(curve, d, digest))
    compressed = key.to_compressed()
    for bit in range(0, 8 * len(compressed), 7):
        flipped = bytearray(compressed)
        flipped[bit // 8] ^= 1 << (bit % 8)
        try:
            other = PublicKey.from_compressed(bytes(flipped), curve)
        except DSTUError:
            continue
        assert not verify(other, digest, raw)


# -- fuzzing the parsers -------------------------------------------------------


SMALL_CURVE = named_curve(NAMED_CURVE_OIDS[0])


@FUZZ
@given(st.binary(max_size=64))
def test_fuzz_public_key_bytes(data: bytes) -> None:
    for order in ("le", "be"):
        for parse in (PublicKey.from_compressed, PublicKey.from_octet_string):
            try:
                key = parse(data, SMALL_CURVE, order)  # type: ignore[arg-type]
            except DSTUError:
                continue
            assert SMALL_CURVE.in_subgroup(key.point)


@FUZZ
@given(st.binary(max_size=120))
def test_fuzz_signature_bytes(data: bytes) -> None:
    key = _key(SMALL_CURVE, 12345)
    for order in ("le", "be"):
        assert verify(key, b"\x01" * 32, data, order) in (True, False)  # type: ignore[arg-type]
        with contextlib.suppress(DSTUError):
            decode_signature(SMALL_CURVE, data, order)  # type: ignore[arg-type]
    with contextlib.suppress(DSTUError):
        unwrap_signature(data)


_PARAMS = [encode_parameters(named_curve(oid)) for oid in NAMED_CURVE_OIDS[:2]] + [
    encode_parameters(named_curve(NAMED_CURVE_OIDS[0]), named=False, dke=bytes(range(64))),
    encode_parameters(named_curve(NAMED_CURVE_OIDS[1]), named=False, byte_order="be"),
]


@FUZZ
@given(st.binary(max_size=200))
def test_fuzz_parameters_random(data: bytes) -> None:
    for order in ("le", "be"):
        with contextlib.suppress(DSTUError):
            decode_parameters(data, order)  # type: ignore[arg-type]


@FUZZ
@given(st.sampled_from(_PARAMS), st.data())
def test_fuzz_parameters_mutated(template: bytes, data: st.DataObject) -> None:
    mutated = bytearray(template)
    for _ in range(data.draw(st.integers(1, 3))):
        index = data.draw(st.integers(0, len(mutated) - 1))
        mutated[index] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(mutated)))
    for candidate in (bytes(mutated), bytes(mutated[:cut])):
        try:
            params = decode_parameters(candidate)
        except DSTUError:
            continue
        assert params.curve.in_subgroup(params.curve.base)


def test_bad_parameters_are_refused() -> None:
    curve = named_curve(NAMED_CURVE_OIDS[0])
    good = encode_parameters(curve, named=False)
    assert decode_parameters(good).curve is curve
    wrong_b = bytearray(good)
    b_at = good.index(curve.b.to_bytes(curve.field.byte_length, "little"))
    wrong_b[b_at] ^= 0x04
    with pytest.raises(DSTUError):
        decode_parameters(bytes(wrong_b))  # the base point is no longer on the curve (or n is wrong)
    with pytest.raises(DSTUError):
        decode_parameters(good + b"\x00")
    with pytest.raises(DSTUError):
        decode_parameters(encode_parameters(curve, dke=bytes(64)))  # S-box rows not permutations
    with pytest.raises(DSTUError):
        decode_parameters("not bytes")  # type: ignore[arg-type]
