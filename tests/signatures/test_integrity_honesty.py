"""Integrity is a fact about the bytes: never claimed unchecked, never changed by the trust setup."""

from __future__ import annotations

import io

from asn1crypto import cms
from freezegun import freeze_time
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import copy_into_new_writer
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter

from signatures import Indication, Integrity, verify

_TST = "1.2.840.113549.1.9.16.2.14"


def _timestamp_token(signed_pdf: bytes, index: int) -> cms.CMSAttribute:
    sd = PdfFileReader(io.BytesIO(signed_pdf)).embedded_signatures[index].signed_data
    return next(a for a in sd["signer_infos"][0]["unsigned_attrs"] if a["type"].dotted == _TST)


def _copy_first_timestamp_into_second(pdf: bytes) -> bytes:
    from tests.signatures.conftest import replace_pdf_signature

    first = _timestamp_token(pdf, 0)
    emb = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[1]
    info = cms.ContentInfo.load(emb.pkcs7_content)
    si = info["content"]["signer_infos"][0]
    si["unsigned_attrs"] = cms.CMSAttributes([a if a["type"].dotted != _TST else first for a in si["unsigned_attrs"]])
    return replace_pdf_signature(pdf, lambda _covered: bytes(info.dump(force=True)))


def test_copied_timestamp_is_broken_with_and_without_trust_roots(pki, docs):
    two = docs.sign_pdf(docs.signed_pdf(timestamp=True), "other", field_name="Signature2", timestamp=True)
    forged = _copy_first_timestamp_into_second(two)
    with_roots = verify(forged, policy=pki.policy())
    without = verify(forged, policy=pki.policy(trust_roots=()))
    assert with_roots.integrity is without.integrity is Integrity.BROKEN
    assert with_roots.signatures[1].integrity is without.signatures[1].integrity is Integrity.BROKEN
    assert with_roots.signatures[1].message_code == "TIMESTAMP_INVALID"
    assert not with_roots.passed


def _encrypted_signed_pdf(pki, pdf: bytes, user_password: bytes) -> bytes:
    from tests.signatures.conftest import SIGN_TIME

    writer = copy_into_new_writer(PdfFileReader(io.BytesIO(pdf)))
    writer.encrypt(b"owner-secret", user_password)
    buf = io.BytesIO()
    writer.write(buf)
    incremental = IncrementalPdfFileWriter(io.BytesIO(buf.getvalue()))
    incremental.encrypt(user_password)
    meta = signers.PdfSignatureMetadata(
        field_name="Signature1", subfilter=SigSeedSubFilter.PADES, md_algorithm="sha256"
    )
    with freeze_time(SIGN_TIME):
        return signers.PdfSigner(meta, signer=pki.director.signer()).sign_pdf(incremental).getvalue()


def test_pdf_encrypted_with_the_empty_password_is_verified(pki, pdf_factory):
    report = verify(_encrypted_signed_pdf(pki, pdf_factory(), b""), policy=pki.policy())
    assert report.passed, report.to_json()


def test_pdf_with_a_real_password_says_so(pki, pdf_factory):
    report = verify(_encrypted_signed_pdf(pki, pdf_factory(), b"user-secret"), policy=pki.policy())
    assert report.message_code == "PASSWORD_PROTECTED"
    assert report.indication is Indication.INDETERMINATE
    assert report.integrity is Integrity.UNKNOWN


def test_unsupported_national_key_is_unknown_not_intact(pki, docs):
    """A CMS claiming DSTU over a key that is not DSTU cannot be checked: unknown."""
    from tests.signatures.test_cms import DOC, dstu_cms

    report = verify(DOC, detached_signature=dstu_cms(docs, detached=True), policy=pki.policy())
    assert report.sub_indication == "UNSUPPORTED_ALGORITHM"
    assert report.integrity is Integrity.UNKNOWN
    assert report.to_json()["integrity"] == "unknown"
