"""Policy loading from files/settings, and the stable JSON report."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from asn1crypto import cms
from cryptography.hazmat.primitives import serialization

from signatures import PolicyError, VerificationPolicy, load_certificates, verify


def _pem(party) -> bytes:
    return party.cert.public_bytes(serialization.Encoding.PEM)


def test_load_trust_roots_from_directory_bundle_der_and_p7b(tmp_path, pki):
    (tmp_path / "root.pem").write_bytes(_pem(pki.root))
    (tmp_path / "ca.der").write_bytes(pki.ca.der)
    (tmp_path / "notes.txt").write_text("ignored: not a certificate suffix")
    assert set(load_certificates(tmp_path)) == {pki.root.der, pki.ca.der}

    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(_pem(pki.root) + _pem(pki.ca))
    assert load_certificates(bundle) == (pki.root.der, pki.ca.der)

    sd = cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [],
            "encap_content_info": {"content_type": "data"},
            "certificates": [cms.CertificateChoices.load(pki.root.der), cms.CertificateChoices.load(pki.ca.der)],
            "signer_infos": [],
        }
    )
    p7b = tmp_path / "CACertificates.p7b"
    p7b.write_bytes(cms.ContentInfo({"content_type": "signed_data", "content": sd}).dump())
    assert load_certificates(p7b) == (pki.root.der, pki.ca.der)


def test_broken_trust_root_file_is_an_error_not_silently_skipped(tmp_path):
    bad = tmp_path / "broken.pem"
    bad.write_bytes(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    with pytest.raises(PolicyError):
        load_certificates(bad)
    with pytest.raises(PolicyError):
        load_certificates(tmp_path / "missing.pem")


def test_from_settings_maps_the_config_section(tmp_path, pki):
    (tmp_path / "root.pem").write_bytes(_pem(pki.root))
    section = SimpleNamespace(
        trust_roots=tmp_path,
        revocation_mode="soft-fail",
        allow_online_fetch=False,
        max_file_mb=2,
        max_pages=10,
        timeout_seconds=5,
    )
    policy = VerificationPolicy.from_settings(section)
    assert policy.trust_roots == (pki.root.der,)
    assert policy.revocation_mode == "soft-fail"
    assert policy.max_file_bytes == 2 * 1024 * 1024
    assert policy.max_pages == 10 and policy.timeout_seconds == 5.0
    assert VerificationPolicy.from_settings({"trust_roots": ""}).trust_roots == ()


def test_invalid_revocation_mode_is_refused():
    with pytest.raises(PolicyError):
        VerificationPolicy(revocation_mode="whatever")  # type: ignore[arg-type]


def test_default_policy_trusts_nothing(docs):
    report = verify(docs.signed_pdf(), policy=VerificationPolicy())
    assert not report.passed


def test_json_report_has_the_documented_stable_fields(pki, docs, consts):
    report = verify(docs.signed_pdf(timestamp=True), filename="zayava.pdf", policy=pki.policy())
    data = json.loads(json.dumps(report.to_json()))
    for key in (
        "schema_version",
        "indication",
        "sub_indication",
        "integrity",
        "message",
        "message_code",
        "format",
        "manual_review",
        "signer_match",
        "signatures",
        "sha256",
    ):
        assert key in data
    sig = data["signatures"][0]
    for key in (
        "indication",
        "sub_indication",
        "integrity",
        "message",
        "name",
        "tax_number",
        "edrpou",
        "qualified",
        "is_seal",
        "certificate_serial",
        "certificate_issuer",
        "signing_time",
        "timestamp_time",
        "format",
        "algorithm",
    ):
        assert key in sig
    assert data["indication"] == "TOTAL_PASSED" and data["integrity"] == "intact"
    assert sig["tax_number"] == consts["DIRECTOR_TIN"]
    assert sig["signing_time"] == consts["SIGN_TIME"].isoformat()
    assert data["evidence"][0]["size"] == len(docs.signed_pdf(timestamp=True))
