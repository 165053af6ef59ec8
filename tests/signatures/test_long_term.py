"""PAdES-LT/LTA validation data and past signature validation.

A long-term document carries the revocation data that was current when it
was signed; it must validate offline under hard-fail from that data alone.
An expired or later-revoked certificate is judged at the time a trusted
timestamp proves the signature existed — but only with such a proof and with
revocation data current at that time; otherwise the verdict stays as it was.
"""

from __future__ import annotations

import pytest
from pyhanko.sign.fields import SigSeedSubFilter

from signatures import Indication, Integrity, verify

from .conftest import PAST_SIGN_TIME, crls_current_at


@pytest.mark.parametrize(
    ("subfilter", "where"),
    [(SigSeedSubFilter.PADES, "DSS"), (SigSeedSubFilter.ADOBE_PKCS7_DETACHED, "revocationInfoArchival")],
)
def test_lt_document_validates_offline_from_its_own_revocation_data(pki, sign_ltv, consts, subfilter, where):
    document = sign_ltv(subfilter=subfilter)
    # no CRL or OCSP from outside, no network, revocation status required
    report = verify(document, policy=pki.policy(crls=(), revocation_mode="hard-fail"))
    assert report.passed, (where, report.signatures[0].details)
    (sig,) = report.signatures
    assert sig.level == "B-LT"
    assert sig.timestamp_time == consts["SIGN_TIME"]
    assert sig.validated_at is None  # valid now; no need to look into the past


def test_without_embedded_data_the_same_policy_says_try_later(pki, docs):
    report = verify(docs.signed_pdf(timestamp=True), policy=pki.policy(crls=(), revocation_mode="hard-fail"))
    assert report.indication is Indication.INDETERMINATE
    assert report.sub_indication == "TRY_LATER"


def test_expired_certificate_with_earlier_trusted_timestamp_passes_at_that_time(pki, sign_ltv):
    document = sign_ltv("expired", when=PAST_SIGN_TIME)
    report = verify(document, policy=pki.policy())
    assert report.indication is Indication.TOTAL_PASSED, report.signatures[0].details
    assert report.integrity is Integrity.INTACT
    (sig,) = report.signatures
    assert sig.validated_at == PAST_SIGN_TIME
    assert sig.best_signing_time == PAST_SIGN_TIME
    assert sig.to_json()["best_signing_time"] == PAST_SIGN_TIME.isoformat()
    assert sig.to_json()["validated_at"] == PAST_SIGN_TIME.isoformat()


def test_expired_certificate_with_offline_revocation_data_from_the_timestamp_time(pki, pdf_factory):
    """Same proof, the old CRLs supplied by the caller instead of embedded."""
    stamper = pki.timestamper()
    stamper.fixed_dt = PAST_SIGN_TIME
    document = _sign_at(pki, pdf_factory, "expired", stamper)
    policy = pki.policy(crls=pki.crls + crls_current_at(pki, PAST_SIGN_TIME))
    report = verify(document, policy=policy)
    assert report.indication is Indication.TOTAL_PASSED, report.signatures[0].details
    assert report.signatures[0].validated_at == PAST_SIGN_TIME


def test_expired_certificate_with_only_current_revocation_data_stays_indeterminate(pki, pdf_factory):
    """A CRL issued after the certificate expired does not prove its status at
    the timestamp's time (an expired certificate may have left the CRL)."""
    stamper = pki.timestamper()
    stamper.fixed_dt = PAST_SIGN_TIME
    report = verify(_sign_at(pki, pdf_factory, "expired", stamper), policy=pki.policy())
    assert report.indication is Indication.INDETERMINATE
    assert report.sub_indication == "OUT_OF_BOUNDS_NO_POE"
    assert report.signatures[0].validated_at is None


def test_expired_certificate_without_timestamp_has_no_proof_of_existence(pki, sign_ltv):
    document = sign_ltv("expired", when=PAST_SIGN_TIME, timestamp=False)
    report = verify(document, policy=pki.policy())
    assert report.indication is Indication.INDETERMINATE
    assert report.sub_indication == "OUT_OF_BOUNDS_NO_POE"
    assert report.message_code == "EXPIRED"
    (sig,) = report.signatures
    assert sig.validated_at is None
    assert sig.timestamp_time is None


def test_certificate_revoked_after_the_timestamp_passes_at_that_time(pki, sign_ltv):
    document = sign_ltv("revoked", when=PAST_SIGN_TIME)
    report = verify(document, policy=pki.policy())  # today's CRL lists the revocation
    assert report.indication is Indication.TOTAL_PASSED, report.signatures[0].details
    assert report.signatures[0].validated_at == PAST_SIGN_TIME


def test_certificate_revoked_before_the_timestamp_still_fails(pki, sign_ltv, consts):
    """Embedded data from before the revocation cannot hide a revocation that
    today's CRL dates before the proof of existence."""
    document = sign_ltv("revoked", when=PAST_SIGN_TIME, timestamp_at=consts["SIGN_TIME"])
    report = verify(document, policy=pki.policy())
    assert report.indication is Indication.TOTAL_FAILED
    assert report.sub_indication == "REVOKED"
    assert report.signatures[0].validated_at is None


def test_untrusted_timestamp_is_no_proof_of_existence(pki, sign_ltv):
    """The timestamp authority chains to a root the policy does not trust."""
    document = sign_ltv("expired", when=PAST_SIGN_TIME)
    policy = pki.policy(trust_roots=(pki.rogue_root.der,))
    report = verify(document, policy=policy)
    assert not report.passed
    assert report.signatures[0].validated_at is None


def _sign_at(pki, pdf_factory, who, stamper):
    import io

    from freezegun import freeze_time
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    meta = signers.PdfSignatureMetadata(
        field_name="Signature1", subfilter=SigSeedSubFilter.PADES, md_algorithm="sha256"
    )
    pdf_signer = signers.PdfSigner(meta, signer=getattr(pki, who).signer(), timestamper=stamper)
    with freeze_time(stamper.fixed_dt):
        return pdf_signer.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf_factory()))).getvalue()
