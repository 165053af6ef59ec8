"""Benchmark: the project's entry point vs bare pyhanko validation, same 200 PDFs.

Run from the repository root:

    .venv/bin/python bench/signatures_bench.py [--count 200]

Both sides validate the same signed PDFs against the same trust root, with the
same offline CRLs and the same revocation rule (revocation data required), at
the same fixed validation time, with pyhanko's difference analysis on.  The
project's side adds format sniffing, DSTU detection, the integrity policy,
identity extraction, evidence cutting and the forked, time-bounded worker.
"""

from __future__ import annotations

import argparse
import io
import logging
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from freezegun import freeze_time
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.policy_decl import CertRevTrustPolicy, RevocationCheckingPolicy, RevocationCheckingRule
from pyhanko_certvalidator.registry import SimpleCertificateStore, SimpleTrustManager

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from signatures import VerificationPolicy, Verifier, verify

SIGN_TIME = datetime(2025, 5, 20, 10, 0, tzinfo=UTC)
AT = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def _cert(subject, issuer_name, key, signing_key, serial, ca, crl_url=None):
    b = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(datetime(2024, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2030, 1, 1, tzinfo=UTC))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(not ca, not ca, False, False, False, ca, ca, False, False), critical=True)
    )
    if crl_url:
        b = b.add_extension(
            x509.CRLDistributionPoints(
                [x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url)], None, None, None)]
            ),
            critical=False,
        )
    return b.sign(signing_key, hashes.SHA256())


def _crl(name, key):
    return (
        x509.CertificateRevocationListBuilder()
        .issuer_name(name)
        .last_update(AT - timedelta(days=1))
        .next_update(AT + timedelta(days=10))
        .sign(key, hashes.SHA256())
        .public_bytes(serialization.Encoding.DER)
    )


def _pdf(i: int) -> bytes:
    content = f"BT /F1 14 Tf 72 720 Td (Zayava nomer {i}) Tj ET".encode()
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offs = []
    for n, body in enumerate(objs, 1):
        offs.append(out.tell())
        out.write(b"%d 0 obj\n" % n + body + b"\nendobj\n")
    x = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    for o in offs:
        out.write(b"%010d 00000 n \n" % o)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, x))
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=200)
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)

    root_key, ca_key, user_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Bench Root")])
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Bench CA")])
    root = _cert(root_name, root_name, root_key, root_key, 1, True)
    ca = _cert(ca_name, root_name, ca_key, root_key, 2, True, "http://crl.invalid/root.crl")
    user = _cert(
        x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, "Шевченко Тарас"),
                x509.NameAttribute(NameOID.SERIAL_NUMBER, "TINUA-3184710691"),
            ]
        ),
        ca_name,
        user_key,
        ca_key,
        3,
        False,
        "http://crl.invalid/ca.crl",
    )
    der = lambda c: c.public_bytes(serialization.Encoding.DER)  # noqa: E731
    crls = (_crl(root_name, root_key), _crl(ca_name, ca_key))
    signer = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(der(user)),
        signing_key=asn1_keys.PrivateKeyInfo.load(
            user_key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        ),
        cert_registry=SimpleCertificateStore.from_certs([asn1_x509.Certificate.load(der(ca))]),
    )
    print(f"signing {args.count} PDFs ...", flush=True)
    docs = []
    with freeze_time(SIGN_TIME):
        for i in range(args.count):
            meta = signers.PdfSignatureMetadata(
                field_name="Signature1",
                subfilter=signers.SigSeedSubFilter.PADES if hasattr(signers, "SigSeedSubFilter") else None,
            )
            docs.append(signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(_pdf(i))), meta, signer).getvalue())

    policy = VerificationPolicy(trust_roots=(der(root),), crls=crls, validation_time=AT)
    rule = RevocationCheckingRule.CRL_OR_OCSP_REQUIRED

    def bare(data: bytes) -> bool:
        vc = ValidationContext(
            trust_manager=SimpleTrustManager.build(trust_roots=[asn1_x509.Certificate.load(der(root))]),
            crls=list(crls),
            revinfo_policy=CertRevTrustPolicy(RevocationCheckingPolicy(rule, rule)),
            moment=AT,
        )
        emb = PdfFileReader(io.BytesIO(data)).embedded_signatures[0]
        return validate_pdf_signature(emb, vc).bottom_line

    def project(data: bytes) -> bool:
        return verify(data, filename="bench.pdf", policy=policy).passed

    verifier = Verifier(policy)

    def project_batch(data: bytes) -> bool:
        return verifier.verify(data, filename="bench.pdf").passed

    inline_policy = VerificationPolicy(trust_roots=(der(root),), crls=crls, validation_time=AT, isolate=False)

    def project_checks_only(data: bytes) -> bool:
        return verify(data, filename="bench.pdf", policy=inline_policy).passed

    sides = {
        "bare pyhanko": bare,
        "Verifier (batch)": project_batch,
        "verify() one-shot": project,
        "checks, no isolation": project_checks_only,
    }
    for fn in sides.values():  # warm-up; every side must find every document valid
        assert fn(docs[0])
    timings = dict.fromkeys(sides, 0.0)
    for data in docs:  # interleaved, so drift hits every side equally
        for label, fn in sides.items():
            t = time.perf_counter()
            ok = fn(data)
            timings[label] += time.perf_counter() - t
            assert ok, label
    verifier.close()
    n = len(docs)
    base = timings["bare pyhanko"]
    print(f"{n} signed PDFs, PAdES B-B, chain + CRL revocation, diff analysis on")
    for label, total in timings.items():
        print(f"{label:22s} {total:7.2f} s  {1000 * total / n:6.1f} ms/PDF  ratio {total / base:.3f}")
    print("target: the project's entry point adds at most 15 % (ratio <= 1.15)")


if __name__ == "__main__":
    main()
