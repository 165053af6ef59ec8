"""Trust, revocation and signer identity decide the verdict, not "no exception"."""

from __future__ import annotations

import pytest

from signatures import ExpectedSigner, Indication, Integrity, SignerMatch, verify


def _expected(consts):
    return ExpectedSigner(edrpou=consts["EDRPOU"], signatory_tax_number=consts["DIRECTOR_TIN"])


def test_untrusted_root_is_indeterminate_no_chain(pki, docs):
    report = verify(docs.signed_pdf("rogue"), policy=pki.policy())
    assert report.indication is Indication.INDETERMINATE
    assert report.sub_indication == "NO_CERTIFICATE_CHAIN_FOUND"
    assert report.integrity is Integrity.INTACT  # the document itself is fine
    assert report.manual_review


def test_rogue_root_passes_only_when_someone_trusts_it(pki, docs):
    policy = pki.policy(trust_roots=(pki.rogue_root.der,), revocation_mode="soft-fail")
    assert verify(docs.signed_pdf("rogue"), policy=policy).passed
    # and our real signer is then untrusted: roots are exactly what the policy says
    assert not verify(docs.signed_pdf(), policy=policy).passed


def test_no_trust_roots_never_passes(pki, docs):
    report = verify(docs.signed_pdf(), policy=pki.policy(trust_roots=()))
    assert report.indication is Indication.INDETERMINATE


def test_expired_certificate_is_indeterminate(pki, docs):
    report = verify(docs.signed_pdf("expired"), policy=pki.policy())
    assert report.indication is Indication.INDETERMINATE
    assert report.sub_indication == "OUT_OF_BOUNDS_NO_POE"
    assert report.message_code == "EXPIRED"


def test_revoked_by_crl_without_timestamp_is_revoked_no_poe(pki, docs):
    report = verify(docs.signed_pdf("revoked"), policy=pki.policy())
    assert report.indication is Indication.INDETERMINATE
    assert report.sub_indication == "REVOKED_NO_POE"
    assert "скасовано" in report.message


def test_revoked_by_ocsp_is_detected(pki, docs):
    policy = pki.policy(crls=(pki.crls[0],), ocsp_responses=(pki.ocsp_revoked,))
    report = verify(docs.signed_pdf("revoked"), policy=policy)
    assert report.sub_indication == "REVOKED_NO_POE"
    assert not report.passed


def test_good_ocsp_response_is_enough_revocation_data(pki, docs):
    policy = pki.policy(crls=(pki.crls[0],), ocsp_responses=(pki.ocsp_good_director,))
    assert verify(docs.signed_pdf(), policy=policy).passed


def test_revoked_with_timestamp_after_revocation_is_total_failed(pki, docs):
    report = verify(docs.signed_pdf("revoked", timestamp=True), policy=pki.policy())
    assert report.indication is Indication.TOTAL_FAILED
    assert report.sub_indication == "REVOKED"


@pytest.mark.parametrize(
    ("mode", "indication", "sub"),
    [("hard-fail", Indication.INDETERMINATE, "TRY_LATER"), ("soft-fail", Indication.TOTAL_PASSED, None)],
)
def test_no_revocation_data_under_each_mode(pki, docs, mode, indication, sub):
    report = verify(docs.signed_pdf(), policy=pki.policy(crls=(), revocation_mode=mode))
    assert report.indication is indication
    assert report.sub_indication == sub
    if mode == "hard-fail":
        assert report.message_code == "REVOCATION_UNKNOWN"


def test_soft_fail_still_fails_a_known_revocation(pki, docs):
    report = verify(docs.signed_pdf("revoked"), policy=pki.policy(revocation_mode="soft-fail"))
    assert not report.passed
    assert report.sub_indication == "REVOKED_NO_POE"


def test_wrong_signer_is_sound_but_goes_to_an_operator(pki, docs, consts):
    report = verify(docs.signed_pdf("other"), policy=pki.policy(), expected=_expected(consts))
    assert report.indication is Indication.TOTAL_PASSED  # not rejected outright
    assert report.signer_match is SignerMatch.SIGNATORY_MISMATCH
    assert report.manual_review
    assert report.message_code == "PASSED_SIGNER_MISMATCH"
    assert "не є особою, яка підписала договір" in report.message


def test_other_company_is_an_edrpou_mismatch(pki, docs, consts):
    expected = ExpectedSigner(edrpou="14360570", signatory_tax_number=consts["DIRECTOR_TIN"])
    report = verify(docs.signed_pdf(), policy=pki.policy(), expected=expected)
    assert report.signer_match is SignerMatch.EDRPOU_MISMATCH
    assert report.manual_review


def test_seal_is_reported_as_seal_and_reviewed(pki, docs, consts):
    report = verify(docs.signed_pdf("seal"), policy=pki.policy(), expected=_expected(consts))
    (sig,) = report.signatures
    assert sig.signer.is_seal
    assert sig.signer.tax_number is None
    assert sig.signer.edrpou == consts["EDRPOU"]
    assert report.signer_match is SignerMatch.SEAL
    assert report.manual_review
    assert report.message_code == "PASSED_SEAL"
