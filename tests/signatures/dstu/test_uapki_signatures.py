"""DSTU 4145 signatures made by others verify the way their source says they should: CAdES signatures made by
UAPKI, the Ukrainian state-certified library, and the signature of the "Дія" QTSP's CA on a certificate it issued.

Source: https://github.com/specinfo-ua/UAPKI, ``library/test/data/verify-dstu.json`` at commit
641f2bb66eac5798ba88dfe36f300861b3c7f180 and ``verify-cert.json`` at 098da75f0620f6beede5c6aa7c0c0359afc8a6ac
(files and tasks in ``data/uapki/README.md``). UAPKI's tasks say which signatures are valid ("Verify CMS/CAdES,
use DSTU", "... detachedData") and which is not ("... detachedData (invalid content)": the same signature over
content whose first byte was changed).

The CAs that issued the CAdES signers published no certificate with them, so no chain can be built: the verdict is
INDETERMINATE, never TOTAL_PASSED, and what is asserted is the cryptography the report shows an operator: the
GOST 34.311 digest recomputed over the content, the DSTU 4145 signature over the signed attributes with the
certificate's key (parameters given explicitly in two of them, a named curve with its own DKE in the third), and
the signer and signing time read from them.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path

import pytest
from asn1crypto import x509

from signatures import FileReport, Indication, Integrity, VerificationPolicy, verify
from signatures.national import certs

DATA = Path(__file__).parent / "data" / "uapki"
#: The detached signature's content as the UAPKI task gives it, and the task's invalid variant.
CONTENT = base64.b64decode("0JvQsNCz0ZbQtNC90LAg0YPQutGA0LDRl9C90ZbQt9Cw0YbRltGP")
CHANGED = base64.b64decode("aJvQsNCz0ZbQtNC90LAg0YPQutGA0LDRl9C90ZbQt9Cw0YbRltGP")


def _signature(name: str) -> bytes:
    return base64.b64decode((DATA / f"{name}.p7s.b64").read_text())


@pytest.fixture
def policy() -> VerificationPolicy:
    # Within the signers' certificates' validity (Dec 2020 - Dec 2021 and Aug 2020 - Aug 2022).
    return VerificationPolicy(validation_time=datetime(2021, 12, 1, tzinfo=UTC))


def _intact_but_unanchored(report: FileReport) -> None:
    assert report.integrity is Integrity.INTACT, report.to_json()
    assert report.indication is Indication.INDETERMINATE
    assert report.sub_indication == "NO_CERTIFICATE_CHAIN_FOUND"
    (sig,) = report.signatures
    assert sig.algorithm == "dstu4145-gost34311"


def test_the_detached_signature_over_its_content_is_intact(policy: VerificationPolicy) -> None:
    assert CONTENT.decode() == "Лагідна українізація"
    report = verify(CONTENT, detached_signature=_signature("detached"), filename="text.txt", policy=policy)
    _intact_but_unanchored(report)
    assert report.format == "CAdES-detached"
    sig = report.signatures[0]
    assert sig.signing_time == datetime(2021, 8, 26, 14, 40, tzinfo=UTC)
    assert (sig.signer.name, sig.signer.surname, sig.signer.title) == ("Тест", "Грудень", "тестер")


def test_the_same_signature_over_uapkis_changed_content_fails(policy: VerificationPolicy) -> None:
    report = verify(CHANGED, detached_signature=_signature("detached"), filename="text.txt", policy=policy)
    assert report.indication is Indication.TOTAL_FAILED
    assert report.sub_indication == "HASH_FAILURE"
    assert report.integrity is Integrity.BROKEN


@pytest.mark.parametrize("offset", [5, 40])
def test_one_bit_of_the_signature_value_changed_fails_the_dstu_check(policy: VerificationPolicy, offset: int) -> None:
    """The signature value is the CMS's last 64 bytes (an OCTET STRING of r and s): changing a bit of it must fail
    the DSTU 4145 verification itself, which shows the check is made and not assumed from the digest."""
    signature = bytearray(_signature("detached"))
    signature[-offset] ^= 0x01
    report = verify(CONTENT, detached_signature=bytes(signature), filename="text.txt", policy=policy)
    assert report.indication is Indication.TOTAL_FAILED
    assert report.sub_indication == "SIG_CRYPTO_FAILURE"
    assert report.integrity is Integrity.BROKEN


def test_a_changed_signing_time_fails_the_signature_over_the_attributes(policy: VerificationPolicy) -> None:
    signature = _signature("detached")
    assert signature.count(b"210826144000Z") == 1
    report = verify(CONTENT, detached_signature=signature.replace(b"210826144000Z", b"210826154000Z"), policy=policy)
    assert report.indication is Indication.TOTAL_FAILED
    assert report.sub_indication == "SIG_CRYPTO_FAILURE"


def test_the_enveloping_signature_yields_its_content(policy: VerificationPolicy) -> None:
    report = verify(_signature("attached"), filename="text.txt.p7s", policy=policy)
    _intact_but_unanchored(report)
    assert report.format == "CAdES-enveloping"
    assert report.evidence[0].data == b"Triple Crown of Motorsport"
    assert report.signatures[0].signing_time == datetime(2021, 4, 28, 23, 8, 2, tzinfo=UTC)


def test_a_key_on_a_named_curve_with_its_own_dke_verifies(policy: VerificationPolicy) -> None:
    """IIT's test CA: the key names the m = 257 curve by OID and carries its S-box (DKE) for GOST 34.311."""
    signature = _signature("signature-policy")
    report = verify(signature, filename="alice.p7s", policy=policy)
    _intact_but_unanchored(report)
    assert report.evidence[0].data == b"Alice and Bob\nhttps://en.wikipedia.org/wiki/Alice_and_Bob"
    assert report.signatures[0].signer.name == "Serpen Augusto"
    # The same length of content, one letter changed inside the signed file: the digest no longer matches.
    changed = verify(signature.replace(b"Alice and Bob\n", b"Alice and Rob\n"), filename="alice.p7s", policy=policy)
    assert changed.indication is Indication.TOTAL_FAILED
    assert changed.sub_indication == "HASH_FAILURE"


def _certificate(name: str) -> x509.Certificate:
    return x509.Certificate.load(base64.b64decode((DATA / f"{name}.cer.b64").read_text()))


def test_the_diia_qtsps_signature_on_a_certificate_it_issued_verifies() -> None:
    """A signature made by a production QTSP: the CA of "Дія" (issued by the Central Certification Authority)
    signed the test certificate UAPKI's tests use; verified with the CA certificate's own key (m = 257)."""
    diia = _certificate("diia-ca")
    issued = _certificate("diia-test-sign-7775603")
    assert "UA-43395033-1000" in diia.subject.human_friendly
    assert issued.issuer == diia.subject
    assert certs.certificate_signed_by(issued, certs.certificate_key(diia))
    # The same certificate with one byte of what was signed changed, and the wrong keys, do not verify.
    algorithm = issued["signature_algorithm"]["algorithm"].dotted
    value = bytes(issued["signature_value"].native)
    tbs = bytearray(issued["tbs_certificate"].dump())
    assert certs.verify_signed(bytes(tbs), algorithm, value, certs.certificate_key(diia))
    tbs[tbs.index(bytes(issued["tbs_certificate"]["serial_number"].contents))] ^= 0x01
    assert not certs.verify_signed(bytes(tbs), algorithm, value, certs.certificate_key(diia))
    assert not certs.certificate_signed_by(issued, certs.certificate_key(issued))
    # The CA's own certificate is the Central Certification Authority's signature, not its own.
    assert not certs.certificate_signed_by(diia, certs.certificate_key(diia))
