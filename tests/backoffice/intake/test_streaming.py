"""The spooler of big messages (``parsing._Spooler``): the same attachments as a whole parse, in bounded memory.

Each message of the corpus is parsed twice, once whole and once with every base64 body spooled (thresholds set to
0), and the results must be identical: the spooler may only move bodies out of the way, never change what the
message is. A big scan must be stored without the parser ever holding it as text.
"""

from __future__ import annotations

import hashlib
import os
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from backoffice.documents.storage import FolderStorage
from backoffice.intake import parsing
from backoffice.intake.limits import Limits
from tests.backoffice.intake import corpus

LIMITS = Limits(max_message_bytes=40 << 20, max_attachments=20, max_unpacked_bytes=100 << 20, max_nesting=3)
SCAN = corpus.tiny_pdf("big") + b"%" + os.urandom(300_000)

SHAPES: dict[str, Callable[[], bytes]] = {
    "outlook": lambda: corpus.outlook("Заява.pdf", SCAN),
    "thunderbird": lambda: corpus.thunderbird("Заява про приєднання.pdf", SCAN),
    "gmail photo": lambda: corpus.gmail("Фото.jpg", corpus.jpeg(200_000), content_type="image/jpeg"),
    "zip": lambda: corpus.with_attachments(
        [("application/zip", corpus.zip_of({"a.pdf": SCAN}), 'Content-Disposition: attachment; filename="d.zip"')]
    ),
    "forwarded": lambda: corpus.forwarded(corpus.outlook("Вкладене.pdf", SCAN)),
    "8-bit name": lambda: corpus.raw_8bit_name("Заява.pdf", SCAN),
    "yahoo cut name": lambda: corpus.yahoo_cut_name("Дуже довга назва файлу заяви.pdf", SCAN),
    "tnef": lambda: corpus.outlook_rich_text({"Заява.pdf": SCAN}),
    "uuencode part": lambda: corpus.x_uuencode_part("scan.pdf", SCAN),
    "uuencode in text": lambda: corpus.uuencode_in_text("scan.pdf", SCAN),
    "bounce": corpus.bounce,
    "auto-reply": corpus.auto_reply,
    "eai": lambda: corpus.eai(SCAN),
}


def _summary(parsed: parsing.Parsed) -> tuple[Any, ...]:
    signature = parsed.email_signature
    return (
        parsed.envelope,
        [(a.filename, a.stored.sha256, a.type, a.origin, a.declared_type) for a in parsed.attachments],
        [(i.code, i.detail) for i in (parsed.budget.issues if parsed.budget else [])],
        parsed.charsets,
        signature and (signature.signature.sha256, signature.content and signature.content.sha256),
    )


def _both(path: Path, storage: FolderStorage, monkeypatch: pytest.MonkeyPatch) -> tuple[tuple[Any, ...], int]:
    whole = _summary(parsing.parse(path, storage, LIMITS))
    monkeypatch.setattr(parsing, "SPOOL_MESSAGE_BYTES", 0)
    monkeypatch.setattr(parsing, "SPOOL_BODY_BYTES", 0)
    spooled = parsing.parse(path, storage, LIMITS)
    monkeypatch.undo()
    assert _summary(spooled) == whole
    return whole, len(spooled.spools.bodies) if spooled.spools else 0


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_spooled_parse_is_the_whole_parse(shape: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "m.eml"
    path.write_bytes(SHAPES[shape]())
    _both(path, FolderStorage(tmp_path / "docs"), monkeypatch)


def test_lf_endings_and_a_bare_cr_keep_the_message_as_it_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    storage = FolderStorage(tmp_path / "docs")
    lf = tmp_path / "lf.eml"
    lf.write_bytes(corpus.outlook("a.pdf", SCAN).replace(b"\r\n", b"\n"))
    assert _both(lf, storage, monkeypatch)[1] == 1
    # A carriage return alone inside a body: the parser would split the line there, so nothing is spooled.
    cr = tmp_path / "cr.eml"
    raw = corpus.outlook("a.pdf", SCAN)
    head, _, body = raw.partition(b"\r\n\r\n")
    cr.write_bytes(head + b"\r\n\r\n" + body.replace(b"\r\n", b"\r\n\r", 1))
    _both(cr, storage, monkeypatch)


def test_a_marker_header_from_the_sender_names_nothing(tmp_path: Path) -> None:
    """The header that names a spooled body has a random name per parse: one a sender writes is just a header."""
    storage = FolderStorage(tmp_path / "docs")
    other = storage.put_bytes(b"someone else's document")
    raw = corpus.outlook("a.pdf", SCAN).replace(
        b"Content-Transfer-Encoding: base64", b"Content-Transfer-Encoding: base64\r\nX-Backoffice-Spooled-00: 0", 1
    )
    path = tmp_path / "m.eml"
    path.write_bytes(raw)
    parsed = parsing.parse(path, storage, LIMITS)
    assert other.sha256 not in {a.stored.sha256 for a in parsed.attachments}


def test_a_big_scan_is_stored_without_being_held_as_text(tmp_path: Path) -> None:
    scan = corpus.tiny_pdf("big") + b"%" + os.urandom(12 * 1024 * 1024)
    path = tmp_path / "big.eml"
    path.write_bytes(corpus.outlook("Скан.pdf", scan))
    storage = FolderStorage(tmp_path / "docs")
    tracemalloc.start()
    try:
        parsed = parsing.parse(path, storage, LIMITS)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [a.stored.sha256 for a in parsed.attachments] == [hashlib.sha256(scan).hexdigest()]
    assert parsed.spools is not None and len(parsed.spools.bodies) == 1
    # Whole, the 16 MB of base64 cost over 40 MB of lines and their join; spooled, a few slices of a megabyte.
    assert peak < 8 * 1024 * 1024, peak
