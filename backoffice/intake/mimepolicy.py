"""The email policy the intake parses with: the standard library's ``policy.default``, each header parsed once.

``policy.default`` parses a structured header again at every read, and its feed parser and our walk read each
part's Content-Type about a dozen times (the type, the main type, the boundary, the charset, the protocol...).
Measured on the 1,000-message mix, those repeated parses were a quarter of the time spent parsing mail. Here a
part keeps the parsed header it handed out, keyed by the raw value it came from: a header that is replaced is
parsed anew, and what is kept goes away with the message. A cache shared between messages was tried and dropped
(docs/benchmarks.md, "Tried and not kept: parsed headers kept between reads"): a parsed header keeps its whole
parse tree, and a batch of messages kept 35 MB of them.

Nothing else differs from ``policy.default``: the same parser, the same header classes, the same results.
"""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from typing import Any


class ParsedOnce(EmailMessage):
    """An :class:`~email.message.EmailMessage` that parses each header once (the module's docstring says why)."""

    def get(self, name: str, failobj: Any = None) -> Any:
        """:meth:`email.message.Message.get`: the first header of that name, parsed, or ``failobj``."""
        wanted = name.lower()
        for key, raw in self._headers:  # type: ignore[attr-defined]
            if key.lower() == wanted:
                kept: dict[str, tuple[Any, Any]] = self.__dict__.setdefault("_parsed_headers", {})
                hit = kept.get(wanted)
                if hit is not None and hit[0] is raw:
                    return hit[1]
                parsed = self.policy.header_fetch_parse(key, raw)
                kept[wanted] = (raw, parsed)
                return parsed
        return failobj


#: ``policy.default`` whose messages are :class:`ParsedOnce`.
POLICY = policy.default.clone(message_factory=ParsedOnce)
