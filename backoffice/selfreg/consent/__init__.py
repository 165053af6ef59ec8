"""The consent text, versioned in the product: ``v<N>.<lang>.md`` beside this file.

A new version is a new set of files (never an edit of an old one): the highest ``N`` that has the Russian text
(the master language of Flow B) is the current version, and an account whose last consent is older is asked to
accept the new text at its next login. The text is legal wording, not interface strings, so it is written out
per language rather than through gettext; a language without its own file shows the Russian one.

The files hold plain paragraphs, ``# `` headings and ``- `` list items; ``{supplier_name}`` is replaced by the
supplier's name from the settings. What a person saw is what is hashed into their consent record.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup, escape

#: Where the texts are; tests point this at a folder of their own to publish a new version.
DIRECTORY = Path(__file__).resolve().parent
MASTER_LANGUAGE = "ru"
_FILE = re.compile(r"^v(\d+)\.([a-z]{2})\.md$")


@dataclass(frozen=True)
class ConsentText:
    version: int
    language: str
    text: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def title(self) -> str:
        first = self.text.splitlines()[0] if self.text else ""
        return first.removeprefix("# ").strip()

    def html(self) -> Markup:
        """The text as HTML: headings, paragraphs and lists, everything else escaped."""
        parts: list[str] = []
        for block in re.split(r"\n\s*\n", self.text.strip()):
            lines = [line.strip() for line in block.splitlines() if line.strip()]
            if not lines:
                continue
            if lines[0].startswith("# "):
                parts.append(f"<h2>{escape(lines[0][2:])}</h2>")
                lines = lines[1:]
            if lines and all(line.startswith("- ") for line in lines):
                items = "".join(f"<li>{escape(line[2:])}</li>" for line in lines)
                parts.append(f"<ul>{items}</ul>")
            elif lines:
                parts.append(f"<p>{escape(' '.join(lines))}</p>")
        return Markup("\n".join(parts))  # noqa: S704 - every piece of text above is escaped


def versions() -> list[int]:
    """Every published version, oldest first (those with the master-language text)."""
    matches = (_FILE.match(p.name) for p in DIRECTORY.iterdir())
    found = {int(m.group(1)) for m in matches if m and m.group(2) == MASTER_LANGUAGE}
    return sorted(found)


def current_version() -> int:
    published = versions()
    if not published:
        raise RuntimeError(f"no consent text v<N>.{MASTER_LANGUAGE}.md in {DIRECTORY}")
    return published[-1]


def text(version: int, language: str, supplier_name: str) -> ConsentText:
    """The text of ``version`` in ``language`` (the Russian one when that language has none)."""
    for lang in (language, MASTER_LANGUAGE):
        file = DIRECTORY / f"v{version}.{lang}.md"
        if file.is_file():
            body = file.read_text(encoding="utf-8").replace("{supplier_name}", supplier_name)
            return ConsentText(version, lang, body)
    raise LookupError(f"no consent text version {version}")


def current(language: str, supplier_name: str) -> ConsentText:
    return text(current_version(), language, supplier_name)
