"""ASiC-E / ASiC-S containers (ETSI EN 319 162-1) with CAdES signatures.

Why check more than the CMS: in ASiC-E the CAdES signature covers only the
``ASiCManifest`` XML; the data files are bound to it through the digests the
manifest lists.  A container passes only if the manifest signature is sound,
every listed digest matches, and no data file sits in the container outside
every manifest (a file slipped in after signing).

XAdES signatures (``signatures*.xml``) are recognised and reported as an
unsupported format with the claimed signer, never as a pass: verifying XML
signatures needs a canonicalisation stack this project does not carry yet.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, replace
from xml.etree import ElementTree

from asn1crypto import x509

from signatures.cms import broken_report, load_signed_data, split_signers, validate_cms_signer
from signatures.context import Session
from signatures.dstu import gost34311
from signatures.identity import ExpectedSigner, identity_from_certificate, match_signer
from signatures.policy import VerificationPolicy
from signatures.report import Indication, Integrity, SignatureReport, SignedFile

MIME_ASIC_E = "application/vnd.etsi.asic-e+zip"
MIME_ASIC_S = "application/vnd.etsi.asic-s+zip"
_NS_ASIC = "{http://uri.etsi.org/02918/v1.2.1#}"
_NS_DS = "{http://www.w3.org/2000/09/xmldsig#}"
_MAX_ENTRIES = 1000
_DIGESTS = {
    "http://www.w3.org/2000/09/xmldsig#sha1": "sha1",
    "http://www.w3.org/2001/04/xmldsig-more#sha224": "sha224",
    "http://www.w3.org/2001/04/xmlenc#sha256": "sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384": "sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512": "sha512",
    "http://www.w3.org/2007/05/xmldsig-more#sha3-256": "sha3_256",
    "http://www.w3.org/2007/05/xmldsig-more#sha3-512": "sha3_512",
}
#: GOST 34.311, by the URI Ukrainian XMLDSig/XAdES software writes. The URI does not say which S-box, so the
#: standard's (ДКЕ No. 1) is assumed, and a mismatch leaves integrity unknown rather than broken (see
#: :func:`_check_references`).
GOST34311_URI = "http://www.w3.org/2001/04/xmldsig-more#gost34311"
_SIG_P7S = re.compile(r"^META-INF/.*signature.*\.p7s$", re.IGNORECASE)
_SIG_XML = re.compile(r"^META-INF/.*signatures.*\.xml$", re.IGNORECASE)
_MANIFEST = re.compile(r"^META-INF/ASiCManifest.*\.xml$", re.IGNORECASE)


class ContainerError(ValueError):
    """The container is not a readable ASiC zip (or breaks a bound)."""


def is_zip(data: bytes) -> bool:
    """ZIP local-file-header magic."""
    return data[:4] == b"PK\x03\x04"


@dataclass(frozen=True)
class _Reference:
    uri: str
    algorithm: str | None
    digest: bytes | None
    mime: str | None


@dataclass(frozen=True)
class _Manifest:
    name: str
    raw: bytes
    sig_uri: str | None
    references: tuple[_Reference, ...]


def parse_xml(raw: bytes) -> ElementTree.Element:
    """Parse XML that must not carry a DTD (manifests, signatures, trusted lists)."""
    # No DTDs at all: entity tricks have no place in a signature manifest.
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise ContainerError("XML with a DTD is not accepted")
    try:
        # DTDs are refused above and expat (>= 2.4) bounds entity amplification.
        return ElementTree.fromstring(raw)  # noqa: S314
    except ElementTree.ParseError as exc:
        raise ContainerError(f"unreadable XML: {exc}") from exc


def _b64(text: str | None) -> bytes | None:
    if not text:
        return None
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        return None


def _parse_manifest(name: str, raw: bytes) -> _Manifest:
    root = parse_xml(raw)
    sig_ref = root.find(f"{_NS_ASIC}SigReference")
    refs = []
    for ref in root.findall(f"{_NS_ASIC}DataObjectReference"):
        method = ref.find(f"{_NS_DS}DigestMethod")
        value = ref.find(f"{_NS_DS}DigestValue")
        refs.append(
            _Reference(
                uri=ref.get("URI", ""),
                algorithm=method.get("Algorithm") if method is not None else None,
                digest=_b64(value.text if value is not None else None),
                mime=ref.get("MimeType"),
            )
        )
    return _Manifest(name, raw, sig_ref.get("URI") if sig_ref is not None else None, tuple(refs))


def _read_entries(data: bytes, policy: VerificationPolicy) -> tuple[str | None, dict[str, bytes]]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise ContainerError(f"not a readable zip: {exc}") from exc
    infos = [i for i in zf.infolist() if not i.is_dir()]
    if len(infos) > _MAX_ENTRIES:
        raise ContainerError(f"{len(infos)} entries > {_MAX_ENTRIES}")
    if sum(i.file_size for i in infos) > policy.max_file_bytes:
        raise ContainerError("container expands beyond the file size limit")
    entries: dict[str, bytes] = {}
    try:
        for info in infos:
            name = info.filename
            if name.startswith("/") or ".." in name.split("/"):
                raise ContainerError(f"unsafe entry name {name!r}")
            entries[name] = zf.read(info)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
        raise ContainerError(f"cannot read container entry: {exc}") from exc
    mimetype = entries.pop("mimetype", None)
    return (mimetype.decode("ascii", "replace").strip() if mimetype is not None else None), entries


def _resolve(uri: str) -> str:
    """Manifest URIs are relative to the container root (percent-encoding aside)."""
    from urllib.parse import unquote

    return posixpath.normpath(unquote(uri)).lstrip("/")


def _check_references(
    refs: tuple[_Reference, ...], files: dict[str, bytes]
) -> tuple[Integrity, str | None, str | None]:
    """Recompute every listed digest.  A mismatch or a missing file is
    ``broken``; a digest method we do not implement leaves integrity
    ``unknown`` (after the other references are still checked)."""
    unchecked: list[str] = []
    for ref in refs:
        name = _resolve(ref.uri)
        content = files.get(name)
        if content is None:
            return Integrity.BROKEN, "CONTAINER_DIGEST_MISMATCH", f"{name}: listed but missing"
        if ref.digest is None:
            return Integrity.BROKEN, "CONTAINER_DIGEST_MISMATCH", f"{name}: no digest value"
        if ref.algorithm == GOST34311_URI:
            if gost34311(content) != ref.digest:
                # Another S-box than the standard's would give another digest: a changed file cannot be told from
                # a manifest made with another S-box, so this is unknown, never "broken" on a guess.
                unchecked.append(f"{name}: GOST 34.311 digest does not match with the standard S-box (ДКЕ No. 1)")
            continue
        algo = _DIGESTS.get(ref.algorithm or "")
        if algo is None:
            unchecked.append(f"{name}: digest method {ref.algorithm}")
            continue
        if hashlib.new(algo, content).digest() != ref.digest:
            return Integrity.BROKEN, "CONTAINER_DIGEST_MISMATCH", f"{name}: digest mismatch"
    if unchecked:
        return Integrity.UNKNOWN, "UNSUPPORTED_SIGNATURE_FORMAT", "; ".join(unchecked)
    return Integrity.INTACT, None, None


def _degrade(report: SignatureReport, integrity: Integrity, code: str, details: str | None) -> SignatureReport:
    """Apply a container-level integrity finding to a signature report."""
    if integrity is Integrity.INTACT or report.integrity is Integrity.BROKEN:
        return report
    if integrity is Integrity.UNKNOWN:
        # A file digest we could not check: never a pass, never worse than the signature's own verdict.
        if report.indication is Indication.TOTAL_FAILED or report.integrity is Integrity.MODIFIED:
            return report
        return replace(
            report,
            indication=Indication.INDETERMINATE,
            sub_indication="FORMAT_FAILURE",
            integrity=Integrity.UNKNOWN,
            message_code=code,
            details=details,
        )
    return replace(
        report,
        indication=Indication.TOTAL_FAILED,
        sub_indication="HASH_FAILURE" if integrity is Integrity.BROKEN else "FORMAT_FAILURE",
        integrity=integrity,
        message_code=code,
        details=details,
    )


def _xades_reports(
    name: str, raw: bytes, files: dict[str, bytes], fmt: str, expected: ExpectedSigner | None
) -> list[SignatureReport]:
    try:
        root = parse_xml(raw)
    except ContainerError as exc:
        return [broken_report(fmt, name, exc)]
    out = []
    for sig in root.iter(f"{_NS_DS}Signature"):
        identity = None
        cert_el = sig.find(f".//{_NS_DS}X509Certificate")
        cert_der = _b64(cert_el.text if cert_el is not None else None)
        if cert_der:
            try:
                identity = identity_from_certificate(x509.Certificate.load(cert_der))
            except (ValueError, TypeError):
                identity = None
        refs = []
        for ref in sig.iter(f"{_NS_DS}Reference"):
            uri = ref.get("URI", "")
            if not uri or uri.startswith("#"):
                continue
            method = ref.find(f"{_NS_DS}DigestMethod")
            value = ref.find(f"{_NS_DS}DigestValue")
            refs.append(
                _Reference(
                    uri,
                    method.get("Algorithm") if method is not None else None,
                    _b64(value.text if value is not None else None),
                    None,
                )
            )
        integrity, code, details = _check_references(tuple(refs), files)
        if integrity is Integrity.INTACT:
            integrity = Integrity.UNKNOWN  # the file digests match, but nobody checked the signature over them
        out.append(
            SignatureReport(
                format=fmt,
                kind="signature",
                field_name=name,
                indication=Indication.TOTAL_FAILED if integrity is Integrity.BROKEN else Indication.INDETERMINATE,
                sub_indication="HASH_FAILURE" if integrity is Integrity.BROKEN else "FORMAT_FAILURE",
                integrity=integrity,
                message_code=code or "UNSUPPORTED_SIGNATURE_FORMAT",
                details=details or "XAdES signature value is not verified by this system",
                signer=identity,
                signer_match=match_signer(identity, expected),
            )
        )
    return out or [broken_report(fmt, name, ContainerError("no ds:Signature element"))]


def verify_asic(
    data: bytes, *, session: Session, expected: ExpectedSigner | None
) -> tuple[str, tuple[SignatureReport, ...], tuple[SignedFile, ...]]:
    """Verify every signature in an ASiC container.

    Returns (format, reports, evidence); evidence is the container's data files.
    Raises :class:`ContainerError` for an unreadable container.
    """
    mimetype, entries = _read_entries(data, session.policy)
    files = {n: b for n, b in entries.items() if not n.startswith("META-INF/")}
    meta = {n: b for n, b in entries.items() if n.startswith("META-INF/")}
    manifests = [_parse_manifest(n, b) for n, b in sorted(meta.items()) if _MANIFEST.match(n)]
    if mimetype == MIME_ASIC_S or (mimetype is None and not manifests and len(files) == 1):
        fmt = "ASiC-S"
    elif mimetype == MIME_ASIC_E or mimetype is None:
        fmt = "ASiC-E"
    else:
        raise ContainerError(f"unknown container mimetype {mimetype!r}")
    evidence = tuple(SignedFile(n, b) for n, b in sorted(files.items()))
    reports: list[SignatureReport] = []

    for name, raw in sorted(meta.items()):
        if _SIG_XML.match(name):
            reports.extend(_xades_reports(name, raw, files, f"{fmt}-XAdES", expected))
            continue
        if not _SIG_P7S.match(name):
            continue
        sig_fmt = f"{fmt}-CAdES"
        try:
            signed_data = load_signed_data(raw)
        except ValueError as exc:
            reports.append(broken_report(sig_fmt, name, exc))
            continue
        if fmt == "ASiC-S":
            if len(files) != 1:
                reports.append(broken_report(sig_fmt, name, ContainerError("ASiC-S must hold one data file")))
                continue
            covered = next(iter(files.values()))
            for sd in split_signers(signed_data):
                reports.append(
                    validate_cms_signer(
                        sd,
                        covered,
                        session=session,
                        expected=expected,
                        fmt=sig_fmt,
                        field_name=name,
                        signed_files=evidence,
                    )
                )
            continue
        manifest = next((m for m in manifests if m.sig_uri and _resolve(m.sig_uri) == name), None)
        if manifest is None:
            reports.append(broken_report(sig_fmt, name, ContainerError("no ASiCManifest refers to this signature")))
            continue
        integrity, code, details = _check_references(manifest.references, files)
        listed = {_resolve(r.uri) for r in manifest.references}
        if integrity is Integrity.INTACT and set(files) - listed:
            integrity, code = Integrity.MODIFIED, "CONTAINER_FILE_NOT_SIGNED"
            details = "not covered: " + ", ".join(sorted(set(files) - listed))
        signed = tuple(f for f in evidence if f.name in listed)
        for sd in split_signers(signed_data):
            report = validate_cms_signer(
                sd,
                manifest.raw,
                session=session,
                expected=expected,
                fmt=sig_fmt,
                field_name=name,
                signed_files=signed,
            )
            reports.append(_degrade(report, integrity, code or "", details))
    return fmt, tuple(reports), evidence
