"""Fuzzing the DSTU certificate, CRL, OCSP, timestamp and CAdES code: nothing but DSTUError escapes the key
parser, and no mutated signature escapes as an exception or passes."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from asn1crypto import crl, ocsp, x509
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signatures.cms import NotCms, find_signer_cert, load_signed_data, other_certs, split_signers
from signatures.context import NO_EVIDENCE, Session
from signatures.dstu import DSTUError
from signatures.national.cades import NationalOutcome, verify_dstu
from signatures.national.certs import spki_key
from signatures.national.path import Trust, validate
from signatures.report import Indication, Integrity
from tests.signatures.dstu_pki import DIRECTOR_TIN, DstuPKI, build_dstu_pki, cades, make_ocsp, spki, timestamp_token

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DOC = b"zayava"


@pytest.fixture(scope="module")
def material():
    pki = build_dstu_pki()
    return pki, cades(pki.director, DOC), spki(pki.director.d, pki.director.dke)


def _mutate(data: bytes, position: int, value: int, cut: int) -> bytes:
    out = bytearray(data)
    out[position % len(out)] = value
    return bytes(out[: len(out) - cut % 8])


@FUZZ
@given(st.binary(max_size=300))
def test_spki_parser_raises_only_dstu_error_on_junk(data):
    with contextlib.suppress(DSTUError):
        spki_key(data)


@FUZZ
@given(position=st.integers(min_value=0), value=st.integers(0, 255), cut=st.integers(0, 7))
def test_spki_parser_on_mutated_keys(material, position, value, cut):
    _, _, key = material
    with contextlib.suppress(DSTUError):
        spki_key(_mutate(key, position, value, cut))


def _outcomes(pki: DstuPKI, signature: bytes) -> Iterator[tuple[x509.Certificate | None, NationalOutcome]]:
    """(signer certificate, outcome) of each signer of ``signature`` that can be read, verified over ``DOC``."""
    try:
        parts = split_signers(load_signed_data(signature))
    except (NotCms, ValueError, TypeError, KeyError):
        return
    from signatures import VerificationPolicy

    session = Session(
        VerificationPolicy(trust_roots=(pki.root.der,), crls=pki.crls, validation_time=datetime(2025, 6, 1, tzinfo=UTC))
    )
    for sd in parts:
        try:
            cert, certs = find_signer_cert(sd), other_certs(sd)
        except (ValueError, TypeError, KeyError):
            continue
        yield cert, verify_dstu(sd, DOC, cert, certs, session=session, evidence=NO_EVIDENCE)


@FUZZ
@given(position=st.integers(min_value=0), value=st.integers(0, 255), cut=st.integers(0, 7))
def test_mutated_cades_never_raises_and_never_passes_changed(material, position, value, cut):
    pki, signature, _ = material
    for cert, outcome in _outcomes(pki, _mutate(signature, position, value, cut)):
        if outcome.verdict.indication is Indication.TOTAL_PASSED:
            # Only a mutation that left every signed byte alone may pass (e.g. in an unsigned field).
            assert outcome.verdict.integrity is Integrity.INTACT
            assert cert is not None and DIRECTOR_TIN in str(cert.subject.native)


@FUZZ
@given(position=st.integers(min_value=0), value=st.integers(0, 255))
def test_path_validation_on_mutated_certificates_and_crls(material, position, value):
    pki, _, _ = material
    certs = []
    for der in (pki.director.der, pki.ca.der):
        with contextlib.suppress(ValueError, TypeError):
            certs.append(x509.Certificate.load(_mutate(der, position, value, 0)))
    crls = []
    for der in pki.crls:
        with contextlib.suppress(ValueError, TypeError):
            crls.append(crl.CertificateList.load(_mutate(der, position, value, 0)))
    trust = Trust((pki.root.cert,), tuple(certs), tuple(crls), datetime(2025, 6, 1, tzinfo=UTC), True)
    for cert in certs:
        result = validate(cert, trust)
        assert result.problem is not None or result.path


@pytest.fixture(scope="module")
def stamped(material):
    pki, _, _ = material
    when = datetime(2025, 5, 20, 10, 2, tzinfo=UTC)
    return when, cades(pki.director, DOC, timestamp=lambda value: timestamp_token(pki.tsa, value, when))


@FUZZ
@given(position=st.integers(min_value=0), value=st.integers(0, 255), cut=st.integers(0, 7))
def test_a_mutated_signature_timestamp_never_raises_nor_proves_another_time(material, stamped, position, value, cut):
    pki, _, _ = material
    when, signature = stamped
    for _cert, outcome in _outcomes(pki, _mutate(signature, position, value, cut)):
        assert outcome.timestamp_time in (None, when)


@FUZZ
@given(position=st.integers(min_value=0), value=st.integers(0, 255))
def test_a_mutated_revoked_ocsp_answer_never_makes_the_certificate_good(material, position, value):
    """The director's only status is an OCSP "revoked" answer, mutated: it may stop proving anything, but never
    proves "good" (hard-fail: the path fails either way)."""
    pki, _, _ = material
    answer = make_ocsp(pki.ca, 100, status="revoked")
    try:
        response = ocsp.OCSPResponse.load(_mutate(answer, position, value, 0))
    except (ValueError, TypeError):
        return
    trust = Trust((pki.root.cert,), (pki.ca.cert,), (pki.crls[0],), datetime(2025, 6, 1, tzinfo=UTC), True, (response,))
    assert validate(pki.director.cert, trust).problem is not None
