"""ASiC containers: manifest signature, every file digest, no unsigned extras."""

from __future__ import annotations

import io
import zipfile

from signatures import Indication, Integrity, verify

FILES = {"zayava.pdf": b"%PDF-1.7 application", "dodatok.txt": b"annex"}


def test_valid_asic_e_passes_and_exposes_data_files(pki, docs):
    report = verify(docs.asic_e(FILES), filename="zayava.asice", policy=pki.policy())
    assert report.passed
    assert report.format == "ASiC-E"
    assert report.signatures[0].format == "ASiC-E-CAdES"
    assert {f.name: f.data for f in report.evidence} == FILES


def test_asic_e_with_a_changed_file_is_broken(pki, docs):
    def tamper(entries):
        entries["zayava.pdf"] = b"%PDF-1.7 another application"

    report = verify(docs.asic_e(FILES, tamper=tamper), policy=pki.policy())
    assert report.indication is Indication.TOTAL_FAILED
    assert report.integrity is Integrity.BROKEN
    assert report.message_code == "CONTAINER_DIGEST_MISMATCH"


def test_asic_e_with_an_unsigned_extra_file_is_modified(pki, docs):
    def tamper(entries):
        entries["extra.pdf"] = b"slipped in later"

    report = verify(docs.asic_e(FILES, tamper=tamper), policy=pki.policy())
    assert report.integrity is Integrity.MODIFIED
    assert report.message_code == "CONTAINER_FILE_NOT_SIGNED"
    assert not report.passed


def test_asic_e_with_a_changed_manifest_fails(pki, docs):
    def tamper(entries):
        entries["META-INF/ASiCManifest001.xml"] = entries["META-INF/ASiCManifest001.xml"].replace(
            b"dodatok.txt", b"dodatok.TXT"
        )

    report = verify(docs.asic_e(FILES, tamper=tamper), policy=pki.policy())
    assert report.indication is Indication.TOTAL_FAILED


def test_valid_asic_s(pki, docs):
    report = verify(docs.asic_s("zayava.pdf", b"%PDF-1.7 x"), filename="zayava.asics", policy=pki.policy())
    assert report.passed
    assert report.format == "ASiC-S"


def test_zip_bomb_is_refused_before_extraction(pki):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("mimetype", "application/vnd.etsi.asic-e+zip")
        zf.writestr("big.bin", b"\0" * (3 * 1024 * 1024))
    report = verify(buf.getvalue(), policy=pki.policy(max_file_bytes=1024 * 1024))
    assert report.indication is Indication.INDETERMINATE
    assert report.integrity is Integrity.BROKEN
    assert "file size limit" in (report.details or "")
