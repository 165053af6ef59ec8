"""A marker for user-facing strings in code that must not import Flask.

``N_("…")`` returns its argument unchanged; the string is extracted into the translation catalogues and
translated where it is shown (``gettext(message)`` in the back office).
"""


def N_(message: str) -> str:
    return message
