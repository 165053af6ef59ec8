"""What a received file is, read from its bytes (a customer's file name and content type are hints only).

The classifier decides the path of an application: a document that carries a qualified signature (embedded
PAdES, detached or enveloping CAdES, an ASiC container) goes to the signature verifier; scans (PDF, JPEG, PNG,
TIFF) go to an operator's eye; executables never reach an operator at all. It only detects that a signature
is present; whether it is valid is the verifier's job (``backoffice.documents.verification``).
"""

from __future__ import annotations

import base64
import re
import zipfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from asn1crypto import cms

from backoffice.applications.models import SIGNED_KINDS, DocumentKind

CHUNK = 1024 * 1024
OVERLAP = 64
_SIGNED_DATA_OID = bytes.fromhex("06092a864886f70d010702")
EXECUTABLE_SUFFIXES = frozenset(
    {
        ".exe",
        ".com",
        ".scr",
        ".pif",
        ".bat",
        ".cmd",
        ".js",
        ".jse",
        ".vbs",
        ".vbe",
        ".wsf",
        ".wsh",
        ".ps1",
        ".psm1",
        ".msi",
        ".msp",
        ".jar",
        ".lnk",
        ".hta",
        ".cpl",
        ".dll",
        ".reg",
        ".sh",
        ".app",
        ".apk",
        ".iso",
        ".img",
        ".vhd",
        ".vhdx",
        ".docm",
        ".xlsm",
        ".pptm",
        ".scf",
        ".inf",
    }
)
ASIC_SUFFIXES = frozenset({".asice", ".asics", ".sce", ".scs", ".bdoc"})
SIGNATURE_SUFFIXES = frozenset({".p7s", ".p7m", ".p7b", ".sig"})
_PDF_SIGNATURE = re.compile(rb"/ByteRange\s*\[")
_PDF_SIG_DICT = re.compile(rb"/Type\s*/Sig\b|/SubFilter\s*/(?:adbe\.pkcs7|ETSI\.CAdES|ETSI\.RFC3161)")
_PDF_FORM = re.compile(rb"/AcroForm\b")


class Family(StrEnum):
    PDF = "pdf"
    IMAGE = "image"
    CMS = "cms"
    ASIC = "asic"
    ZIP = "zip"
    EXECUTABLE = "executable"
    OTHER = "other"


@dataclass(frozen=True)
class FileType:
    family: Family
    media_type: str
    #: A signature is present (not: valid).
    signed: bool = False
    #: A CMS signature without the signed content inside it.
    detached: bool = False
    #: A PDF with form fields (possibly the product's own fillable form).
    has_form: bool = False

    @property
    def kind(self) -> DocumentKind:
        if self.family == Family.PDF:
            return DocumentKind.SIGNED_PDF if self.signed else DocumentKind.SCAN
        if self.family == Family.IMAGE:
            return DocumentKind.SCAN
        if self.family == Family.CMS:
            return DocumentKind.DETACHED_SIGNATURE if self.detached else DocumentKind.CONTAINER
        if self.family == Family.ASIC:
            return DocumentKind.CONTAINER if self.signed else DocumentKind.OTHER
        return DocumentKind.OTHER


#: Kinds an application can be opened with (the rest are kept, but a message of only those is quarantined).
APPLICATION_KINDS = SIGNED_KINDS | {DocumentKind.SCAN}


def sniff(path: Path, filename: str = "") -> FileType:
    suffix = Path(filename.lower()).suffix
    with path.open("rb") as fh:
        head = fh.read(4096)
    if head.startswith((b"MZ", b"\x7fELF", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"#!")):
        return FileType(Family.EXECUTABLE, "application/octet-stream")
    if b"%PDF-" in head[:1024]:
        if suffix in EXECUTABLE_SUFFIXES:
            return FileType(Family.EXECUTABLE, "application/octet-stream")
        signed, has_form = _scan_pdf(path)
        return FileType(Family.PDF, "application/pdf", signed=signed, has_form=has_form)
    image = _image_type(head)
    if image:
        return FileType(Family.IMAGE, image)
    if _looks_like_cms(head):
        return FileType(Family.CMS, "application/pkcs7-signature", signed=True, detached=_is_detached(path))
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _zip_type(path, suffix)
    if suffix in EXECUTABLE_SUFFIXES:
        return FileType(Family.EXECUTABLE, "application/octet-stream")
    return FileType(Family.OTHER, "application/octet-stream")


def _image_type(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "image/tiff"
    return None


def _looks_like_cms(head: bytes) -> bool:
    stripped = head.lstrip()
    return (head[:1] == b"\x30" and _SIGNED_DATA_OID in head[:48]) or stripped.startswith(
        (b"-----BEGIN PKCS7", b"-----BEGIN CMS", b"-----BEGIN SIGNED")
    )


def _is_detached(path: Path) -> bool:
    """A CMS SignedData without encapsulated content signs a file that travels beside it."""
    data = path.read_bytes()
    if data.lstrip().startswith(b"-----BEGIN"):
        body = b"".join(line for line in data.splitlines() if line and not line.startswith(b"-----"))
        try:
            data = base64.b64decode(body)
        except ValueError:
            return False
    try:
        info = cms.ContentInfo.load(data)
        content = info["content"]["encap_content_info"]["content"]
        return content.native is None
    except (ValueError, TypeError, KeyError):
        return False


def _scan_pdf(path: Path) -> tuple[bool, bool]:
    """Stream through the file once looking for a signature dictionary and a form, never loading it whole."""
    byte_range = sig_dict = form = False
    tail = b""
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            window = tail + chunk
            byte_range = byte_range or bool(_PDF_SIGNATURE.search(window))
            sig_dict = sig_dict or bool(_PDF_SIG_DICT.search(window))
            form = form or bool(_PDF_FORM.search(window))
            tail = window[-OVERLAP:]
    return byte_range and sig_dict, form


def _zip_type(path: Path, suffix: str) -> FileType:
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            mimetype = ""
            if names and names[0] == "mimetype":
                info = zf.getinfo("mimetype")
                if info.file_size < 200:
                    mimetype = zf.read(info).decode("ascii", "replace").strip()
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        return FileType(Family.OTHER, "application/zip")
    signed = any(n.upper().startswith("META-INF/") and "SIGNATURE" in n.upper() for n in names)
    if mimetype.startswith("application/vnd.etsi.asic") or suffix in ASIC_SUFFIXES:
        return FileType(Family.ASIC, mimetype or "application/vnd.etsi.asic-e+zip", signed=signed)
    if suffix in {".docx", ".xlsx", ".pptx", ".odt", ".ods"}:
        return FileType(Family.OTHER, "application/octet-stream")
    return FileType(Family.ZIP, "application/zip")
