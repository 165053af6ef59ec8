"""Opening .zip archives customers send, without letting one of them fill the disk or the memory.

A zip bomb lies in its headers about sizes; so sizes are counted on the bytes actually decompressed, against
the budget of the whole message, and decompression stops the moment the budget is spent. Nesting is bounded,
encrypted entries are refused, and names written by Windows in the OEM code page (cp866 on Ukrainian and
Russian systems, without the UTF-8 flag) come out in Cyrillic. A disk that fails while entries are written is
not the archive's fault: that error is raised, never noted as an unreadable archive.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from backoffice.documents.storage import CHUNK, Storage, Stored, TooLarge
from backoffice.intake.filenames import safe_filename
from backoffice.intake.limits import Budget
from backoffice.intake.outages import is_disk_error

_JUNK = ("__MACOSX/", ".DS_Store", "Thumbs.db", "desktop.ini")


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
