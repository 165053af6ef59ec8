"""The spooler of big messages (``parsing._Spooler``): the same attachments as a whole parse, in bounded memory.

Each message of the corpus is parsed twice, once whole and once with every base64 body spooled (thresholds set to
0), and the results must be identical: the spooler may only move bodies out of the way, never change what the
message is. A big scan must be stored without the parser ever holding it as text.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
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
    """The message parsed whole and with every base64 body taken out (any other setting stays as the test set
    it); the summary of both, which must be equal, and how many bodies were taken out."""
    thresholds = parsing.SPOOL_MESSAGE_BYTES, parsing.SPOOL_BODY_BYTES
    monkeypatch.setattr(parsing, "SPOOL_MESSAGE_BYTES", 1 << 62)  # no message is spooled
    whole = parsing.parse(path, storage, LIMITS)
    assert whole.spools is None
    monkeypatch.setattr(parsing, "SPOOL_MESSAGE_BYTES", 0)
    monkeypatch.setattr(parsing, "SPOOL_BODY_BYTES", 0)
    spooled = parsing.parse(path, storage, LIMITS)
    monkeypatch.setattr(parsing, "SPOOL_MESSAGE_BYTES", thresholds[0])
    monkeypatch.setattr(parsing, "SPOOL_BODY_BYTES", thresholds[1])
    assert _summary(spooled) == _summary(whole)
    return _summary(whole), len(spooled.spools.bodies) if spooled.spools else 0


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


def _attachment_body(raw: bytes) -> int:
    """Where the base64 body of the message's attachment begins."""
    return raw.index(b"\r\n\r\n", raw.index(b"Content-Disposition: attachment")) + 4


def _lines_inserted(raw: bytes, after_line: int, extra: bytes) -> bytes:
    """``raw`` with the line ``extra`` put in after the ``after_line``-th line of its attachment's base64 body."""
    start = _attachment_body(raw)
    lines = raw[start:].split(b"\r\n")
    return raw[:start] + b"\r\n".join([*lines[:after_line], extra, *lines[after_line:]])


def _nested(data: bytes) -> bytes:
    """The attachment in a multipart/related inside a multipart/mixed: its body ends at the inner delimiter."""
    related, body = corpus.multipart(
        "related",
        [corpus.text_part(), corpus.part(data, 'application/pdf; name="a.pdf"', 'Content-Disposition: attachment')],
    )
    mixed, outer = corpus.multipart("mixed", [f"Content-Type: {related}\r\n\r\n{body}"])
    return corpus.message(corpus.headers(), mixed, outer)


def _boundaries(raw: bytes) -> list[bytes]:
    return [b"--" + found.split(b'"', 1)[0] for found in raw.split(b'boundary="')[1:]]


PLAIN = corpus.outlook("a.pdf", SCAN)
NESTED = _nested(SCAN)
#: The message, the line put into its attachment's body (None: the body as it is, ended by its delimiter) and
#: how many bodies are taken out: the line must end the body where the parser ends it, or keep it in the message.
EDGES: dict[str, tuple[bytes, bytes | None, int]] = {
    "the delimiter that ends the body": (PLAIN, None, 1),
    "the inner delimiter that ends the body": (NESTED, None, 1),
    "a line that is not a delimiter": (PLAIN, b"--not-the-boundary", 1),
    "the boundary with more after it": (PLAIN, _boundaries(PLAIN)[0] + b"x", 1),
    "an empty line, then a dash line": (PLAIN, b"\r\n--x", 1),
    "the outer boundary, cut short": (NESTED, _boundaries(NESTED)[0][:-1], 1),
    "a carriage return alone": (PLAIN, b"AAAA\rAAAA", 0),
}


@pytest.mark.parametrize("edge", [-2, -1, 0, 1, 2])
@pytest.mark.parametrize("case", sorted(EDGES))
def test_a_body_ends_where_the_parser_ends_it_wherever_the_search_windows_fall(
    case: str, edge: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A body is searched for its end a window at a time. The byte that decides where it ends (the line feed
    before a line of "--", or a carriage return alone) falls two bytes before a window's edge, one before, on
    it, and one and two after; the attachment is always the one the parser alone finds."""
    message, line, spooled = EDGES[case]
    raw = message if line is None else _lines_inserted(message, 3000, line)
    start = _attachment_body(raw)
    if line is None or line.startswith((b"--", b"\r\n")):
        decisive = raw.index(b"\n--", start if line is None else raw.index(b"\r\n" + line, start))
    else:
        decisive = raw.index(line, start) + line.index(b"\r")
    monkeypatch.setattr(parsing, "SCAN_WINDOW", decisive - start - edge)
    path = tmp_path / "m.eml"
    path.write_bytes(raw)
    whole, bodies = _both(path, FolderStorage(tmp_path / "docs"), monkeypatch)
    assert [a[0] for a in whole[1]] == ["a.pdf"]
    assert bodies == spooled


def test_usual_scans_are_spooled_at_the_product_s_thresholds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """At the thresholds the product runs with, a usual scan's body is taken out of the parser's way, with the
    result of the parser alone."""
    path = tmp_path / "m.eml"
    path.write_bytes(corpus.thunderbird("Заява.pdf", corpus.tiny_pdf("s") + b"%" + os.urandom(60_000)))
    spooled = parsing.parse(path, FolderStorage(tmp_path / "a"), LIMITS)
    assert spooled.spools is not None and len(spooled.spools.bodies) == 1
    monkeypatch.setattr(parsing, "SPOOL_MESSAGE_BYTES", 1 << 62)
    whole = parsing.parse(path, FolderStorage(tmp_path / "b"), LIMITS)
    assert whole.spools is None
    assert _summary(whole) == _summary(spooled)


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


def test_a_big_scan_is_never_resident_in_the_process(tmp_path: Path) -> None:
    """The body is searched through a mapping of the stored message, whose pages would count in the process's
    resident memory as they are read: each searched window is let go. A fresh process, so that its peak is the
    parse's own."""
    scan = corpus.tiny_pdf("big") + b"%" + os.urandom(20 * 1024 * 1024)
    path = tmp_path / "big.eml"
    path.write_bytes(corpus.outlook("Скан.pdf", scan))
    probe = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from backoffice.documents.storage import FolderStorage
        from backoffice.intake import parsing
        from backoffice.intake.limits import Limits

        def peak_kb():
            status = Path("/proc/self/status").read_text().splitlines()
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))

        before = peak_kb()
        parsed = parsing.parse(Path(sys.argv[1]), FolderStorage(Path(sys.argv[2])), Limits(40 << 20, 20, 100 << 20, 3))
        print(len(parsed.spools.bodies), (peak_kb() - before) // 1024)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, str(path), str(tmp_path / "docs")], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out[0] == "1"
    # 27 MB of base64 went through; without letting the windows go the peak grew by all of it (27 MB).
    assert int(out[1]) < 14, f"the parse's peak grew by {out[1]} MB"
