"""Benchmark: the project's entry point vs bare pyhanko validation, same 200 PDFs.

Run from the repository root:

    .venv/bin/python bench/signatures_bench.py [--count 200] [--rounds 5]

Every side validates the same signed PDFs against the same trust root (parsed
once), with the same offline CRLs and the same revocation rule (revocation data
required), at the same fixed validation time, with pyhanko's difference
analysis on, and a fresh ValidationContext per file.  The runs are interleaved
(each file goes through every side in a rotating order) and repeated; the
figures are medians over the rounds, because the CPU is shared.

The project's side adds format sniffing, DSTU detection, the integrity policy,
DSS / revocation-archival lookup, identity extraction, evidence cutting and the
time- and memory-bounded worker (isolated batch), or a fork per file (one-shot
``verify()``), reported separately.
"""

from __future__ import annotations

import argparse
import io
import logging
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from asn1crypto.crl import CertificateList
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from freezegun import freeze_time
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
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
    parser.add_argument("--rounds", type=int, default=5)
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
                subfilter=SigSeedSubFilter.PADES,
            )
            docs.append(signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(_pdf(i))), meta, signer).getvalue())

    policy = VerificationPolicy(trust_roots=(der(root),), crls=crls, validation_time=AT)
    inline_policy = VerificationPolicy(trust_roots=(der(root),), crls=crls, validation_time=AT, isolate=False)

    # Bare pyhanko gets the same advantages the project's Session has: roots,
    # trust manager, CRLs and revocation policy parsed once; a fresh
    # ValidationContext per file (as the project builds one per signature).
    rule = RevocationCheckingRule.CRL_OR_OCSP_REQUIRED
    trust_manager = SimpleTrustManager.build(trust_roots=[asn1_x509.Certificate.load(der(root))])
    parsed_crls = [CertificateList.load(c) for c in crls]
    revinfo_policy = CertRevTrustPolicy(RevocationCheckingPolicy(rule, rule))

    def bare(data: bytes) -> bool:
        vc = ValidationContext(
            trust_manager=trust_manager, crls=parsed_crls, revinfo_policy=revinfo_policy, moment=AT
        )
        emb = PdfFileReader(io.BytesIO(data)).embedded_signatures[0]
        return validate_pdf_signature(emb, vc).bottom_line

    verifier = Verifier(policy)
    inline_verifier = Verifier(inline_policy)

    sides: dict[str, Callable[[bytes], bool]] = {
        "bare pyhanko": bare,
        "Verifier, isolated worker": lambda d: verifier.verify(d, filename="bench.pdf").passed,
        "Verifier, in-process": lambda d: inline_verifier.verify(d, filename="bench.pdf").passed,
        "verify(), fork per file": lambda d: verify(d, filename="bench.pdf", policy=policy).passed,
    }
    for fn in sides.values():  # warm-up; every side must find every document valid
        assert fn(docs[0])
    labels = list(sides)
    per_round: dict[str, list[float]] = {label: [] for label in labels}
    for rnd in range(args.rounds):
        totals = dict.fromkeys(labels, 0.0)
        for i, data in enumerate(docs):  # interleaved; the order rotates so no side always goes first
            shift = (i + rnd) % len(labels)
            for label in labels[shift:] + labels[:shift]:
                t = time.perf_counter()
                ok = sides[label](data)
                totals[label] += time.perf_counter() - t
                assert ok, label
        for label in labels:
            per_round[label].append(totals[label])
        summary = ", ".join(f"{k} {1000 * v / len(docs):.1f}" for k, v in totals.items())
        print(f"round {rnd + 1} (ms/PDF): {summary}", flush=True)
    verifier.close()
    inline_verifier.close()
    n = len(docs)
    base = per_round["bare pyhanko"]
    print(f"\n{n} signed PDFs x {args.rounds} rounds, PAdES B-B, chain + CRL revocation required, diff analysis on")
    print(f"{'side':28s} {'median ms/PDF':>13s} {'median ratio':>12s} {'ratio range':>15s}")
    for label in labels:
        ratios = [t / b for t, b in zip(per_round[label], base, strict=True)]
        ms = 1000 * statistics.median(per_round[label]) / n
        print(f"{label:28s} {ms:13.2f} {statistics.median(ratios):12.3f} {min(ratios):7.3f}-{max(ratios):.3f}")
    print("target: the batch path (Verifier, isolated worker) adds at most 15 % (ratio <= 1.15)")


if __name__ == "__main__":
    main()
