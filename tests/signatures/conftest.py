"""Test PKI and signed documents, built inside the tests (STYLE practice 10).

The PKI mirrors the Ukrainian qualified landscape closely enough to exercise
every branch: a root (the central certification authority), an issuing CA (a
qualified provider), a director with ``TINUA-``/``NTRUA-`` identifiers *and*
subject directory attributes, another person whose identifiers live only in
subject directory attributes (older certificates), a seal, an expired and a
revoked certificate, a signer under a rogue root, and a time-stamping
authority.  CRLs and OCSP responses are produced offline.  Everything is signed
under a frozen clock and validated at a fixed moment, with explicit roots.

Built once per session (EC P-256 keys keep it fast).  All helpers live in
fixtures, so the tests need no import from this directory.
"""

from __future__ import annotations

import asyncio
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from asn1crypto import core
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from freezegun import freeze_time
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.ades.qualified_asn1 import QcCertificateType, QcStatements
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

from signatures import VerificationPolicy
from tests.signatures.dstu_pki import DstuPKI, build_dstu_pki, cades

SIGN_TIME = datetime(2025, 5, 20, 10, 0, tzinfo=UTC)
VALIDATION_TIME = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
REVOCATION_TIME = datetime(2025, 3, 1, tzinfo=UTC)
DIRECTOR_TIN = "3184710691"
OTHER_TIN = "2222222228"
EDRPOU = "32855961"

_OID_SDA_DRFO = "1.2.804.2.1.1.1.11.1.4.1.1"
_OID_SDA_EDRPOU = "1.2.804.2.1.1.1.11.1.4.2.1"


class _SdaAttribute(core.Sequence):
    _fields = [("type", core.ObjectIdentifier), ("values", core.SetOf, {"spec": core.PrintableString})]


class _SdaAttributes(core.SequenceOf):
    _child_spec = _SdaAttribute


def _sda_extension(tin: str | None, edrpou: str | None) -> x509.UnrecognizedExtension:
    attrs = []
    if tin:
        attrs.append({"type": _OID_SDA_DRFO, "values": [tin]})
    if edrpou:
        attrs.append({"type": _OID_SDA_EDRPOU, "values": [edrpou]})
    return x509.UnrecognizedExtension(x509.ObjectIdentifier("2.5.29.9"), _SdaAttributes(attrs).dump())


def _qc_extension(kind: str) -> x509.UnrecognizedExtension:
    statements = QcStatements(
        [
            {"statement_id": "qc_compliance"},
            {"statement_id": "qc_type", "statement_info": QcCertificateType([kind])},
        ]
    )
    return x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.5.5.7.1.3"), statements.dump())


@dataclass
class Party:
    """A key pair with its certificate (DER) and the chain above it."""

    cert: x509.Certificate
    key: Any  # EC, or RSA for the TSA
    chain: list[x509.Certificate] = field(default_factory=list)

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def asn1(self) -> asn1_x509.Certificate:
        return asn1_x509.Certificate.load(self.der)

    def signer(self) -> signers.SimpleSigner:
        key_der = self.key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        store = SimpleCertificateStore.from_certs(
            [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in self.chain]
        )
        return signers.SimpleSigner(
            signing_cert=self.asn1, signing_key=asn1_keys.PrivateKeyInfo.load(key_der), cert_registry=store
        )


def _name(**attrs: str) -> x509.Name:
    oids = {
        "cn": NameOID.COMMON_NAME,
        "sn": NameOID.SURNAME,
        "gn": NameOID.GIVEN_NAME,
        "title": NameOID.TITLE,
        "o": NameOID.ORGANIZATION_NAME,
        "orgid": NameOID.ORGANIZATION_IDENTIFIER,
        "serial": NameOID.SERIAL_NUMBER,
        "c": NameOID.COUNTRY_NAME,
    }
    return x509.Name([x509.NameAttribute(oids[k], v) for k, v in attrs.items()])


def _issue(
    subject: x509.Name,
    issuer: Party | None,
    *,
    serial: int,
    ca: bool = False,
    not_before: datetime = datetime(2024, 1, 1, tzinfo=UTC),
    not_after: datetime = datetime(2027, 1, 1, tzinfo=UTC),
    extra: list[x509.ExtensionType] | None = None,
    tsa: bool = False,
) -> Party:
    # EC keeps the session fast; pyhanko's dummy TSA only signs with RSA.
    key: Any = rsa.generate_private_key(65537, 2048) if tsa else ec.generate_private_key(ec.SECP256R1())
    signing_key = issuer.key if issuer else key
    issuer_name = issuer.cert.subject if issuer else subject
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False
        )
        crl_url = "http://crl.test.invalid/" + ("root.crl" if issuer.chain == [] else "qtsp.crl")
        builder = builder.add_extension(
            x509.CRLDistributionPoints(
                [x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url)], None, None, None)]
            ),
            critical=False,
        )
    if issuer is not None and not ca:
        builder = builder.add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        x509.AuthorityInformationAccessOID.OCSP,
                        x509.UniformResourceIdentifier("http://ocsp.test.invalid/"),
                    )
                ]
            ),
            critical=False,
        )
    if ca:
        ku = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
    elif tsa:
        ku = x509.KeyUsage(True, False, False, False, False, False, False, False, False)
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    else:
        ku = x509.KeyUsage(True, True, False, False, False, False, False, False, False)
    builder = builder.add_extension(ku, critical=True)
    for ext in extra or []:
        builder = builder.add_extension(ext, critical=False)
    cert = builder.sign(signing_key, hashes.SHA256())
    chain = [issuer.cert, *issuer.chain] if issuer else []
    return Party(cert, key, chain)


@dataclass
class TestPKI:
    """All parties, revocation data and policy helpers."""

    root: Party
    rogue_root: Party
    ca: Party
    tsa: Party
    director: Party
    other: Party
    seal: Party
    expired: Party
    revoked: Party
    rogue: Party
    crls: tuple[bytes, ...]
    ocsp_good_director: bytes
    ocsp_revoked: bytes

    __test__ = False  # not a test class, despite the name

    def policy(self, **overrides: Any) -> VerificationPolicy:
        """The standard test policy: our root only, offline CRLs, fixed time."""
        base: dict[str, Any] = {
            "trust_roots": (self.root.der,),
            "crls": self.crls,
            "validation_time": VALIDATION_TIME,
        }
        base.update(overrides)
        return VerificationPolicy(**base)

    def timestamper(self) -> DummyTimeStamper:
        return DummyTimeStamper(
            tsa_cert=self.tsa.asn1,
            tsa_key=asn1_keys.PrivateKeyInfo.load(
                self.tsa.key.private_bytes(
                    serialization.Encoding.DER,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            ),
            certs_to_embed=SimpleCertificateStore.from_certs([self.ca.asn1]),
            fixed_dt=SIGN_TIME,
        )


def _crl(
    issuer: Party,
    revoked: list[tuple[int, datetime]],
    *,
    this_update: datetime = VALIDATION_TIME - timedelta(days=1),
    next_update: datetime = VALIDATION_TIME + timedelta(days=29),
) -> bytes:
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.cert.subject)
        .last_update(this_update)
        .next_update(next_update)
        .add_extension(x509.CRLNumber(7), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False)
    )
    for serial, when in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build()
        )
    return builder.sign(issuer.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def _ocsp(subject: Party, issuer: Party, status: ocsp.OCSPCertStatus) -> bytes:
    builder = ocsp.OCSPResponseBuilder().add_response(
        cert=subject.cert,
        issuer=issuer.cert,
        algorithm=hashes.SHA1(),
        cert_status=status,
        this_update=VALIDATION_TIME - timedelta(hours=1),
        next_update=VALIDATION_TIME + timedelta(days=1),
        revocation_time=REVOCATION_TIME if status == ocsp.OCSPCertStatus.REVOKED else None,
        revocation_reason=x509.ReasonFlags.key_compromise if status == ocsp.OCSPCertStatus.REVOKED else None,
    )
    builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, issuer.cert)
    return builder.sign(issuer.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def build_pki() -> TestPKI:
    root = _issue(
        _name(cn="Test Central CA", o="Test CZO", c="UA"),
        None,
        serial=1,
        ca=True,
        not_before=datetime(2020, 1, 1, tzinfo=UTC),
        not_after=datetime(2035, 1, 1, tzinfo=UTC),
    )
    rogue_root = _issue(
        _name(cn="Rogue Root CA", c="UA"),
        None,
        serial=2,
        ca=True,
        not_before=datetime(2020, 1, 1, tzinfo=UTC),
        not_after=datetime(2035, 1, 1, tzinfo=UTC),
    )
    ca = _issue(
        _name(cn="Test Qualified Provider CA", o="Test QTSP", c="UA"),
        root,
        serial=10,
        ca=True,
        not_before=datetime(2021, 1, 1, tzinfo=UTC),
        not_after=datetime(2033, 1, 1, tzinfo=UTC),
    )
    tsa = _issue(_name(cn="Test TSA", o="Test QTSP", c="UA"), ca, serial=11, tsa=True)
    director = _issue(
        _name(
            cn="Шевченко Тарас Григорович",
            sn="Шевченко",
            gn="Тарас Григорович",
            title="Директор",
            o='ТОВ "Ромашка"',
            orgid=f"NTRUA-{EDRPOU}",
            serial=f"TINUA-{DIRECTOR_TIN}",
            c="UA",
        ),
        ca,
        serial=100,
        extra=[_sda_extension(DIRECTOR_TIN, EDRPOU), _qc_extension("qct_esign")],
    )
    other = _issue(
        _name(cn="Іваненко Петро Іванович", sn="Іваненко", gn="Петро Іванович", o='ТОВ "Ромашка"', c="UA"),
        ca,
        serial=101,
        extra=[_sda_extension(OTHER_TIN, EDRPOU), _qc_extension("qct_esign")],
    )
    seal = _issue(
        _name(cn='ТОВ "Ромашка"', o='ТОВ "Ромашка"', orgid=f"NTRUA-{EDRPOU}", c="UA"),
        ca,
        serial=102,
        extra=[_qc_extension("qct_eseal")],
    )
    expired = _issue(
        _name(cn="Шевченко Тарас Григорович", serial=f"TINUA-{DIRECTOR_TIN}", orgid=f"NTRUA-{EDRPOU}", c="UA"),
        ca,
        serial=103,
        not_before=datetime(2023, 1, 1, tzinfo=UTC),
        not_after=datetime(2025, 1, 1, tzinfo=UTC),
    )
    revoked = _issue(
        _name(cn="Шевченко Тарас Григорович", serial=f"TINUA-{DIRECTOR_TIN}", orgid=f"NTRUA-{EDRPOU}", c="UA"),
        ca,
        serial=104,
    )
    rogue = _issue(
        _name(cn="Шевченко Тарас Григорович", serial=f"TINUA-{DIRECTOR_TIN}", orgid=f"NTRUA-{EDRPOU}", c="UA"),
        rogue_root,
        serial=105,
    )
    crls = (_crl(root, []), _crl(ca, [(104, REVOCATION_TIME)]))
    return TestPKI(
        root=root,
        rogue_root=rogue_root,
        ca=ca,
        tsa=tsa,
        director=director,
        other=other,
        seal=seal,
        expired=expired,
        revoked=revoked,
        rogue=rogue,
        crls=crls,
        ocsp_good_director=_ocsp(director, ca, ocsp.OCSPCertStatus.GOOD),
        ocsp_revoked=_ocsp(revoked, ca, ocsp.OCSPCertStatus.REVOKED),
    )


# --------------------------------------------------------------------------- PDFs


def minimal_pdf(text: str = "Zayava pryiednannia", *, form_value: str | None = None) -> bytes:
    """A one-page PDF (optionally with a text form field), with a correct xref."""
    objects: list[bytes] = []
    has_form = form_value is not None
    catalog = b"<< /Type /Catalog /Pages 2 0 R" + (b" /AcroForm << /Fields [5 0 R] >>" if has_form else b"") + b" >>"
    objects.append(catalog)
    objects.append(b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
    objects.append(
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 6 0 R >> >>" + (b" /Annots [5 0 R]" if has_form else b"") + b" >>"
    )
    content = f"BT /F1 14 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    if has_form:
        assert form_value is not None
        objects.append(
            b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (edrpou) /V ("
            + form_value.encode("latin-1")
            + b") /Rect [72 600 300 630] /P 3 0 R /F 4 >>"
        )
    else:
        objects.append(b"<< >>")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref_at = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref_at))
    return out.getvalue()


@dataclass
class Docs:
    """Document factories bound to the PKI; results cached per session."""

    pki: TestPKI
    _cache: dict[tuple[Any, ...], bytes] = field(default_factory=dict)

    def _cached(self, key: tuple[Any, ...], make: Callable[[], bytes]) -> bytes:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def sign_pdf(
        self,
        pdf: bytes,
        who: str = "director",
        *,
        field_name: str = "Signature1",
        timestamp: bool = False,
        subfilter: SigSeedSubFilter = SigSeedSubFilter.PADES,
    ) -> bytes:
        party: Party = getattr(self.pki, who)
        meta = signers.PdfSignatureMetadata(field_name=field_name, subfilter=subfilter, md_algorithm="sha256")
        pdf_signer = signers.PdfSigner(
            meta, signer=party.signer(), timestamper=self.pki.timestamper() if timestamp else None
        )
        with freeze_time(SIGN_TIME):
            out = pdf_signer.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)))
        return out.getvalue()

    def signed_pdf_reserved(self, *, form: bool = False) -> bytes:
        """A signed PDF with a /Contents slot large enough for another CMS (to put a DSTU one in)."""
        meta = signers.PdfSignatureMetadata(
            field_name="Signature1", subfilter=SigSeedSubFilter.PADES, md_algorithm="sha256"
        )
        pdf_signer = signers.PdfSigner(meta, signer=self.pki.director.signer())
        with freeze_time(SIGN_TIME):
            out = pdf_signer.sign_pdf(
                IncrementalPdfFileWriter(io.BytesIO(minimal_pdf(form_value=EDRPOU if form else None))),
                bytes_reserved=16384,
            )
        return out.getvalue()

    def signed_pdf(self, who: str = "director", *, timestamp: bool = False, form: bool = False) -> bytes:
        return self._cached(
            ("pdf", who, timestamp, form),
            lambda: self.sign_pdf(minimal_pdf(form_value=EDRPOU if form else None), who, timestamp=timestamp),
        )

    def cms(self, data: bytes, who: str = "director", *, detached: bool = True, timestamp: bool = False) -> bytes:
        party: Party = getattr(self.pki, who)

        async def _sign() -> bytes:
            info = await party.signer().async_sign_general_data(
                data,
                "sha256",
                detached=detached,
                use_cades=True,
                timestamper=self.pki.timestamper() if timestamp else None,
            )
            return bytes(info.dump())

        with freeze_time(SIGN_TIME):
            return asyncio.run(_sign())

    def asic_e(
        self,
        files: dict[str, bytes],
        who: str = "director",
        *,
        tamper: Callable[[dict[str, bytes]], None] | None = None,
        sign: Callable[[bytes], bytes] | None = None,
        digest: tuple[str, Callable[[bytes], bytes]] | None = None,
    ) -> bytes:
        """An ASiC-E of ``files``: a manifest listing each with its digest (SHA-256 unless ``digest`` gives the
        method's URI and function), signed with a detached CMS."""
        import base64
        import hashlib

        method, function = digest or ("http://www.w3.org/2001/04/xmlenc#sha256", lambda d: hashlib.sha256(d).digest())
        refs = "".join(
            f'<asic:DataObjectReference URI="{name}" MimeType="application/octet-stream">'
            f'<ds:DigestMethod Algorithm="{method}"/>'
            f"<ds:DigestValue>{base64.b64encode(function(data)).decode()}</ds:DigestValue>"
            f"</asic:DataObjectReference>"
            for name, data in files.items()
        )
        manifest = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<asic:ASiCManifest xmlns:asic="http://uri.etsi.org/02918/v1.2.1#" '
            'xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
            '<asic:SigReference URI="META-INF/signature001.p7s" MimeType="application/pkcs7-signature"/>'
            f"{refs}</asic:ASiCManifest>"
        ).encode()
        entries = dict(files)
        entries["META-INF/ASiCManifest001.xml"] = manifest
        entries["META-INF/signature001.p7s"] = sign(manifest) if sign else self.cms(manifest, who)
        if tamper is not None:
            tamper(entries)
        return _zip("application/vnd.etsi.asic-e+zip", entries)

    def asic_s(
        self, name: str, data: bytes, who: str = "director", *, sign: Callable[[bytes], bytes] | None = None
    ) -> bytes:
        signature = sign(data) if sign else self.cms(data, who)
        return _zip("application/vnd.etsi.asic-s+zip", {name: data, "META-INF/signature.p7s": signature})


def _zip(mimetype: str, entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), mimetype, compress_type=zipfile.ZIP_STORED)
        for name, data in entries.items():
            zf.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


@pytest.fixture(scope="session")
def pki() -> TestPKI:
    return build_pki()


@pytest.fixture(scope="session")
def docs(pki: TestPKI) -> Iterator[Docs]:
    yield Docs(pki)


@pytest.fixture(scope="session")
def pdf_factory() -> Callable[..., bytes]:
    """Unsigned PDFs (exposed as a fixture so tests need no imports from here)."""
    return minimal_pdf


@pytest.fixture(scope="session")
def consts() -> dict[str, Any]:
    return {
        "SIGN_TIME": SIGN_TIME,
        "VALIDATION_TIME": VALIDATION_TIME,
        "DIRECTOR_TIN": DIRECTOR_TIN,
        "OTHER_TIN": OTHER_TIN,
        "EDRPOU": EDRPOU,
    }


# --------------------------------------------------------------------------- long-term validation

PAST_SIGN_TIME = datetime(2024, 12, 1, 10, 0, tzinfo=UTC)
"""Before the expired certificate's notAfter and the revoked one's revocation."""


def crls_current_at(pki: TestPKI, when: datetime) -> tuple[bytes, ...]:
    """Root and CA CRLs issued just before ``when``, listing what was revoked by then."""
    revoked = [(104, REVOCATION_TIME)] if when >= REVOCATION_TIME else []
    return (
        _crl(pki.root, [], this_update=when - timedelta(hours=1), next_update=when + timedelta(days=30)),
        _crl(pki.ca, revoked, this_update=when - timedelta(hours=1), next_update=when + timedelta(days=30)),
    )


@pytest.fixture(scope="session")
def sign_ltv(pki: TestPKI, pdf_factory: Callable[..., bytes]) -> Callable[..., bytes]:
    """Sign a PDF at ``when`` embedding the revocation data current then
    (PAdES-LT: DSS; adbe.pkcs7.detached: revocationInfoArchival attribute),
    optionally with a signature timestamp taken at the same moment (or at
    ``timestamp_at``)."""
    from pyhanko_certvalidator import ValidationContext

    cache: dict[tuple[Any, ...], bytes] = {}

    def make(
        who: str = "director",
        *,
        when: datetime = SIGN_TIME,
        timestamp: bool = True,
        subfilter: SigSeedSubFilter = SigSeedSubFilter.PADES,
        timestamp_at: datetime | None = None,
    ) -> bytes:
        key = (who, when, timestamp, subfilter, timestamp_at)
        if key in cache:
            return cache[key]
        vc = ValidationContext(
            trust_roots=[pki.root.asn1],
            crls=list(crls_current_at(pki, when)),
            allow_fetching=False,
            moment=when,
        )
        meta = signers.PdfSignatureMetadata(
            field_name="Signature1",
            subfilter=subfilter,
            md_algorithm="sha256",
            embed_validation_info=True,
            validation_context=vc,
        )
        stamper = None
        if timestamp:
            stamper = pki.timestamper()
            stamper.fixed_dt = timestamp_at or when
        pdf_signer = signers.PdfSigner(meta, signer=getattr(pki, who).signer(), timestamper=stamper)
        with freeze_time(when):
            out = pdf_signer.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf_factory())))
        cache[key] = out.getvalue()
        return cache[key]

    return make


# --------------------------------------------------------------------------- DSTU 4145


@dataclass
class Dstu:
    """DSTU 4145 signatures in every container, over the DSTU test PKI (``tests/signatures/dstu_pki.py``)."""

    pki: DstuPKI
    docs: Docs

    def policy(self, **overrides: Any) -> VerificationPolicy:
        """Our DSTU root only, its CRLs, the fixed validation time."""
        base: dict[str, Any] = {
            "trust_roots": (self.pki.root.der,),
            "crls": self.pki.crls,
            "validation_time": VALIDATION_TIME,
        }
        base.update(overrides)
        return VerificationPolicy(**base)

    def cms(self, data: bytes, who: str = "director", **kwargs: Any) -> bytes:
        return cades(getattr(self.pki, who), data, **kwargs)

    def resign_pdf(self, signed: bytes, who: str = "director", **kwargs: Any) -> bytes:
        """Replace the last signature's CMS in ``signed`` with a DSTU one over the same byte range."""
        return replace_pdf_signature(signed, lambda covered: self.cms(covered, who, **kwargs))

    def pdf(self, who: str = "director", *, form: bool = False) -> bytes:
        key = ("dstu-pdf", who, form)
        return self.docs._cached(key, lambda: self.resign_pdf(self.docs.signed_pdf_reserved(form=form), who))


def replace_pdf_signature(signed: bytes, make_cms: Callable[[bytes], bytes]) -> bytes:
    """Write ``make_cms(covered bytes)`` into the /Contents slot of the last signature (same length)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    emb = PdfFileReader(io.BytesIO(signed)).embedded_signatures[-1]
    start, length, second, rest = (int(x) for x in emb.byte_range)
    covered = signed[start : start + length] + signed[second : second + rest]
    slot = second - 1 - (start + length + 1)
    hex_cms = make_cms(covered).hex().encode()
    if len(hex_cms) > slot:
        raise ValueError("the DSTU CMS does not fit the signature slot")
    return signed[: start + length + 1] + hex_cms.ljust(slot, b"0") + signed[second - 1 :]


@pytest.fixture(scope="session")
def dstu(docs: Docs) -> Dstu:
    return Dstu(build_dstu_pki(), docs)
