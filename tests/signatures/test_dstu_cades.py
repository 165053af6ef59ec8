"""DSTU 4145 + GOST 34.311 signatures end to end: .p7s, PAdES, ASiC, chain, CRLs, integrity.

Everything is signed inside the tests over the DSTU test PKI (root -> QTSP CA
-> signer, m = 257, the director's key with a non-default DKE).
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from asn1crypto import cms, core, ocsp
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from signatures import ExpectedSigner, Indication, Integrity, SignerMatch, VerificationPolicy, verify
from signatures.dstu import der, gost34311
from tests.signatures.dstu_pki import SIGN_TIME, VALIDATION_TIME, make_crl, make_ocsp, timestamp_token

DOC = b"%PDF-1.7 zayava pryiednannia (DSTU)\n"


def _expected(consts):
    return ExpectedSigner(edrpou=consts["EDRPOU"], signatory_tax_number=consts["DIRECTOR_TIN"])


def test_detached_p7s_passes_with_the_configured_root(dstu, consts):
    report = verify(DOC, detached_signature=dstu.cms(DOC), filename="zayava.pdf", policy=dstu.policy(),
                    expected=_expected(consts))  # fmt: skip
    assert report.passed, report.to_json()
    assert report.format == "CAdES-detached"
    assert not report.manual_review
    (sig,) = report.signatures
    assert sig.algorithm == "dstu4145-gost34311"
    assert sig.signer.tax_number == consts["DIRECTOR_TIN"] and sig.signer.edrpou == consts["EDRPOU"]
    assert sig.signer.qualified
    assert sig.signer_match is SignerMatch.MATCH
    assert sig.signing_time == consts["SIGN_TIME"]
    assert sig.level == "B-B"


def test_enveloping_p7s_passes_and_yields_the_document(dstu):
    report = verify(dstu.cms(DOC, detached=False), filename="zayava.pdf.p7s", policy=dstu.policy())
    assert report.passed
    assert report.format == "CAdES-enveloping"
    assert report.evidence[0].data == DOC


def test_identifiers_from_subject_directory_attributes(dstu, consts):
    report = verify(DOC, detached_signature=dstu.cms(DOC, "other"), policy=dstu.policy(), expected=_expected(consts))
    assert report.indication is Indication.TOTAL_PASSED
    assert report.signer_match is SignerMatch.SIGNATORY_MISMATCH
    assert report.signatures[0].signer.tax_number == consts["OTHER_TIN"]


def test_tampered_content_is_failed_hash_failure_with_a_sentence(dstu):
    report = verify(DOC.replace(b"zayava", b"zayavb"), detached_signature=dstu.cms(DOC), policy=dstu.policy())
    assert report.indication is Indication.TOTAL_FAILED
    assert report.sub_indication == "HASH_FAILURE"
    assert report.integrity is Integrity.BROKEN
    assert report.message_code == "HASH_MISMATCH"
    assert "змінено після підписання" in report.message
    assert report.signatures[0].signer is not None  # the operator still sees who claims to have signed


def test_tampered_enveloped_content_fails(dstu):
    wrapped = dstu.cms(DOC, detached=False)
    report = verify(wrapped.replace(b"zayava", b"zayavb"), policy=dstu.policy())
    assert report.indication is Indication.TOTAL_FAILED
    assert report.integrity is Integrity.BROKEN


def _flip_signature(data: bytes) -> bytes:
    info = cms.ContentInfo.load(data)
    si = info["content"]["signer_infos"][0]
    raw = bytearray(si["signature"].native)
    raw[3] ^= 0x01
    si["signature"] = bytes(raw)
    return bytes(info.dump(force=True))


def test_bad_signature_value_is_sig_crypto_failure(dstu):
    report = verify(DOC, detached_signature=_flip_signature(dstu.cms(DOC)), policy=dstu.policy())
    assert report.indication is Indication.TOTAL_FAILED
    assert report.sub_indication == "SIG_CRYPTO_FAILURE"
    assert report.integrity is Integrity.BROKEN


def test_ess_reference_to_another_certificate_fails(dstu):
    signature = dstu.cms(DOC, ess_cert=dstu.pki.other.cert)
    report = verify(DOC, detached_signature=signature, policy=dstu.policy())
    assert not report.passed
    assert report.sub_indication == "NO_SIGNING_CERTIFICATE_FOUND"
    assert report.message_code == "SIGNING_CERTIFICATE_NOT_FOUND"


def test_missing_signer_certificate_leaves_integrity_unknown(dstu):
    report = verify(DOC, detached_signature=dstu.cms(DOC, include_cert=False), policy=dstu.policy())
    assert report.indication is Indication.INDETERMINATE
    assert report.integrity is Integrity.UNKNOWN


def test_kupyna_digest(dstu):
    report = verify(DOC, detached_signature=dstu.cms(DOC, digest_oid="1.2.804.2.1.1.1.1.2.2.1"), policy=dstu.policy())
    assert report.passed
    assert report.signatures[0].algorithm == "dstu4145-dstu7564-kupyna"


def test_no_trust_root_is_indeterminate_but_intact(dstu):
    report = verify(DOC, detached_signature=dstu.cms(DOC), policy=dstu.policy(trust_roots=()))
    assert report.indication is Indication.INDETERMINATE
    assert report.sub_indication == "NO_CERTIFICATE_CHAIN_FOUND"
    assert report.integrity is Integrity.INTACT
    assert report.manual_review


@pytest.mark.parametrize("case", ["good", "tampered", "bad-value", "wrong-ess", "rogue"])
def test_integrity_does_not_depend_on_trust_roots(dstu, case):
    content, signature = DOC, dstu.cms(DOC)
    if case == "tampered":
        content = DOC + b"!"
    elif case == "bad-value":
        signature = _flip_signature(signature)
    elif case == "wrong-ess":
        signature = dstu.cms(DOC, ess_cert=dstu.pki.other.cert)
    elif case == "rogue":
        signature = dstu.cms(DOC, "rogue")
    results = {
        verify(content, detached_signature=signature, policy=policy).integrity
        for policy in (
            dstu.policy(),
            dstu.policy(trust_roots=()),
            dstu.policy(trust_roots=(dstu.pki.rogue_root.der,)),
            dstu.policy(crls=(), revocation_mode="soft-fail"),
        )
    }
    assert len(results) == 1, results


def test_rogue_root_only_when_configured(dstu):
    rogue = dstu.cms(DOC, "rogue")
    assert verify(DOC, detached_signature=rogue, policy=dstu.policy()).sub_indication == "NO_CERTIFICATE_CHAIN_FOUND"
    trusted = dstu.policy(trust_roots=(dstu.pki.rogue_root.der,), revocation_mode="soft-fail")
    assert verify(DOC, detached_signature=rogue, policy=trusted).passed
    assert not verify(DOC, detached_signature=dstu.cms(DOC), policy=trusted).passed


def test_qtsp_ca_configured_as_root_is_enough(dstu):
    policy = dstu.policy(trust_roots=(dstu.pki.ca.der,))
    assert verify(DOC, detached_signature=dstu.cms(DOC), policy=policy).passed


def test_expired_certificate(dstu):
    report = verify(
        DOC, detached_signature=dstu.cms(DOC, "expired", signing_time=dstu_time(2024, 6)), policy=dstu.policy()
    )
    assert report.sub_indication == "OUT_OF_BOUNDS_NO_POE"
    assert report.message_code == "EXPIRED"
    assert report.integrity is Integrity.INTACT


def dstu_time(year, month):
    from datetime import UTC, datetime

    return datetime(year, month, 1, tzinfo=UTC)


def test_revoked_certificate(dstu):
    report = verify(DOC, detached_signature=dstu.cms(DOC, "revoked"), policy=dstu.policy())
    assert report.indication is Indication.INDETERMINATE
    assert report.sub_indication == "REVOKED_NO_POE"


@pytest.mark.parametrize(
    ("mode", "indication", "sub"),
    [("hard-fail", Indication.INDETERMINATE, "TRY_LATER"), ("soft-fail", Indication.TOTAL_PASSED, None)],
)
def test_without_crls_each_revocation_mode(dstu, mode, indication, sub):
    report = verify(DOC, detached_signature=dstu.cms(DOC), policy=dstu.policy(crls=(), revocation_mode=mode))
    assert report.indication is indication
    assert report.sub_indication == sub


def test_soft_fail_still_fails_a_known_revocation(dstu):
    report = verify(DOC, detached_signature=dstu.cms(DOC, "revoked"), policy=dstu.policy(revocation_mode="soft-fail"))
    assert report.sub_indication == "REVOKED_NO_POE"


def test_crls_embedded_in_the_signature_are_used(dstu):
    signature = dstu.cms(DOC, crls=dstu.pki.crls)
    assert verify(DOC, detached_signature=signature, policy=dstu.policy(crls=())).passed


def test_crl_in_the_ca_name_signed_by_another_key_is_not_evidence(dstu):
    from tests.signatures.dstu_pki import DParty, make_crl

    pki = dstu.pki
    impostor = DParty(pki.ca.cert, pki.rogue_root.d, pki.rogue_root.dke)  # the CA's name, someone else's key
    forged = (pki.crls[0], make_crl(impostor, []))
    report = verify(DOC, detached_signature=dstu.cms(DOC, "revoked"), policy=dstu.policy(crls=forged))
    assert report.sub_indication == "TRY_LATER"  # not "good": the forged CRL proves nothing


def test_crl_folder_from_settings(dstu, tmp_path):
    (tmp_path / "roots").mkdir()
    (tmp_path / "roots" / "czo.cer").write_bytes(dstu.pki.root.der)
    (tmp_path / "crls").mkdir()
    for i, data in enumerate(dstu.pki.crls):
        (tmp_path / "crls" / f"{i}.crl").write_bytes(data)
    policy = VerificationPolicy.from_settings(
        {"trust_roots": str(tmp_path / "roots"), "crl_dir": str(tmp_path / "crls")},
        validation_time=dstu.policy().validation_time,
    )
    assert verify(DOC, detached_signature=dstu.cms(DOC), policy=policy).passed


# --------------------------------------------------------------------------- PAdES and ASiC


def test_pades_with_a_dstu_cms_passes(dstu, consts):
    report = verify(dstu.pdf(), filename="zayava.pdf", policy=dstu.policy(), expected=_expected(consts))
    assert report.passed, report.to_json()
    (sig,) = report.signatures
    assert sig.format == "PAdES"
    assert sig.algorithm == "dstu4145-gost34311"
    assert sig.coverage == "entire_file"


def test_dstu_signature_moved_into_another_pdf_is_not_intact(dstu, docs):
    donor = dstu.pdf()
    from pyhanko.pdf_utils.reader import PdfFileReader

    emb = PdfFileReader(io.BytesIO(donor)).embedded_signatures[-1]
    contents = emb.pkcs7_content
    other = dstu.resign_pdf(docs.signed_pdf_reserved(form=True))  # an unrelated document's slot
    moved = _put_cms(other, contents)
    report = verify(moved, policy=dstu.policy())
    assert report.integrity in (Integrity.BROKEN, Integrity.MODIFIED)
    assert report.indication is Indication.TOTAL_FAILED


def _put_cms(pdf: bytes, cms_der: bytes) -> bytes:
    from tests.signatures.conftest import replace_pdf_signature

    return replace_pdf_signature(pdf, lambda _covered: cms_der)


def test_pdf_changed_after_dstu_signing_is_modified(dstu):
    writer = IncrementalPdfFileWriter(io.BytesIO(dstu.pdf(form=True)))
    ref = generic.Reference(5, 0, writer)
    field = writer.get_object(ref)
    field["/V"] = generic.pdf_string("99999999")
    writer.mark_update(ref)
    out = io.BytesIO()
    writer.write(out)
    report = verify(out.getvalue(), policy=dstu.policy())
    assert report.indication is Indication.TOTAL_FAILED
    assert report.integrity is Integrity.MODIFIED


def test_pdf_bytes_changed_inside_the_dstu_signed_range(dstu):
    signed = dstu.pdf()
    report = verify(signed.replace(b"Zayava", b"Zayavb"), policy=dstu.policy())
    assert report.sub_indication == "HASH_FAILURE"
    assert report.integrity is Integrity.BROKEN


def test_asic_e_and_s_with_dstu(dstu, docs):
    files = {"zayava.pdf": DOC, "dodatok.txt": b"dodatok"}
    assert verify(docs.asic_e(files, sign=dstu.cms), policy=dstu.policy()).passed
    assert verify(docs.asic_s("zayava.pdf", DOC, sign=dstu.cms), policy=dstu.policy()).passed

    def slip_in(entries):
        entries["extra.pdf"] = b"not signed"

    report = verify(docs.asic_e(files, sign=dstu.cms, tamper=slip_in), policy=dstu.policy())
    assert report.integrity is Integrity.MODIFIED
    assert not report.passed


# --- CAdES-T: signature timestamps by a TSA whose certificate is DSTU too ---------------------------------------

TS_TIME = SIGN_TIME + timedelta(minutes=2)


def _stamped(dstu, tsa: str = "tsa", *, over: bytes | None = None, **kwargs) -> bytes:
    """The director's detached signature with a signature timestamp by ``tsa`` (over ``over`` instead of the
    signature's own value, when given)."""
    party = getattr(dstu.pki, tsa)
    return dstu.cms(DOC, timestamp=lambda value: timestamp_token(party, over or value, TS_TIME), **kwargs)


def test_a_signature_timestamp_is_verified_and_its_time_reported(dstu):
    report = verify(DOC, detached_signature=_stamped(dstu), policy=dstu.policy())
    assert report.passed, report.to_json()
    (sig,) = report.signatures
    assert sig.level == "B-T"
    assert sig.timestamp_time == TS_TIME
    assert sig.best_signing_time == TS_TIME
    assert f"signature timestamp verified: {TS_TIME.isoformat()}" in sig.details


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda d: _stamped(d, over=b"another signature's value"), "made for another signature"),
        (lambda d: _stamped(d, "other"), "not a TSA's"),
    ],
)
def test_a_timestamp_that_does_not_fit_is_said_and_gives_no_time(dstu, make, reason):
    """A token over another signature, or signed by a key that is not a TSA's: the signature itself still passes
    (the timestamp was never needed for that), but the report gives no timestamp time and says why."""
    report = verify(DOC, detached_signature=make(dstu), policy=dstu.policy())
    (sig,) = report.signatures
    assert report.indication is Indication.TOTAL_PASSED
    assert sig.timestamp_time is None and sig.level == "B-B"
    assert reason in sig.details


def test_a_changed_timestamp_token_does_not_verify(dstu):
    signature = _stamped(dstu)
    when = TS_TIME.strftime("%Y%m%d%H%M%SZ").encode()
    assert signature.count(when) == 1  # the TSTInfo's genTime (GeneralizedTime; the token's signingTime is UTCTime)
    changed = signature.replace(when, (TS_TIME + timedelta(hours=1)).strftime("%Y%m%d%H%M%SZ").encode(), 1)
    report = verify(DOC, detached_signature=changed, policy=dstu.policy())
    (sig,) = report.signatures
    assert sig.timestamp_time is None
    assert "signature timestamp does not verify" in sig.details


def test_a_timestamp_by_a_tsa_outside_the_configured_roots_is_not_trusted(dstu):
    report = verify(DOC, detached_signature=_stamped(dstu), policy=dstu.policy(trust_roots=(dstu.pki.rogue_root.der,)))
    (sig,) = report.signatures
    assert report.indication is Indication.INDETERMINATE
    assert sig.timestamp_time is None
    assert "not trusted" in sig.details


# --- OCSP responses signed with DSTU, for certificates no CRL covers --------------------------------------------


def _with_ocsp(dstu, *responses: bytes) -> VerificationPolicy:
    """Hard-fail, the root's CRL for the QTSP's CA, and for the director only the OCSP ``responses``."""
    return dstu.policy(crls=(dstu.pki.crls[0],), ocsp_responses=responses)


def test_the_issuers_own_ocsp_answer_gives_the_status(dstu):
    good = make_ocsp(dstu.pki.ca, 100)
    report = verify(DOC, detached_signature=dstu.cms(DOC), policy=_with_ocsp(dstu, good))
    assert report.passed, report.to_json()
    without = verify(DOC, detached_signature=dstu.cms(DOC), policy=_with_ocsp(dstu))
    assert without.indication is Indication.INDETERMINATE and without.sub_indication == "TRY_LATER"


def test_an_ocsp_revoked_answer_revokes(dstu):
    revoked = make_ocsp(dstu.pki.ca, 100, status="revoked")
    report = verify(
        DOC, detached_signature=dstu.cms(DOC), policy=_with_ocsp(dstu, revoked, make_ocsp(dstu.pki.ca, 100))
    )
    assert report.indication is Indication.INDETERMINATE
    assert report.sub_indication == "REVOKED_NO_POE"
    assert "is revoked (OCSP)" in report.signatures[0].details


def test_a_delegated_responder_the_issuer_authorised_is_believed(dstu):
    delegated = make_ocsp(dstu.pki.ca, 100, responder=dstu.pki.responder)
    assert verify(DOC, detached_signature=dstu.cms(DOC), policy=_with_ocsp(dstu, delegated)).passed


@pytest.mark.parametrize(
    "make",
    [
        # Signed by a certificate of the same CA that is not an OCSP responder (no OCSPSigning).
        lambda pki: make_ocsp(pki.ca, 100, responder=pki.other),
        # A responder of another PKI, naming itself.
        lambda pki: make_ocsp(pki.rogue_root, 100),
        # About another certificate of the CA.
        lambda pki: make_ocsp(pki.ca, 101),
        # Out of date, and without nextUpdate.
        lambda pki: make_ocsp(
            pki.ca,
            100,
            next_update=VALIDATION_TIME - timedelta(minutes=1),
            this_update=VALIDATION_TIME - timedelta(days=2),
        ),
        lambda pki: make_ocsp(pki.ca, 100, next_update=None),
    ],
    ids=["not-a-responder", "other-pki", "other-certificate", "stale", "no-next-update"],
)
def test_an_ocsp_answer_that_proves_nothing_leaves_the_status_unknown(dstu, make):
    report = verify(DOC, detached_signature=dstu.cms(DOC), policy=_with_ocsp(dstu, make(dstu.pki)))
    assert report.indication is Indication.INDETERMINATE
    assert report.sub_indication == "TRY_LATER"
    assert report.integrity is Integrity.INTACT


def test_an_ocsp_answer_carried_in_the_signature_is_used(dstu):
    """RFC 5940: an OCSP response in the CMS's revocation choices (``crls`` field, other format)."""
    answer = make_ocsp(dstu.pki.ca, 100)
    signed = cms.ContentInfo.load(dstu.cms(DOC))
    signed["content"]["crls"] = [
        cms.RevocationInfoChoice(
            {"other": {"other_rev_info_format": "1.3.6.1.5.5.7.16.2", "other_rev_info": cms.OCSPResponse.load(answer)}}
        )
    ]
    report = verify(DOC, detached_signature=signed.dump(force=True), policy=_with_ocsp(dstu))
    assert report.passed, report.to_json()


def test_ocsp_values_of_cades_x_l_are_used(dstu):
    """CAdES-X-L keeps BasicOCSPResponses in the unsigned revocationValues attribute ([1] ocspVals)."""
    basic = ocsp.OCSPResponse.load(make_ocsp(dstu.pki.ca, 100))["response_bytes"]["response"].parsed
    values = der.encode_tlv(der.SEQUENCE, der.encode_tlv(0xA1, der.encode_tlv(der.SEQUENCE, basic.dump())))
    signed = cms.ContentInfo.load(dstu.cms(DOC))
    signed["content"]["signer_infos"][0]["unsigned_attrs"] = cms.CMSAttributes(
        [{"type": "1.2.840.113549.1.9.16.2.24", "values": [core.Any.load(values)]}]
    )
    report = verify(DOC, detached_signature=signed.dump(force=True), policy=_with_ocsp(dstu))
    assert report.passed, report.to_json()


# --- Past signature validation at a verified DSTU signature timestamp -------------------------------------------

PAST = datetime(2024, 6, 1, 10, 0, tzinfo=UTC)


def _crls_at(dstu, when: datetime, revoked: list | None = None) -> tuple[bytes, ...]:
    """The root's and the QTSP CA's CRLs as they were current at ``when``."""
    window = {"this_update": when - timedelta(days=1), "next_update": when + timedelta(days=29)}
    return (make_crl(dstu.pki.root, [], **window), make_crl(dstu.pki.ca, revoked or [], **window))


def _signed_then_stamped(dstu, who: str, when: datetime) -> bytes:
    tsa = dstu.pki.tsa
    return dstu.cms(DOC, who, signing_time=when, timestamp=lambda value: timestamp_token(tsa, value, when))


def test_an_expired_certificate_passes_at_the_time_its_timestamp_proves(dstu):
    signature = _signed_then_stamped(dstu, "expired", PAST)
    policy = dstu.policy(crls=(*dstu.pki.crls, *_crls_at(dstu, PAST)))
    report = verify(DOC, detached_signature=signature, policy=policy)
    assert report.passed, report.to_json()
    (sig,) = report.signatures
    assert sig.validated_at == PAST and sig.timestamp_time == PAST
    assert "validated at the time proven by a trusted timestamp" in sig.details


def test_without_revocation_data_of_that_time_it_stays_indeterminate(dstu):
    report = verify(DOC, detached_signature=_signed_then_stamped(dstu, "expired", PAST), policy=dstu.policy())
    assert report.indication is Indication.INDETERMINATE
    assert report.sub_indication == "OUT_OF_BOUNDS_NO_POE"
    assert report.signatures[0].validated_at is None


def test_without_a_timestamp_an_expired_certificate_has_no_proof(dstu):
    signature = dstu.cms(DOC, "expired", signing_time=PAST)
    report = verify(DOC, detached_signature=signature, policy=dstu.policy(crls=(*dstu.pki.crls, *_crls_at(dstu, PAST))))
    assert report.indication is Indication.INDETERMINATE
    assert report.sub_indication == "OUT_OF_BOUNDS_NO_POE"


def test_a_certificate_revoked_after_the_timestamp_passes_at_its_time(dstu):
    signature = _signed_then_stamped(dstu, "revoked", PAST)  # revoked on 1 March 2025
    report = verify(DOC, detached_signature=signature, policy=dstu.policy(crls=(*dstu.pki.crls, *_crls_at(dstu, PAST))))
    assert report.passed, report.to_json()
    assert report.signatures[0].validated_at == PAST


def test_a_certificate_revoked_before_the_timestamp_still_fails(dstu):
    after = datetime(2025, 4, 1, 10, 0, tzinfo=UTC)
    revoked = [(104, datetime(2025, 3, 1, tzinfo=UTC))]
    policy = dstu.policy(crls=(*dstu.pki.crls, *_crls_at(dstu, after, revoked)))
    report = verify(DOC, detached_signature=_signed_then_stamped(dstu, "revoked", after), policy=policy)
    assert report.indication is Indication.INDETERMINATE
    assert report.sub_indication == "REVOKED_NO_POE"
    assert report.signatures[0].validated_at is None


def test_a_timestamp_that_does_not_verify_proves_nothing(dstu):
    tsa_of_other_pki = dstu.pki.rogue
    signature = dstu.cms(
        DOC, "expired", signing_time=PAST, timestamp=lambda value: timestamp_token(tsa_of_other_pki, value, PAST)
    )
    report = verify(DOC, detached_signature=signature, policy=dstu.policy(crls=(*dstu.pki.crls, *_crls_at(dstu, PAST))))
    assert report.indication is Indication.INDETERMINATE
    assert report.signatures[0].validated_at is None


def test_asic_e_whose_manifest_lists_gost_digests(dstu, docs):
    """A manifest with GOST 34.311 digests (the URI Ukrainian software writes): checked with the standard S-box. A
    file changed since does not match, and since another S-box would not match either, integrity is unknown
    rather than broken; the signature never passes."""
    files = {"zayava.pdf": DOC, "dodatok.txt": b"dodatok"}
    gost = ("http://www.w3.org/2001/04/xmldsig-more#gost34311", gost34311)
    assert verify(docs.asic_e(files, sign=dstu.cms, digest=gost), policy=dstu.policy()).passed

    def change(entries):
        entries["dodatok.txt"] = b"dodatoK"

    report = verify(docs.asic_e(files, sign=dstu.cms, digest=gost, tamper=change), policy=dstu.policy())
    assert not report.passed
    assert report.integrity is Integrity.UNKNOWN
    assert "dodatok.txt: GOST 34.311 digest does not match" in report.signatures[0].details
