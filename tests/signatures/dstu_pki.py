"""A DSTU 4145 test PKI and CAdES signatures, built with the test-only signing function.

Mirrors the Ukrainian qualified landscape: a root (the central certification
authority), a QTSP CA, a director whose key carries a DKE other than the
default one (so a verifier that ignores the key's S-box fails), a colleague
with identifiers only in subject directory attributes, an expired, a revoked
and a rogue-rooted signer, and CRLs signed with DSTU.  Curve: the standard
m = 257 curve most Ukrainian certificates use.  Certificates and CMS are built
with asn1crypto; only the SubjectPublicKeyInfo is assembled by hand (asn1crypto
cannot encode DSTU keys).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from asn1crypto import algos, cms, core, crl, keys, ocsp, tsp, x509
from pyhanko.sign.ades.qualified_asn1 import QcCertificateType, QcStatements

from signatures.dstu import (
    DSTU4145_LE,
    GOST34311_OID,
    der,
    digest_function,
    encode_parameters,
    encode_signature,
    generate_private_key,
    gost34311,
    named_curve,
    public_key_from_private,
    sign_digest,
)
from signatures.dstu.gost28147 import DKE_1, TEST_SBOX_ROWS, sbox_from_dke

CURVE = named_curve("1.2.804.2.1.1.1.1.3.1.1.2.6")  # m = 257
OTHER_DKE = bytes.fromhex("".join(TEST_SBOX_ROWS))
UA_QUALIFIED_POLICY = "1.2.804.2.1.1.1.2.2"
UA_QC_COMPLIANCE = "1.2.804.2.1.1.1.2.1"
SIGN_TIME = datetime(2025, 5, 20, 10, 0, tzinfo=UTC)
VALIDATION_TIME = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


class _SdaAttribute(core.Sequence):
    _fields = [("type", core.ObjectIdentifier), ("values", core.SetOf, {"spec": core.PrintableString})]


class _SdaAttributes(core.SequenceOf):
    _child_spec = _SdaAttribute


@dataclass
class DParty:
    """A DSTU key pair, its certificate and the chain above it."""

    cert: x509.Certificate
    d: int
    dke: bytes
    chain: list[x509.Certificate] = field(default_factory=list)

    @property
    def der(self) -> bytes:
        return bytes(self.cert.dump())

    @property
    def sbox(self) -> Any:
        return sbox_from_dke(self.dke)


def spki(d: int, dke: bytes) -> bytes:
    params = encode_parameters(CURVE, dke=dke)
    key = public_key_from_private(CURVE, d).to_octet_string()
    algorithm = der.encode_tlv(der.SEQUENCE, der.encode_oid(DSTU4145_LE) + params)
    return der.encode_tlv(der.SEQUENCE, algorithm + der.encode_tlv(der.BIT_STRING, b"\x00" + key))


def dstu_sign(party: DParty, data: bytes) -> bytes:
    """The raw 2L-byte signature (little-endian) over GOST 34.311(data) with the signer's S-box."""
    return encode_signature(CURVE, *sign_digest(CURVE, party.d, gost34311(data, sbox=party.sbox)))


def _ext(oid: str, value: bytes, critical: bool = False) -> x509.Extension:
    body = der.encode_oid(oid) + (b"\x01\x01\xff" if critical else b"") + der.encode_tlv(der.OCTET_STRING, value)
    return x509.Extension.load(der.encode_tlv(der.SEQUENCE, body))


def _time(when: datetime) -> x509.Time:
    return x509.Time({"utc_time": when})


def issue(
    subject: dict[str, str],
    issuer: DParty | None,
    *,
    serial: int,
    ca: bool = False,
    not_before: datetime = datetime(2024, 1, 1, tzinfo=UTC),
    not_after: datetime = datetime(2027, 1, 1, tzinfo=UTC),
    dke: bytes = DKE_1,
    sda: tuple[str | None, str | None] | None = None,
    qualified: bool = True,
    key_usage: set[str] | None = None,
    extra: list[x509.Extension] | None = None,
) -> DParty:
    d = generate_private_key(CURVE)
    name = x509.Name.build(subject)
    key_der = spki(d, dke)
    ski = hashlib.sha1(key_der).digest()
    exts = [
        _ext("2.5.29.14", core.OctetString(ski).dump()),
        _ext("2.5.29.19", x509.BasicConstraints({"ca": ca}).dump(), critical=True),
        _ext(
            "2.5.29.15",
            x509.KeyUsage(
                key_usage or ({"key_cert_sign", "crl_sign"} if ca else {"digital_signature", "non_repudiation"})
            ).dump(),
            critical=True,
        ),
    ]
    if issuer is not None:
        issuer_ski = issuer.cert.key_identifier
        exts.append(_ext("2.5.29.35", x509.AuthorityKeyIdentifier({"key_identifier": issuer_ski}).dump()))
    if not ca and qualified:
        exts.append(
            _ext(
                "2.5.29.32",
                x509.CertificatePolicies([{"policy_identifier": UA_QUALIFIED_POLICY}]).dump(),
                critical=True,
            )
        )
        statements = QcStatements(
            [
                {"statement_id": "qc_compliance"},
                {"statement_id": UA_QC_COMPLIANCE},
                {"statement_id": "qc_type", "statement_info": QcCertificateType(["qct_esign"])},
            ]
        )
        exts.append(_ext("1.3.6.1.5.5.7.1.3", statements.dump()))
    if sda is not None:
        tin, edrpou = sda
        attrs = []
        if tin:
            attrs.append({"type": "1.2.804.2.1.1.1.11.1.4.1.1", "values": [tin]})
        if edrpou:
            attrs.append({"type": "1.2.804.2.1.1.1.11.1.4.2.1", "values": [edrpou]})
        exts.append(_ext("2.5.29.9", _SdaAttributes(attrs).dump()))
    exts.extend(extra or [])
    tbs = x509.TbsCertificate(
        {
            "version": "v3",
            "serial_number": serial,
            "signature": algos.SignedDigestAlgorithm({"algorithm": DSTU4145_LE}),
            "issuer": issuer.cert.subject if issuer else name,
            "validity": {"not_before": _time(not_before), "not_after": _time(not_after)},
            "subject": name,
            "subject_public_key_info": keys.PublicKeyInfo.load(key_der),
            "extensions": exts,
        }
    )
    signer = issuer if issuer is not None else DParty(None, d, dke)  # type: ignore[arg-type]
    tbs_der = tbs.dump()
    signature = der.encode_tlv(der.OCTET_STRING, dstu_sign(signer, tbs_der))
    cert = x509.Certificate(
        {
            "tbs_certificate": x509.TbsCertificate.load(tbs_der),
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": DSTU4145_LE}),
            "signature_value": signature,
        }
    )
    cert = x509.Certificate.load(cert.dump())
    chain = [issuer.cert, *issuer.chain] if issuer else []
    return DParty(cert, d, dke, chain)


def make_crl(
    issuer: DParty,
    revoked: list[tuple[int, datetime]],
    *,
    this_update: datetime = VALIDATION_TIME - timedelta(days=1),
    next_update: datetime = VALIDATION_TIME + timedelta(days=29),
) -> bytes:
    tbs = crl.TbsCertList(
        {
            "version": "v2",
            "signature": {"algorithm": DSTU4145_LE},
            "issuer": issuer.cert.subject,
            "this_update": _time(this_update),
            "next_update": _time(next_update),
            "revoked_certificates": [
                {"user_certificate": serial, "revocation_date": _time(when)} for serial, when in revoked
            ],
            "crl_extensions": [{"extn_id": "crl_number", "critical": False, "extn_value": 7}],
        }
    )
    tbs_der = tbs.dump()
    signature = der.encode_tlv(der.OCTET_STRING, dstu_sign(issuer, tbs_der))
    value = crl.CertificateList(
        {
            "tbs_cert_list": crl.TbsCertList.load(tbs_der),
            "signature_algorithm": {"algorithm": DSTU4145_LE},
            "signature": signature,
        }
    )
    return bytes(value.dump())


def _signer_info(
    party: DParty,
    content: bytes,
    *,
    content_type: str,
    signing_time: datetime,
    ess_cert: x509.Certificate | None,
    digest_oid: str,
) -> cms.SignerInfo:
    """The SignerInfo of a CAdES-BES signature: DSTU 4145 (little-endian) over GOST 34.311 with the key's DKE."""
    referenced = ess_cert or party.cert
    digest = digest_function(digest_oid, party.sbox)
    attrs = cms.CMSAttributes(
        [
            {"type": "content_type", "values": [content_type]},
            {"type": "signing_time", "values": [cms.Time({"utc_time": signing_time})]},
            {"type": "message_digest", "values": [digest(content)]},
            {
                "type": "signing_certificate_v2",
                "values": [
                    {
                        "certs": [
                            {
                                "hash_algorithm": {"algorithm": GOST34311_OID},
                                "cert_hash": gost34311(referenced.dump(), sbox=party.sbox),
                                "issuer_serial": {
                                    "issuer": [x509.GeneralName({"directory_name": referenced.issuer})],
                                    "serial_number": referenced.serial_number,
                                },
                            }
                        ]
                    }
                ],
            },
        ]
    )
    attrs_der = attrs.dump()
    return cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": {
                        "issuer": party.cert.issuer,
                        "serial_number": party.cert.serial_number,
                    }
                }
            ),
            "digest_algorithm": {"algorithm": digest_oid},
            "signed_attrs": cms.CMSAttributes.load(attrs_der),
            "signature_algorithm": {"algorithm": DSTU4145_LE},
            "signature": encode_signature(CURVE, *sign_digest(CURVE, party.d, digest(attrs_der))),
        }
    )


def timestamp_token(tsa: DParty, signature_value: bytes, gen_time: datetime, *, serial: int = 1) -> cms.ContentInfo:
    """A TSA's token (RFC 3161) over a signature value: GOST 34.311 imprint, signed like a CAdES signature."""
    tst = tsp.TSTInfo(
        {
            "version": "v1",
            "policy": "1.2.804.2.1.1.1.2.3.1",
            "message_imprint": {
                "hash_algorithm": {"algorithm": GOST34311_OID},
                "hashed_message": gost34311(signature_value),
            },
            "serial_number": serial,
            "gen_time": gen_time,
        }
    ).dump()
    info = _signer_info(
        tsa, tst, content_type="tst_info", signing_time=gen_time, ess_cert=None, digest_oid=GOST34311_OID
    )
    signed = cms.SignedData(
        {
            "version": "v3",
            "digest_algorithms": [{"algorithm": GOST34311_OID}],
            "encap_content_info": {"content_type": "tst_info", "content": tsp.TSTInfo.load(tst)},
            "certificates": [cms.CertificateChoices({"certificate": tsa.cert})],
            "signer_infos": [info],
        }
    )
    return cms.ContentInfo({"content_type": "signed_data", "content": signed})


def cades(
    party: DParty,
    content: bytes,
    *,
    detached: bool = True,
    ess_cert: x509.Certificate | None = None,
    signing_time: datetime = SIGN_TIME,
    extra_certs: tuple[x509.Certificate, ...] = (),
    crls: tuple[bytes, ...] = (),
    include_cert: bool = True,
    digest_oid: str = GOST34311_OID,
    with_chain: bool = True,
    timestamp: Callable[[bytes], cms.ContentInfo] | None = None,
) -> bytes:
    """A CAdES-BES SignedData (CAdES-T with ``timestamp``: the token made over the signature value)."""
    signer_info = _signer_info(
        party, content, content_type="data", signing_time=signing_time, ess_cert=ess_cert, digest_oid=digest_oid
    )
    if timestamp is not None:
        token = timestamp(bytes(signer_info["signature"].native))
        signer_info["unsigned_attrs"] = cms.CMSAttributes([{"type": "signature_time_stamp_token", "values": [token]}])
    eci: dict[str, Any] = {"content_type": "data"}
    if not detached:
        eci["content"] = content
    chain = list(party.chain[:-1]) if with_chain else []
    certs = ([party.cert] if include_cert else []) + chain + list(extra_certs)
    fields: dict[str, Any] = {
        "version": "v1",
        "digest_algorithms": [{"algorithm": digest_oid}],
        "encap_content_info": eci,
        "certificates": [cms.CertificateChoices({"certificate": c}) for c in certs],
        "signer_infos": [signer_info],
    }
    if crls:
        fields["crls"] = [cms.RevocationInfoChoice({"crl": crl.CertificateList.load(c)}) for c in crls]
    return bytes(cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData(fields)}).dump())


DIRECTOR_TIN = "3184710691"
OTHER_TIN = "2222222228"
EDRPOU = "32855961"


@dataclass
class DstuPKI:
    """The DSTU parties, their CRLs and the standard policy arguments."""

    root: DParty
    ca: DParty
    director: DParty
    other: DParty
    expired: DParty
    revoked: DParty
    rogue_root: DParty
    rogue: DParty
    crls: tuple[bytes, ...]
    #: A time-stamping authority of the QTSP (extended key usage timeStamping, critical).
    tsa: DParty
    #: The QTSP's delegated OCSP responder (extended key usage OCSPSigning).
    responder: DParty

    __test__ = False


#: The company's director as the certificate names them: identifiers in the subject and in its directory
#: attributes, as Ukrainian qualified certificates carry them.
DIRECTOR_SUBJECT = {
    "common_name": "Шевченко Тарас Григорович",
    "surname": "Шевченко",
    "given_name": "Тарас Григорович",
    "title": "Директор",
    "organization_name": 'ТОВ "Ромашка"',
    "organization_identifier": f"NTRUA-{EDRPOU}",
    "serial_number": f"TINUA-{DIRECTOR_TIN}",
    "country_name": "UA",
}


def build_dstu_pki() -> DstuPKI:
    root = issue(
        {"common_name": "Тестовий Центральний засвідчувальний орган", "country_name": "UA"},
        None,
        serial=1,
        ca=True,
        not_before=datetime(2020, 1, 1, tzinfo=UTC),
        not_after=datetime(2035, 1, 1, tzinfo=UTC),
    )
    ca = issue(
        {"common_name": "Тестовий КНЕДП", "organization_name": "Test QTSP", "country_name": "UA"},
        root,
        serial=10,
        ca=True,
        not_before=datetime(2021, 1, 1, tzinfo=UTC),
        not_after=datetime(2033, 1, 1, tzinfo=UTC),
    )
    person = DIRECTOR_SUBJECT
    director = issue(person, ca, serial=100, dke=OTHER_DKE, sda=(DIRECTOR_TIN, EDRPOU))
    other = issue(
        {"common_name": "Іваненко Петро Іванович", "organization_name": 'ТОВ "Ромашка"', "country_name": "UA"},
        ca,
        serial=101,
        sda=(OTHER_TIN, EDRPOU),
    )
    expired = issue(
        person,
        ca,
        serial=103,
        not_before=datetime(2023, 1, 1, tzinfo=UTC),
        not_after=datetime(2025, 1, 1, tzinfo=UTC),
    )
    revoked = issue(person, ca, serial=104)
    rogue_root = issue({"common_name": "Rogue Root", "country_name": "UA"}, None, serial=2, ca=True)
    rogue = issue(person, rogue_root, serial=105)
    crls = (make_crl(root, []), make_crl(ca, [(104, datetime(2025, 3, 1, tzinfo=UTC))]))
    tsa = issue(
        {"common_name": "Тестовий TSP КНЕДП", "organization_name": "Test QTSP", "country_name": "UA"},
        ca,
        serial=106,
        qualified=False,
        extra=[_ext("2.5.29.37", x509.ExtKeyUsageSyntax(["time_stamping"]).dump(), critical=True)],
    )
    responder = issue(
        {"common_name": "Тестовий OCSP КНЕДП", "organization_name": "Test QTSP", "country_name": "UA"},
        ca,
        serial=107,
        qualified=False,
        extra=[_ext("2.5.29.37", x509.ExtKeyUsageSyntax(["ocsp_signing"]).dump())],
    )
    return DstuPKI(root, ca, director, other, expired, revoked, rogue_root, rogue, crls, tsa, responder)


def make_ocsp(
    issuer: DParty,
    serial: int,
    *,
    status: str = "good",
    responder: DParty | None = None,
    this_update: datetime = VALIDATION_TIME - timedelta(hours=1),
    next_update: datetime | None = VALIDATION_TIME + timedelta(days=1),
) -> bytes:
    """An OCSP response (RFC 6960) on certificate ``serial`` of ``issuer``, signed with DSTU by ``responder``
    (the issuer itself by default), the CertID hashed with SHA-1."""
    signer = responder or issuer
    key_bits = bytes(issuer.cert["tbs_certificate"]["subject_public_key_info"]["public_key"].contents[1:])
    single: dict[str, Any] = {
        "cert_id": {
            "hash_algorithm": {"algorithm": "sha1"},
            "issuer_name_hash": hashlib.sha1(issuer.cert.subject.dump()).digest(),
            "issuer_key_hash": hashlib.sha1(key_bits).digest(),
            "serial_number": serial,
        },
        "cert_status": ocsp.CertStatus(
            {"good": core.Null()}
            if status == "good"
            else {"revoked": {"revocation_time": VALIDATION_TIME - timedelta(days=10)}}
        ),
        "this_update": this_update,
    }
    if next_update is not None:
        single["next_update"] = next_update
    tbs = ocsp.ResponseData(
        {
            "responder_id": ocsp.ResponderId({"by_name": signer.cert.subject}),
            "produced_at": this_update,
            "responses": [single],
        }
    )
    tbs_der = tbs.dump()
    basic = ocsp.BasicOCSPResponse(
        {
            "tbs_response_data": ocsp.ResponseData.load(tbs_der),
            "signature_algorithm": {"algorithm": DSTU4145_LE},
            "signature": der.encode_tlv(der.OCTET_STRING, dstu_sign(signer, tbs_der)),
            "certs": [signer.cert] if responder is not None else [],
        }
    )
    response = ocsp.OCSPResponse(
        {"response_status": "successful", "response_bytes": {"response_type": "basic_ocsp_response", "response": basic}}
    )
    return bytes(response.dump())
