"""Ukrainian identity from certificates, and matching against the contract."""

from __future__ import annotations

import pytest

from signatures import ExpectedSigner, SignerMatch
from signatures.identity import identity_from_certificate, match_signer


def test_director_identity_from_tinua_and_ntrua(pki, consts):
    ident = identity_from_certificate(pki.director.asn1)
    assert ident.name == "Шевченко Тарас Григорович"
    assert ident.title == "Директор"
    assert ident.tax_number == consts["DIRECTOR_TIN"]
    assert ident.edrpou == consts["EDRPOU"]
    assert ident.qualified and not ident.is_seal
    assert ident.certificate_serial == "64"
    assert "Test Qualified Provider CA" in ident.certificate_issuer


def test_identifiers_from_subject_directory_attributes_only(pki, consts):
    ident = identity_from_certificate(pki.other.asn1)  # no TINUA/NTRUA in the subject
    assert ident.tax_number == consts["OTHER_TIN"]
    assert ident.edrpou == consts["EDRPOU"]


def test_seal_identity(pki):
    ident = identity_from_certificate(pki.seal.asn1)
    assert ident.is_seal and ident.qualified
    assert ident.tax_number is None


def test_certificate_without_qc_statements_is_not_qualified(pki):
    assert not identity_from_certificate(pki.expired.asn1).qualified


@pytest.mark.parametrize(
    ("who", "expected", "result"),
    [
        ("director", ExpectedSigner(edrpou="32855961", signatory_tax_number="3184710691"), SignerMatch.MATCH),
        ("other", ExpectedSigner(edrpou="32855961", signatory_tax_number="3184710691"), SignerMatch.SIGNATORY_MISMATCH),
        ("director", ExpectedSigner(edrpou="00000000"), SignerMatch.EDRPOU_MISMATCH),
        ("seal", ExpectedSigner(edrpou="32855961"), SignerMatch.SEAL),
        ("director", ExpectedSigner(rnokpp="3184710691"), SignerMatch.MATCH),
        ("director", None, SignerMatch.NOT_CHECKED),
    ],
)
def test_match_signer(pki, who, expected, result):
    assert match_signer(identity_from_certificate(getattr(pki, who).asn1), expected) is result
