"""PAdES: valid signatures pass; every kind of later change is caught."""

from __future__ import annotations

import io

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from signatures import ExpectedSigner, Indication, Integrity, SignerMatch, verify


def _expected(consts):
    return ExpectedSigner(edrpou=consts["EDRPOU"], signatory_tax_number=consts["DIRECTOR_TIN"])


def test_valid_pades_b_b_passes_and_names_the_director(pki, docs, consts):
    report = verify(docs.signed_pdf(), filename="zayava.pdf", policy=pki.policy(), expected=_expected(consts))
    assert report.indication is Indication.TOTAL_PASSED
    assert report.integrity is Integrity.INTACT
    assert report.message_code == "PASSED"
    assert not report.manual_review
    (sig,) = report.signatures
    assert sig.level == "B-B"
    assert sig.format == "PAdES"
    assert sig.signer is not None
    assert sig.signer.name == "Шевченко Тарас Григорович"
    assert sig.signer.tax_number == consts["DIRECTOR_TIN"]
    assert sig.signer.edrpou == consts["EDRPOU"]
    assert sig.signer.qualified and not sig.signer.is_seal
    assert sig.signer_match is SignerMatch.MATCH
    assert sig.signing_time == consts["SIGN_TIME"]
    assert sig.timestamp_time is None
    assert sig.algorithm == "ecdsa-sha256"


def test_valid_pades_b_t_reports_the_timestamp_as_best_signing_time(pki, docs, consts):
    report = verify(docs.signed_pdf(timestamp=True), policy=pki.policy())
    assert report.passed
    (sig,) = report.signatures
    assert sig.level == "B-T"
    assert sig.timestamp_time == consts["SIGN_TIME"]
    assert sig.best_signing_time == consts["SIGN_TIME"]
    assert sig.to_json()["timestamp_time"] == consts["SIGN_TIME"].isoformat()


def test_evidence_is_the_signed_revision_not_later_bytes(pki, docs):
    signed = docs.signed_pdf(form=True)
    changed = _change_form_value(signed)
    report = verify(changed, filename="zayava.pdf", policy=pki.policy())
    (sig,) = report.signatures
    (revision,) = sig.signed_files
    assert revision.data == signed  # cut at the byte range: what the signer saw
    assert len(changed) > len(signed)


def test_bytes_flipped_inside_signed_range_fail_with_hash_failure(pki, docs):
    signed = docs.signed_pdf()
    assert signed.count(b"Zayava") == 1
    tampered = signed.replace(b"Zayava", b"Zayavb")
    report = verify(tampered, policy=pki.policy())
    assert report.indication is Indication.TOTAL_FAILED
    assert report.sub_indication == "HASH_FAILURE"
    assert report.integrity is Integrity.BROKEN
    assert "змінено" in report.message


def _change_form_value(signed: bytes) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    ref = generic.Reference(5, 0, writer)
    field = writer.get_object(ref)
    field["/V"] = generic.pdf_string("99999999")
    writer.mark_update(ref)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_form_value_changed_after_signing_is_modified_not_passed(pki, docs):
    report = verify(_change_form_value(docs.signed_pdf(form=True)), policy=pki.policy())
    assert report.indication is Indication.TOTAL_FAILED
    assert report.integrity is Integrity.MODIFIED
    assert report.message_code == "FORM_VALUES_CHANGED"
    assert report.signatures[0].modification_level == "form_filling"


def test_page_replaced_by_incremental_update_is_modified(pki, docs):
    writer = IncrementalPdfFileWriter(io.BytesIO(docs.signed_pdf()))
    page_ref = generic.Reference(3, 0, writer)
    page = writer.get_object(page_ref)
    new_content = generic.StreamObject(stream_data=b"BT /F1 14 Tf 72 720 Td (Inshyi tekst) Tj ET")
    page["/Contents"] = writer.add_object(new_content)
    writer.mark_update(page_ref)
    out = io.BytesIO()
    writer.write(out)
    report = verify(out.getvalue(), policy=pki.policy())
    assert report.indication is Indication.TOTAL_FAILED
    assert report.integrity is Integrity.MODIFIED
    assert not report.passed


def test_trailing_bytes_after_eof_are_modified(pki, docs):
    report = verify(docs.signed_pdf() + b"\n% appended payload\n(hidden text)\n", policy=pki.policy())
    assert report.integrity is Integrity.MODIFIED
    assert report.message_code == "TRAILING_BYTES"
    assert report.indication is Indication.TOTAL_FAILED


def test_trailing_whitespace_is_harmless(pki, docs):
    assert verify(docs.signed_pdf() + b"\r\n\r\n", policy=pki.policy()).passed


def test_two_signers_both_reported_and_file_passes(pki, docs, consts):
    both = docs.sign_pdf(docs.signed_pdf(), "other", field_name="Signature2")
    report = verify(both, policy=pki.policy(), expected=_expected(consts))
    assert [s.field_name for s in report.signatures] == ["Signature1", "Signature2"]
    assert [s.signer.tax_number for s in report.signatures] == [consts["DIRECTOR_TIN"], consts["OTHER_TIN"]]
    assert all(s.integrity is Integrity.INTACT for s in report.signatures)
    assert report.passed
    assert report.signer_match is SignerMatch.MATCH  # the director is among the signers
    # the first signature's evidence stops before the second signer's revision
    assert len(report.signatures[0].signed_files[0].data) < len(both)


def test_truncated_file_is_indeterminate_and_broken(pki, docs):
    signed = docs.signed_pdf()
    report = verify(signed[: len(signed) * 2 // 3], policy=pki.policy())
    assert report.indication is not Indication.TOTAL_PASSED
    assert report.integrity is Integrity.BROKEN


def test_not_a_pdf_says_so(pki):
    report = verify(b"Just some text, definitely not a PDF.\n", filename="zayava.txt", policy=pki.policy())
    assert report.indication is Indication.INDETERMINATE
    assert report.message_code == "NOT_A_SIGNED_FORMAT"
    assert report.signatures == ()


def test_unsigned_pdf_says_there_is_no_signature(pki, pdf_factory):
    report = verify(pdf_factory(), policy=pki.policy())
    assert report.indication is Indication.INDETERMINATE
    assert report.sub_indication == "NO_SIGNATURE"
    assert report.integrity is None
    assert report.message == "Документ не містить електронного підпису."


def test_unknown_subfilter_is_enumerated_not_skipped(pki, docs):
    signed = docs.signed_pdf()
    assert b"/ETSI.CAdES.detached" in signed
    odd = signed.replace(b"/ETSI.CAdES.detached", b"/x.unknown.subfltr00", 1)
    report = verify(odd, policy=pki.policy())
    (sig,) = report.signatures
    assert sig.format == "PDF:/x.unknown.subfltr00"
    assert sig.indication is not Indication.TOTAL_PASSED
    assert not report.passed


def test_signature_not_reachable_from_the_form_is_not_reported_unsigned(pki, docs):
    signed = docs.signed_pdf()
    hidden = signed.replace(b"/AcroForm", b"/AcroFrom", 1)
    report = verify(hidden, policy=pki.policy())
    assert report.message_code == "UNREACHABLE_SIGNATURE"
    assert report.integrity is Integrity.BROKEN
