"""Detached and enveloping .p7s, several signers, DSTU 4145 and the backend seam."""

from __future__ import annotations

from asn1crypto import algos, cms

from signatures import (
    ExpectedSigner,
    Indication,
    Integrity,
    NationalVerdict,
    SignerMatch,
    verify,
)

DOC = b"%PDF-1.7 pretend this is the application\n"


def test_valid_detached_p7s(pki, docs):
    report = verify(DOC, detached_signature=docs.cms(DOC), filename="zayava.pdf", policy=pki.policy())
    assert report.passed
    assert report.format == "CAdES-detached"
    assert report.evidence[0].data == DOC


def test_detached_p7s_over_another_document_fails(pki, docs):
    report = verify(DOC + b"x", detached_signature=docs.cms(DOC), policy=pki.policy())
    assert report.indication is Indication.TOTAL_FAILED
    assert report.sub_indication == "HASH_FAILURE"
    assert report.integrity is Integrity.BROKEN


def test_detached_p7s_with_timestamp_is_b_t(pki, docs, consts):
    report = verify(DOC, detached_signature=docs.cms(DOC, timestamp=True), policy=pki.policy())
    assert report.passed
    assert report.signatures[0].timestamp_time == consts["SIGN_TIME"]


def test_enveloping_p7s_extracts_the_document(pki, docs):
    wrapped = docs.cms(DOC, detached=False)
    report = verify(wrapped, filename="zayava.pdf.p7s", policy=pki.policy())
    assert report.passed
    assert report.format == "CAdES-enveloping"
    (doc,) = report.evidence
    assert doc.name == "zayava.pdf"
    assert doc.data == DOC
    assert "data" not in str(report.to_json())  # bytes never go into the JSON


def test_enveloping_p7s_with_altered_inner_document_fails(pki, docs):
    wrapped = docs.cms(DOC, detached=False)
    tampered = wrapped.replace(b"application", b"applicatioN")
    report = verify(tampered, policy=pki.policy())
    assert report.indication is Indication.TOTAL_FAILED
    assert report.integrity is Integrity.BROKEN


def test_detached_signature_alone_asks_for_the_document(pki, docs):
    report = verify(docs.cms(DOC), filename="zayava.pdf.p7s", policy=pki.policy())
    assert report.message_code == "DETACHED_CONTENT_MISSING"
    assert report.indication is Indication.INDETERMINATE


def _two_signers(docs) -> bytes:
    first = cms.ContentInfo.load(docs.cms(DOC, "director"))
    second = cms.ContentInfo.load(docs.cms(DOC, "other"))
    sd = first["content"]
    certs = list(sd["certificates"]) + list(second["content"]["certificates"])
    merged = cms.SignedData(
        {
            "version": sd["version"],
            "digest_algorithms": sd["digest_algorithms"],
            "encap_content_info": sd["encap_content_info"],
            "certificates": certs,
            "signer_infos": [sd["signer_infos"][0], second["content"]["signer_infos"][0]],
        }
    )
    return cms.ContentInfo({"content_type": "signed_data", "content": merged}).dump()


def test_one_p7s_with_two_signers_gives_two_reports(pki, docs, consts):
    report = verify(
        DOC,
        detached_signature=_two_signers(docs),
        policy=pki.policy(),
        expected=ExpectedSigner(edrpou=consts["EDRPOU"], signatory_tax_number=consts["DIRECTOR_TIN"]),
    )
    # DER sorts a SET OF by encoding, so the order of signers in the file is not the order they signed in.
    assert sorted(s.signer.tax_number for s in report.signatures) == sorted(
        [consts["DIRECTOR_TIN"], consts["OTHER_TIN"]]
    )
    assert all(s.indication is Indication.TOTAL_PASSED for s in report.signatures)
    assert report.signer_match is SignerMatch.MATCH


DSTU_SIG = "1.2.804.2.1.1.1.1.3.1.1"
GOST_HASH = "1.2.804.2.1.1.1.1.2.1"


def dstu_cms(docs, *, detached: bool) -> bytes:
    """A CMS that claims DSTU 4145 + GOST 34.311, rebuilt with asn1crypto."""
    info = cms.ContentInfo.load(docs.cms(DOC, detached=detached))
    sd = info["content"]
    si = sd["signer_infos"][0]
    new_si = cms.SignerInfo(
        {
            "version": si["version"],
            "sid": si["sid"],
            "digest_algorithm": algos.DigestAlgorithm({"algorithm": GOST_HASH}),
            "signed_attrs": si["signed_attrs"],
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": DSTU_SIG}),
            "signature": b"\x04\x40" + b"\x11" * 64,
        }
    )
    new_sd = cms.SignedData(
        {
            "version": sd["version"],
            "digest_algorithms": [algos.DigestAlgorithm({"algorithm": GOST_HASH})],
            "encap_content_info": sd["encap_content_info"],
            "certificates": sd["certificates"],
            "signer_infos": [new_si],
        }
    )
    return cms.ContentInfo({"content_type": "signed_data", "content": new_sd}).dump()


def test_dstu4145_is_unsupported_algorithm_with_claimed_signer(pki, docs, consts):
    report = verify(DOC, detached_signature=dstu_cms(docs, detached=True), policy=pki.policy())
    assert report.indication is Indication.INDETERMINATE
    assert report.sub_indication == "UNSUPPORTED_ALGORITHM"
    assert report.manual_review
    assert "ДСТУ 4145" in report.message and "вручну" in report.message
    (sig,) = report.signatures
    assert sig.algorithm == "dstu4145-gost34311"
    assert sig.signer.tax_number == consts["DIRECTOR_TIN"]


def test_enveloping_dstu_still_extracts_the_document(pki, docs):
    report = verify(dstu_cms(docs, detached=False), filename="a.pdf.p7s", policy=pki.policy())
    assert report.sub_indication == "UNSUPPORTED_ALGORITHM"
    assert report.evidence[0].data == DOC


class _FakeNationalBackend:
    """Stands in for a certified national-crypto library at the seam."""

    name = "fake-iit"

    def __init__(self, valid: bool) -> None:
        self.valid = valid
        self.calls: list[bytes] = []

    def supports(self, algorithm):
        return algorithm.national

    def verify(self, signed_data, content, *, policy):
        self.calls.append(content)
        return NationalVerdict(
            indication=Indication.TOTAL_PASSED if self.valid else Indication.TOTAL_FAILED,
            sub_indication=None if self.valid else "SIG_CRYPTO_FAILURE",
            digest_matches=True,
            signature_valid=self.valid,
            details="checked by fake backend",
        )


def test_national_backend_seam_is_used_when_registered(pki, docs):
    good = _FakeNationalBackend(valid=True)
    report = verify(
        DOC,
        detached_signature=dstu_cms(docs, detached=True),
        policy=pki.policy(national_backends=(good,), isolate=False),
    )
    assert good.calls == [DOC]
    assert report.passed
    bad = _FakeNationalBackend(valid=False)
    report = verify(DOC, detached_signature=dstu_cms(docs, detached=True), policy=pki.policy(national_backends=(bad,)))
    assert report.indication is Indication.TOTAL_FAILED
    assert report.sub_indication == "SIG_CRYPTO_FAILURE"
