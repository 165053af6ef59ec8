"""A line of text as a form sends it: white space folded, required, and not longer than its column."""

from __future__ import annotations

from backoffice.validation.problems import Problem
from workflows.i18n import N_


def one_line(value: str | None, field: str, required: str, most: int) -> tuple[str, list[Problem]]:
    """``value`` with its white space folded to single spaces, and what is wrong with it: nothing written
    (``required`` says what to write) or more than ``most`` characters."""
    text = " ".join((value or "").split())
    if not text:
        return text, [Problem(field, "required", required)]
    if len(text) > most:
        return text, [Problem(field, "long", N_("At most %(max)d characters"), {"max": most})]
    return text, []
