"""Long-term validation: the document's own validation data, and validation in the past.

PAdES-LT/LTA and CAdES-LT documents carry the revocation data that was
current when they were signed — in the PDF's Document Security Store, in the
``adbe-revocationInfoArchival`` signed attribute, or in the CMS ``crls``
field.  :func:`pdf_evidence` and :func:`cms_evidence` read it so that such a
document validates offline under hard-fail.  None of it is trusted by itself:
CRLs and OCSP responses are verified against the configured roots, embedded
certificates are only path-building candidates.  Unreadable material is
ignored (less data can only make the verdict less favourable).

Past signature validation (ETSI EN 319 102-1, 5.6.2.4, simplified): when the
signing certificate is expired or revoked *now*, or its current status cannot
be established, but a trusted timestamp proves that the signature existed at
an earlier time T, the certificate path is validated as of T.  The rules that
keep this from ever being a false pass:

* T comes only from a timestamp that validated as trusted now (a signature
  timestamp, or a document timestamp over a later revision).  No proof of
  existence, or an untrusted one, leaves the verdict as it was.
* At T the whole path must be valid and the revocation status of every
  certificate below the root must be established from data that was
  *current at T* (issued no later than T, not yet superseded) under the
  policy's revocation rule.  A CRL issued after T is not accepted as proof of
  the status at T, so a certificate revoked before T, or one whose status at T
  nobody recorded, stays INDETERMINATE (or FAILED/REVOKED).
* Only the trust verdict changes; integrity, the diff analysis and the
  cryptographic checks stay exactly as computed at the validation time.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterable
from datetime import datetime
from typing import TypeVar

from asn1crypto import cms, core, crl, ocsp, x509
from pyhanko.pdf_utils.decode_limits import DecodePurpose
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.general import find_unique_cms_attribute
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import StandardCMSSignatureStatus

from signatures.context import NO_EVIDENCE, Evidence, Session, validate_path_at

S = TypeVar("S", bound=StandardCMSSignatureStatus)

_OCSP_RESPONSE_RI = "1.3.6.1.5.5.7.16.2"  # RFC 5940 id-ri-ocsp-response
_CERT_VALUES = "1.2.840.113549.1.9.16.2.23"  # CAdES-X-L id-aa-ets-certValues
_REVOCATION_VALUES = "1.2.840.113549.1.9.16.2.24"  # CAdES-X-L id-aa-ets-revocationValues


class _CrlValues(core.SequenceOf):  # type: ignore[misc]  # asn1crypto is untyped
    _child_spec = crl.CertificateList


class _OcspValues(core.SequenceOf):  # type: ignore[misc]  # asn1crypto is untyped
    _child_spec = ocsp.BasicOCSPResponse


class _RevocationValues(core.Sequence):  # type: ignore[misc]  # asn1crypto is untyped
    """ETSI EN 319 122-1 RevocationValues; other values than CRLs and OCSP responses are not read."""

    _fields = [
        ("crl_vals", _CrlValues, {"explicit": 0, "optional": True}),
        ("ocsp_vals", _OcspValues, {"explicit": 1, "optional": True}),
        ("other_rev_vals", core.Any, {"explicit": 2, "optional": True}),
    ]


class _CertValues(core.SequenceOf):  # type: ignore[misc]  # asn1crypto is untyped
    _child_spec = x509.Certificate


PAST_VALIDATION_CANDIDATES = frozenset(
    {
        "OUT_OF_BOUNDS_NO_POE",
        "OUT_OF_BOUNDS_NOT_REVOKED",
        "REVOKED_NO_POE",
        "TRY_LATER",
        "REVOCATION_OUT_OF_BOUNDS_NO_POE",
        "CERTIFICATE_CHAIN_GENERAL_FAILURE",
    }
)
"""Sub-indications a proof of existence can resolve (ETSI 5.6.2.4)."""

PAST_VALIDATION_NOTE = "certificate path validated at the time proven by a trusted timestamp:"


def pdf_evidence(reader: PdfFileReader) -> Evidence:
    """Revocation data and certificates in the PDF's Document Security Store."""
    try:
        root = reader.root
        if "/DSS" not in root:
            return NO_EVIDENCE
        dss = DocumentSecurityStore.read_dss(reader)
        crls = tuple(crl.CertificateList.load(ref.get_object().read_data(DecodePurpose.CRL)) for ref in dss.crls)
        ocsps = tuple(
            ocsp.OCSPResponse.load(ref.get_object().read_data(DecodePurpose.OCSP_RESPONSE)) for ref in dss.ocsps
        )
        certs = tuple(dss.load_certs())
    except Exception:  # unreadable DSS: validate without it
        return NO_EVIDENCE
    return Evidence(crls, ocsps, certs)


def _as_response(basic: ocsp.BasicOCSPResponse) -> ocsp.OCSPResponse:
    """A BasicOCSPResponse as CAdES-X-L keeps it, wrapped as the OCSPResponse the validators read."""
    return ocsp.OCSPResponse(
        {"response_status": "successful", "response_bytes": {"response_type": "basic_ocsp_response", "response": basic}}
    )


def cms_evidence(signed_data: cms.SignedData) -> Evidence:
    """Revocation data inside the CMS: the ``crls`` field (CRLs and RFC 5940
    OCSP responses), Adobe's ``adbe-revocationInfoArchival`` attribute, and
    the CAdES-X-L unsigned attributes (CRLs of ``revocationValues``,
    certificates of ``certValues``)."""
    crls: list[crl.CertificateList] = []
    ocsps: list[ocsp.OCSPResponse] = []
    with contextlib.suppress(Exception):  # odd revocation choices: ignore them
        choices = signed_data["crls"]
        for choice in choices if isinstance(choices, cms.RevocationInfoChoices) else ():
            if choice.name == "crl":
                crls.append(choice.chosen)
            elif choice.name == "other" and choice.chosen["other_rev_info_format"].dotted == _OCSP_RESPONSE_RI:
                ocsps.append(ocsp.OCSPResponse.load(choice.chosen["other_rev_info"].dump()))
    with contextlib.suppress(Exception):  # absent (the usual case) or malformed
        archival = find_unique_cms_attribute(
            signed_data["signer_infos"][0]["signed_attrs"], "adobe_revocation_info_archival"
        )
        crls.extend(archival["crl"] or ())
        ocsps.extend(archival["ocsp"] or ())
    certs: list[x509.Certificate] = []
    with contextlib.suppress(Exception):  # absent or malformed: validate without it
        unsigned = signed_data["signer_infos"][0]["unsigned_attrs"]
        for attr in unsigned if isinstance(unsigned, cms.CMSAttributes) else ():
            oid = attr["type"].dotted
            for value in attr["values"]:
                if oid == _REVOCATION_VALUES:
                    values = _RevocationValues.load(value.dump())
                    crls.extend(values["crl_vals"] or ())
                    ocsps.extend(_as_response(basic) for basic in values["ocsp_vals"] or ())
                elif oid == _CERT_VALUES:
                    certs.extend(_CertValues.load(value.dump()))
    return Evidence(tuple(crls), tuple(ocsps), tuple(certs))


def earliest_proof(times: Iterable[datetime | None], before: datetime | None) -> datetime | None:
    """The earliest trusted time, if it lies before the validation time."""
    known = [t for t in times if t is not None]
    if not known:
        return None
    first = min(known)
    return first if before is None or first < before else None


def revalidate_in_the_past(
    session: Session,
    status: S,
    other_certs: Iterable[x509.Certificate],
    evidence: Evidence,
    proof_time: datetime,
) -> S | None:
    """``status`` with its trust fields replaced by a path validated at
    ``proof_time``, or None when the path was not valid (with established
    revocation status) at that time.  Everything else in the status — hash,
    signature value, timestamps, seed values, DocMDP — is kept, so the usual
    verdict logic (and pyhanko's ``bottom_line``) still applies to it."""
    cert = status.signing_cert
    revoked = status.revocation_details
    if revoked is not None and revoked.revocation_date <= proof_time:
        return None  # revoked before the proof of existence: never valid then
    problem, path = validate_path_at(session, cert, other_certs, evidence, moment=proof_time)
    if problem is not None or path is None:
        return None
    usage: KeyUsageConstraints = type(status).default_usage_constraints()
    try:
        usage.validate(cert)
    except Exception:
        return None
    return dataclasses.replace(status, trust_problem_indic=None, validation_path=path, revocation_details=None)
