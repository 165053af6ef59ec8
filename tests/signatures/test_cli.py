"""The CLI, through click's CliRunner on the bare group (no Flask app)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from backoffice.cli.signatures import signatures_cli

AT = "2025-06-01T12:00:00+0000"


@pytest.fixture
def files(tmp_path, pki, docs, pdf_factory):
    paths = {
        "root": tmp_path / "root.der",
        "crl_root": tmp_path / "root.crl",
        "crl_ca": tmp_path / "ca.crl",
        "good": tmp_path / "zayava.pdf",
        "tampered": tmp_path / "tampered.pdf",
        "unsigned": tmp_path / "unsigned.pdf",
        "doc": tmp_path / "doc.bin",
        "sig": tmp_path / "doc.bin.p7s",
    }
    paths["root"].write_bytes(pki.root.der)
    paths["crl_root"].write_bytes(pki.crls[0])
    paths["crl_ca"].write_bytes(pki.crls[1])
    paths["good"].write_bytes(docs.signed_pdf())
    paths["tampered"].write_bytes(docs.signed_pdf().replace(b"Zayava", b"Zayavb"))
    paths["unsigned"].write_bytes(pdf_factory())
    paths["doc"].write_bytes(b"document body")
    paths["sig"].write_bytes(docs.cms(b"document body"))
    return paths


def _run(*args: str):
    return CliRunner().invoke(signatures_cli, list(args))


def _trust(files):
    return [
        "--trust-root",
        str(files["root"]),
        "--crl",
        str(files["crl_root"]),
        "--crl",
        str(files["crl_ca"]),
        "--at",
        AT,
    ]


def test_passed_exits_0_with_a_readable_summary(files):
    result = _run("verify", str(files["good"]), *_trust(files))
    assert result.exit_code == 0, result.output
    assert "TOTAL_PASSED" in result.output
    assert "Шевченко Тарас Григорович" in result.output
    assert "Підпис дійсний" in result.output


def test_json_output_is_the_report(files):
    result = _run("verify", str(files["good"]), *_trust(files), "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["indication"] == "TOTAL_PASSED"
    assert data["signatures"][0]["edrpou"] == "32855961"


def test_failed_exits_1(files):
    result = _run("verify", str(files["tampered"]), *_trust(files))
    assert result.exit_code == 1
    assert "TOTAL_FAILED" in result.output


def test_untrusted_exits_2(files):
    # no --trust-root and no app context: no roots at all
    result = _run("verify", str(files["good"]), "--at", AT)
    assert result.exit_code == 2
    assert "INDETERMINATE" in result.output


def test_no_signature_exits_2(files):
    result = _run("verify", str(files["unsigned"]), *_trust(files))
    assert result.exit_code == 2
    assert "не містить електронного підпису" in result.output


def test_detached_signature_option(files):
    result = _run("verify", str(files["doc"]), "--signature", str(files["sig"]), *_trust(files))
    assert result.exit_code == 0, result.output


def test_missing_file_is_a_usage_error_exit_3(files, tmp_path):
    result = _run("verify", str(tmp_path / "nope.pdf"), *_trust(files))
    assert result.exit_code == 3


@pytest.mark.parametrize("args", [["verify"], ["verify", "x.pdf", "--bogus"], ["nonsense"]])
def test_click_usage_errors_exit_3_not_2(args):
    assert _run(*args).exit_code == 3


def test_unreadable_trust_root_exits_3(files, tmp_path):
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate")
    result = _run("verify", str(files["good"]), "--trust-root", str(bad))
    assert result.exit_code == 3


def _trusted_list(certs: list[bytes], status: str = "granted") -> bytes:
    import base64

    services = "".join(
        "<tsl:TSPService><tsl:ServiceInformation>"
        "<tsl:ServiceTypeIdentifier>http://uri.etsi.org/TrstSvc/Svctype/CA/QC</tsl:ServiceTypeIdentifier>"
        "<tsl:ServiceDigitalIdentity><tsl:DigitalId>"
        f"<tsl:X509Certificate>{base64.b64encode(der).decode()}</tsl:X509Certificate>"
        "</tsl:DigitalId></tsl:ServiceDigitalIdentity>"
        f"<tsl:ServiceStatus>http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/{status}</tsl:ServiceStatus>"
        "</tsl:ServiceInformation></tsl:TSPService>"
        for der in certs
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><tsl:TrustServiceStatusList xmlns:tsl="http://uri.etsi.org/02231/v2#">'
        f"<tsl:TrustServiceProviderList><tsl:TrustServiceProvider><tsl:TSPServices>{services}"
        "</tsl:TSPServices></tsl:TrustServiceProvider></tsl:TrustServiceProviderList></tsl:TrustServiceStatusList>"
    ).encode()


def test_trust_import_of_a_trusted_list_then_verify_a_dstu_signature(tmp_path, dstu):
    store = tmp_path / "trust"
    tl = tmp_path / "TL-UA.xml"
    tl.write_bytes(_trusted_list([dstu.pki.ca.der]))
    result = _run("trust", "import", str(tl), "--into", str(store))
    assert result.exit_code == 0, result.output
    assert len(list(store.glob("*.cer"))) == 1
    again = _run("trust", "import", str(tl), "--into", str(store))  # idempotent
    assert "додано нових: 0" in again.output
    doc, sig = tmp_path / "doc.bin", tmp_path / "doc.bin.p7s"
    doc.write_bytes(b"document body")
    sig.write_bytes(dstu.cms(b"document body"))
    crl = tmp_path / "ca.crl"
    crl.write_bytes(dstu.pki.crls[1])
    verdict = _run(
        "verify", str(doc), "--signature", str(sig), "--trust-root", str(store), "--crl", str(crl), "--at", AT
    )
    assert verdict.exit_code == 0, verdict.output


def test_trust_import_skips_withdrawn_services_and_reads_p7b(tmp_path, dstu):
    from asn1crypto import cms

    tl = tmp_path / "TL-UA.xml"
    tl.write_bytes(_trusted_list([dstu.pki.ca.der], status="withdrawn"))
    assert _run("trust", "import", str(tl), "--into", str(tmp_path / "a")).exit_code == 3
    bundle = cms.ContentInfo(
        {
            "content_type": "signed_data",
            "content": {
                "version": "v1",
                "digest_algorithms": [],
                "encap_content_info": {"content_type": "data"},
                "certificates": [dstu.pki.root.cert, dstu.pki.ca.cert],
                "signer_infos": [],
            },
        }
    )
    p7b = tmp_path / "CACertificates.p7b"
    p7b.write_bytes(bundle.dump())
    result = _run("trust", "import", str(p7b), "--into", str(tmp_path / "b"))
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "b").glob("*.cer"))) == 2
