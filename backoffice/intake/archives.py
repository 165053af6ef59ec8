"""Opening .zip archives and Outlook's winmail.dat, without letting one of them fill the disk or the memory.

A zip bomb lies in its headers about sizes; so sizes are counted on the bytes actually decompressed, against
the budget of the whole message, and decompression stops the moment the budget is spent. Nesting is bounded,
encrypted entries are refused, and names written by Windows in the OEM code page (cp866 on Ukrainian and
Russian systems, without the UTF-8 flag) come out in Cyrillic. A disk that fails while entries are written is
not the archive's fault: that error is raised, never noted as an unreadable archive.
"""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from backoffice.documents.storage import CHUNK, Storage, Stored, TooLarge
from backoffice.intake.filenames import decode_bytes, safe_filename
from backoffice.intake.limits import Budget
from backoffice.intake.outages import is_disk_error

_JUNK = ("__MACOSX/", ".DS_Store", "Thumbs.db", "desktop.ini")
#: The first bytes of every TNEF stream (winmail.dat), little-endian 0x223E9F78.
TNEF_SIGNATURE = b"\x78\x9f\x3e\x22"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Entry:
    filename: str
    stored: Stored


def unpack(path: Path, archive_name: str, storage: Storage, budget: Budget) -> Iterator[Entry]:
    """Each file of the archive, stored; problems of the archive are noted in ``budget``.

    Only an ``OSError`` of the disk itself (see :func:`is_disk_error`) is raised.
    """
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        if is_disk_error(exc):
            raise
        budget.note("unreadable_archive", f"{archive_name}: {exc}")
        return
    with zf:
        for info in zf.infolist():
            if info.is_dir() or any(part in info.filename for part in _JUNK):
                continue
            name = entry_name(info)
            if info.flag_bits & 0x1:
                budget.note("encrypted_archive", f"{archive_name}: {name} is password-protected")
                continue
            if not budget.take_file(name):
                return
            if budget.unpack_left <= 0:
                budget.note("archive_too_large", f"{archive_name}: unpacks to more than the limit")
                return
            try:
                with zf.open(info) as src, storage.writer(limit=budget.unpack_left) as out:
                    while chunk := src.read(CHUNK):
                        out.write(chunk)
            except TooLarge:
                budget.unpacked = budget.limits.max_unpacked_bytes
                budget.note("archive_too_large", f"{archive_name}: unpacks to more than the limit")
                return
            except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError) as exc:
                if is_disk_error(exc):
                    raise
                budget.note("unreadable_archive", f"{archive_name}: {name}: {exc}")
                continue
            budget.unpacked += out.stored.size
            yield Entry(safe_filename(name.rsplit("/", 1)[-1]), out.stored)


def entry_name(info: zipfile.ZipInfo) -> str:
    """The name as the archiver meant it: UTF-8 when flagged, else the DOS code page the archiver used."""
    name = info.filename
    if info.flag_bits & 0x800:
        return name
    try:
        raw = name.encode("cp437")
    except UnicodeEncodeError:
        return name
    for charset in ("utf-8", "cp866"):
        try:
            return raw.decode(charset)
        except UnicodeDecodeError:
            continue
    return name


def is_tnef(head: bytes) -> bool:
    return head.startswith(TNEF_SIGNATURE)


def unpack_tnef(path: Path, container_name: str, storage: Storage, budget: Budget) -> Iterator[Entry]:
    """Each file inside an Outlook winmail.dat (TNEF, what Outlook sends with "rich text" mail), stored.

    tnefparse reads the structure. A TNEF file is held in memory to be parsed, but it is bounded by the
    message's own size limit, which has been checked before this. File names are read from the raw bytes in the
    code page the file declares: tnefparse would read them as UTF-8, and Outlook writes the system's ANSI code
    page.
    """
    from tnefparse import TNEF

    try:
        tnef = TNEF(path.read_bytes())
    except Exception as exc:  # tnefparse raises assorted errors on damaged input
        budget.note("unreadable_archive", f"{container_name}: {type(exc).__name__}: {exc}")
        return
    if not tnef.attachments:
        # Rich text without files, or a file cut short (tnefparse stops quietly): either way nothing to take.
        budget.note("empty_container", f"{container_name}: no files inside")
        return
    for index, attachment in enumerate(tnef.attachments, 1):
        data = attachment.data if isinstance(attachment.data, bytes) else b""
        name = _tnef_name(attachment, getattr(tnef, "codepage", None)) or f"attachment-{index}.bin"
        if not budget.take_file(name):
            return
        if len(data) > budget.unpack_left:
            budget.unpacked = budget.limits.max_unpacked_bytes
            budget.note("archive_too_large", f"{container_name}: unpacks to more than the limit")
            return
        budget.unpacked += len(data)
        yield Entry(safe_filename(name), storage.put_bytes(data))


def _tnef_name(attachment: object, codepage: str | None) -> str:
    raw = getattr(attachment, "_name", b"")  # the attAttachTitle bytes as written
    try:
        long_name = attachment.long_filename()  # type: ignore[attr-defined]
    except (UnicodeDecodeError, AttributeError, ValueError):
        long_name = None
    if isinstance(long_name, str) and long_name.strip("\x00"):
        return long_name.strip("\x00")
    if isinstance(raw, bytes):
        return decode_bytes(raw.rstrip(b"\x00"), None, (codepage,) if codepage else ())
    return str(raw).strip("\x00")
