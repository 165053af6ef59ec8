"""Trust material for Ukrainian qualified signatures: a certificate bundle or the trusted list, into a folder.

Why: the central certification authority (ЦЗО, czo.gov.ua) publishes the CA
certificates of every qualified provider as a PKCS#7 bundle (``.p7b``) and as
a trusted list in the ETSI TS 119 612 XML format.  An administrator imports
one of them into the folder ``[signatures] trust_roots`` names; every
certificate lands there as ``<sha256>.cer`` (DER), so re-importing a newer
list adds what is new and never duplicates.

What the import does not do: verify the trusted list's XML signature (this
project has no XML-signature stack).  The file must come from czo.gov.ua over
HTTPS, fetched by the administrator; that choice is the trust decision.  From
the XML only services of type ``CA/QC`` whose current status is ``granted``
are taken: a withdrawn provider's CA does not become a root.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from pathlib import Path

from signatures.asic import ContainerError, parse_xml
from signatures.policy import PolicyError, certificates_from_bytes, check_certificate

_TSL = "{http://uri.etsi.org/02231/v2#}"
CA_QC = "http://uri.etsi.org/TrstSvc/Svctype/CA/QC"
GRANTED = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/granted"


def trusted_list_certificates(raw: bytes) -> tuple[bytes, ...]:
    """DER certificates of the granted CA/QC services of an ETSI TS 119 612 trusted list."""
    try:
        root = parse_xml(raw)
    except ContainerError as exc:
        raise PolicyError(f"not a readable trusted list: {exc}") from exc
    out: list[bytes] = []
    for info in root.iter(f"{_TSL}ServiceInformation"):
        kind = (info.findtext(f"{_TSL}ServiceTypeIdentifier") or "").strip()
        status = (info.findtext(f"{_TSL}ServiceStatus") or "").strip()
        if kind != CA_QC or status != GRANTED:
            continue
        for element in info.iter(f"{_TSL}X509Certificate"):
            try:
                der = base64.b64decode("".join((element.text or "").split()), validate=True)
                check_certificate(der)
            except (binascii.Error, ValueError, TypeError, KeyError) as exc:
                raise PolicyError(f"unreadable certificate in the trusted list: {exc}") from exc
            out.append(der)
    if not out:
        raise PolicyError("the trusted list names no granted CA/QC service")
    return tuple(out)


def read_trust_material(path: Path) -> tuple[bytes, ...]:
    """Certificates from a ``.p7b`` / PEM / DER bundle or a trusted-list XML file."""
    data = path.read_bytes()
    if data.lstrip().startswith(b"<"):
        return trusted_list_certificates(data)
    return certificates_from_bytes(data, path)


def import_certificates(ders: tuple[bytes, ...], folder: Path) -> list[Path]:
    """Write each certificate as ``<sha256>.cer`` into ``folder``; return the new files."""
    folder.mkdir(parents=True, exist_ok=True)
    added: list[Path] = []
    for der in dict.fromkeys(ders):
        target = folder / f"{hashlib.sha256(der).hexdigest()}.cer"
        if not target.exists():
            target.write_bytes(der)
            added.append(target)
    return added
