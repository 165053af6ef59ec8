"""The intake's email policy (``intake/mimepolicy``): the standard ``policy.default``, each header parsed once.

Every shape of mail the corpus knows is read with it and with the plain ``policy.default``, and the two must take
the same files with the same names, types and envelope out of it. A header changed after it was read is read
anew, never served from what was kept.
"""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

import pytest

from backoffice.documents.storage import FolderStorage
from backoffice.intake import envelope, parsing
from backoffice.intake.mimepolicy import POLICY
from tests.backoffice.intake import corpus
from tests.backoffice.intake.test_streaming import LIMITS, SCAN, SHAPES, _summary

MORE_SHAPES = {
    "read receipt": corpus.read_receipt,
    "binhex": corpus.binhex_part,
    "wrong boundary": lambda: corpus.wrong_boundary(SCAN),
    "uuencode attachment": lambda: corpus.uuencode_attachment("scan.pdf", SCAN),
    "raw 8-bit headers": lambda: corpus.raw_headers("Subject: Заява від ТОВ «Степова»".encode("cp1251"), SCAN),
    "encoded-word name": lambda: corpus.outlook(corpus.encoded_word("Заява про приєднання.pdf"), SCAN),
    "zip with cp866 names": lambda: corpus.with_attachments(
        [("application/zip", corpus.zip_of({"Заява.pdf": SCAN}, utf8_names=False),
          'Content-Disposition: attachment; filename="d.zip"')]
    ),
}


@pytest.mark.parametrize("shape", sorted({**SHAPES, **MORE_SHAPES}))
def test_the_intake_reads_every_shape_as_the_standard_policy_does(
    shape: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "m.eml"
    path.write_bytes({**SHAPES, **MORE_SHAPES}[shape]())
    storage = FolderStorage(tmp_path / "docs")
    ours = _summary(parsing.parse(path, storage, LIMITS))
    monkeypatch.setattr(parsing, "POLICY", policy.default)
    monkeypatch.setattr(envelope, "POLICY", policy.default)
    standard = _summary(parsing.parse(path, storage, LIMITS))
    assert ours == standard
    assert ours[1] or shape in {"bounce", "auto-reply", "read receipt", "binhex"}  # the shape brought its files


def test_a_header_changed_after_it_was_read_is_read_again() -> None:
    message = message_from_bytes(
        b"Content-Type: text/plain; charset=utf-8\r\nSubject: =?utf-8?b?0JfQsNGP0LLQsA==?=\r\n\r\nbody", policy=POLICY
    )
    assert message.get_content_type() == "text/plain" and message.get_content_charset() == "utf-8"
    assert message["subject"] == "Заява"
    message.replace_header("Content-Type", 'application/pdf; name="a.pdf"')
    assert message.get_content_type() == "application/pdf" and message.get_param("name") == "a.pdf"
    del message["Content-Type"]
    assert message.get_content_type() == "text/plain"  # the default once the header is gone
    message["Content-Type"] = "image/png"
    assert message.get_content_type() == "image/png"
    assert message.get("X-Missing", "none") == "none"
