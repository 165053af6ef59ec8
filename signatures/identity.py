"""Ukrainian certificate identity: who signed, and do they match the contract.

Why here and not in pyhanko: Ukrainian qualified certificates carry the
signer's personal tax number (РНОКПП) and the company's EDRPOU in places a
generic validator ignores — ``serialNumber = TINUA-<RNOKPP>`` and
``organizationIdentifier = NTRUA-<EDRPOU>`` (ETSI EN 319 412-1 semantics), or,
in older certificates, in the subject directory attributes extension under
1.2.804.2.1.1.1.11.1.4.1.1 (DRFO code) and 1.2.804.2.1.1.1.11.1.4.2.1 (EDRPOU).
Matching them against the application decides whether a sound signature still
needs an operator ("the signer is not the person who signed the contract").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asn1crypto import core, x509
from pyhanko.sign.ades.qualified_asn1 import QcStatements

from signatures.report import SignerIdentity, SignerMatch

OID_SDA_DRFO = "1.2.804.2.1.1.1.11.1.4.1.1"
"""Subject directory attribute: personal tax number (DRFO / РНОКПП)."""
OID_SDA_EDRPOU = "1.2.804.2.1.1.1.11.1.4.2.1"
"""Subject directory attribute: company code (EDRPOU)."""
OID_QC_STATEMENTS = "1.3.6.1.5.5.7.1.3"
OID_QC_COMPLIANCE = "0.4.0.1862.1.1"
OID_QC_TYPE = "0.4.0.1862.1.6"
OID_QCT_ESEAL = "0.4.0.1862.1.6.2"
OID_UA_QC_COMPLIANCE = "1.2.804.2.1.1.1.2.1"
"""Ukrainian QC statement: the certificate is qualified (older certificates carry only this)."""
OID_UA_QUALIFIED_POLICY = "1.2.804.2.1.1.1.2.2"
"""Ukrainian certificate policy (and, in older certificates, QC statement) of qualified certificates."""
OID_UA_STAMP_USAGE = "1.2.804.2.1.1.1.3.9"
"""Ukrainian extended key usage of an electronic seal."""
OID_POLICIES = "2.5.29.32"
OID_EKU = "2.5.29.37"

_TIN = re.compile(r"^TINUA-(\d{10})$")
_NTR = re.compile(r"^NTRUA-(\d{8})$")
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class ExpectedSigner:
    """What the application and the supply contract say about the signer.

    ``edrpou``: the consumer company's code from the application (8 digits).
    ``rnokpp``: for a natural-person consumer, their tax number (10 digits).
    ``signatory_tax_number``: tax number of who signed the supply contract
    (the director or the authorised person).
    """

    edrpou: str | None = None
    rnokpp: str | None = None
    signatory_tax_number: str | None = None


def _str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
        if value is None:
            return None
    text = str(value).strip()
    return text or None


def _attr_text(value: core.Asn1Value) -> str | None:
    """Best-effort text of an ANY-typed attribute value (PrintableString etc.)."""
    try:
        parsed = core.Asn1Value.load(value.dump())
        contents = parsed.contents
        if contents is None:
            return None
        return contents.decode("utf-8", errors="replace").strip() or None
    except (ValueError, TypeError):
        return None


def _subject_directory(cert: x509.Certificate) -> dict[str, str]:
    out: dict[str, str] = {}
    for ext in cert["tbs_certificate"]["extensions"]:
        if ext["extn_id"].dotted != "2.5.29.9":
            continue
        try:
            attrs = ext["extn_value"].parsed
            for attr in attrs:
                oid = attr["type"].dotted
                values = attr["values"]
                if len(values):
                    text = _attr_text(values[0])
                    if text:
                        out[oid] = text
        except (ValueError, TypeError, KeyError):
            continue
    return out


def _qc_flags(cert: x509.Certificate) -> tuple[bool, bool]:
    """(qualified, eseal) from the QC statements (ETSI and Ukrainian), the
    Ukrainian qualified-certificate policy and the Ukrainian seal key usage."""
    qualified = eseal = False
    for ext in cert["tbs_certificate"]["extensions"]:
        if ext["extn_id"].dotted != OID_QC_STATEMENTS:
            continue
        try:
            statements = QcStatements.load(ext["extn_value"].contents)
            for st in statements:
                sid = st["statement_id"].dotted
                if sid in (OID_QC_COMPLIANCE, OID_UA_QC_COMPLIANCE, OID_UA_QUALIFIED_POLICY):
                    qualified = True
                elif sid == OID_QC_TYPE:
                    info = st["statement_info"]
                    if info.native is not None:
                        types = [t.dotted for t in info.chosen] if hasattr(info, "chosen") else [t.dotted for t in info]
                        eseal = eseal or OID_QCT_ESEAL in types
        except (ValueError, TypeError, KeyError, AttributeError):
            continue
    qualified = qualified or OID_UA_QUALIFIED_POLICY in _extension_oids(cert, OID_POLICIES, "policy_identifier")
    eseal = eseal or OID_UA_STAMP_USAGE in _extension_oids(cert, OID_EKU, None)
    return qualified, eseal


def _extension_oids(cert: x509.Certificate, extension: str, key: str | None) -> set[str]:
    """OIDs listed in a certificatePolicies (``key`` = policy_identifier) or
    extKeyUsage extension; empty when absent or unreadable."""
    for ext in cert["tbs_certificate"]["extensions"]:
        if ext["extn_id"].dotted != extension:
            continue
        try:
            items = ext["extn_value"].parsed
            return {(item[key] if key else item).dotted for item in items}
        except (ValueError, TypeError, KeyError, AttributeError):
            return set()
    return set()


def _only_digits(value: str | None, length: int) -> str | None:
    if not value:
        return None
    digits = "".join(_DIGITS.findall(value))
    return digits if len(digits) == length else None


def _registry_number(field: str | None, pattern: re.Pattern[str], directory: str | None, length: int) -> str | None:
    """A registry number (RNOKPP, EDRPOU): from the subject's field where it has the ETSI form (``pattern``), else
    the digits of the subject directory's attribute when there are exactly ``length`` of them."""
    if field and (m := pattern.match(field.upper())):
        return m.group(1)
    return _only_digits(directory, length)


def identity_from_certificate(cert: x509.Certificate) -> SignerIdentity:
    """Read the claimed identity; tolerant of missing or odd fields because it
    is also used for signatures we cannot verify (then it is all we show)."""
    try:
        subject: dict[str, Any] = dict(cert.subject.native)
    except (ValueError, TypeError):
        subject = {}
    sda = _subject_directory(cert)

    tax_number = _registry_number(_str(subject.get("serial_number")), _TIN, sda.get(OID_SDA_DRFO), 10)
    edrpou = _registry_number(_str(subject.get("organization_identifier")), _NTR, sda.get(OID_SDA_EDRPOU), 8)

    surname = _str(subject.get("surname"))
    given_name = _str(subject.get("given_name"))
    common_name = _str(subject.get("common_name"))
    name = common_name or " ".join(p for p in (surname, given_name) if p) or None
    organization = _str(subject.get("organization_name"))
    qualified, eseal = _qc_flags(cert)
    # A seal is declared by QcType; certificates without QC statements are a
    # seal when they name an organisation and no natural person at all.
    is_seal = eseal or (
        not qualified
        and tax_number is None
        and surname is None
        and given_name is None
        and organization is not None
        and edrpou is not None
    )

    validity = cert["tbs_certificate"]["validity"]
    valid_from: datetime | None
    valid_to: datetime | None
    try:
        valid_from = validity["not_before"].native
        valid_to = validity["not_after"].native
    except (ValueError, TypeError):
        valid_from = valid_to = None
    try:
        issuer = cert.issuer.human_friendly
        subject_text = cert.subject.human_friendly
    except (ValueError, TypeError):
        issuer = subject_text = "?"
    return SignerIdentity(
        name=name,
        surname=surname,
        given_name=given_name,
        title=_str(subject.get("title")),
        organization=organization,
        tax_number=tax_number,
        edrpou=edrpou,
        qualified=qualified,
        is_seal=is_seal,
        certificate_serial=format(cert.serial_number, "X"),
        certificate_issuer=issuer,
        certificate_subject=subject_text,
        valid_from=valid_from,
        valid_to=valid_to,
    )


def match_signer(identity: SignerIdentity | None, expected: ExpectedSigner | None) -> SignerMatch:
    """Compare the claimed identity with the application and contract.

    Order matters: a seal is reported as a seal (no person signed) before any
    number comparison; a wrong company is worse than a wrong person.
    """
    if expected is None:
        return SignerMatch.NOT_CHECKED
    if identity is None:
        return SignerMatch.UNKNOWN
    if identity.is_seal:
        return SignerMatch.SEAL
    if expected.edrpou:
        if identity.edrpou is None and identity.tax_number is None:
            return SignerMatch.UNKNOWN
        if identity.edrpou != expected.edrpou.strip():
            return SignerMatch.EDRPOU_MISMATCH
    wanted_person = [t.strip() for t in (expected.signatory_tax_number, expected.rnokpp) if t and t.strip()]
    if wanted_person:
        if identity.tax_number is None:
            return SignerMatch.UNKNOWN
        if identity.tax_number not in wanted_person:
            return SignerMatch.SIGNATORY_MISMATCH
    if not expected.edrpou and not wanted_person:
        return SignerMatch.NOT_CHECKED
    return SignerMatch.MATCH
