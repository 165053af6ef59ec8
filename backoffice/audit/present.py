"""Audit rows as a person reads them: every code a label in the page's language, every change before → after.

The trail stores codes (``email_qualified``, ``signature_checked``, ``center_id``, "anonymous 10.0.0.1") so that
it reads the same in every language and in the JSON of the command line. Only here, on the way to a page, do they
become words. Each domain names its own codes in a :class:`Vocabulary` beside its other labels
(``applications/labels.py``, ``selfreg/labels.py``, …); this module knows no domain, so the audit layer stays
below every part that writes to it. The application page, the self-registration page and the global audit log
all read rows through :func:`present`, so one row reads the same wherever it shows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from backoffice.audit.models import AuditEvent
from workflows.i18n import N_
from workflows.roles import Role

#: Translates one msgid into the page's language (``flask_babel.gettext`` on a page, ``str`` in a test).
Translate = Callable[[str], str]
#: Finds a readable name for a record another row points at: ("operator", 7) → "Olena Shevchenko (operator.kr)".
Resolve = Callable[[str, Any], str | None]

#: How the trail writes a value it must not keep (a password, the code word).
HIDDEN = "***"
#: Who acts for the system, as ``Actor.system`` names them.
SYSTEM_ACTORS: dict[str, str] = {
    "scheduler": N_("Scheduler"),
    "intake": N_("Email intake"),
    "verifier": N_("Signature verifier"),
    "throttle": N_("Protection against guessing"),
    "cli": N_("Command line"),
    "demo": N_("Demo data"),
}
#: The prefix the public pages give a visitor who has not logged in (``anonymous 10.0.0.1``).
ANONYMOUS = "anonymous"
_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


@dataclass(frozen=True)
class Vocabulary:
    """The words for one kind of record's audit rows, declared by the domain that writes them.

    Every mapping goes from the code the trail stores to an untranslated msgid (marked with ``N_``).
    """

    #: What the record is called: "Application".
    subject: str
    #: The words for an action: the workflow's ``label_of`` (its rows' labels, then the other actions), or a map.
    actions: Callable[[str], str] | Mapping[str, str]
    states: Mapping[str, str] = field(default_factory=dict)
    fields: Mapping[str, str] = field(default_factory=dict)
    #: Per field, the words for its coded values: {"channel": {"email_scan": "Email, scan"}}.
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    #: Reasons the system writes in English codes or sentences; what staff type is shown as they typed it.
    reasons: Mapping[str, str] = field(default_factory=dict)
    #: Reasons with a number in them: (pattern, msgid with the pattern's named groups as ``%(name)s``).
    reason_patterns: tuple[tuple[re.Pattern[str], str], ...] = ()
    #: Fields whose value is a list of things (filenames), never a before/after pair.
    lists: frozenset[str] = frozenset()
    #: Fields whose value is the id of another record: {"assignee_id": "operator"}; the page resolves the name.
    references: Mapping[str, str] = field(default_factory=dict)

    def action(self, code: str) -> str:
        if callable(self.actions):
            return self.actions(code)
        return self.actions.get(code, code)


#: For rows of a kind no domain has declared: codes still show, but nothing breaks.
UNKNOWN = Vocabulary(subject=N_("Record"), actions={})


@dataclass(frozen=True)
class Change:
    """One field of a row: ``after`` is None when the row noted a value rather than a change."""

    field: str
    before: str
    after: str | None = None


@dataclass(frozen=True)
class Line:
    """One audit row in words; ``action`` and ``subject_type`` stay codes, for links and filters only."""

    id: int
    occurred_at: datetime
    who: str
    subject_type: str
    subject_id: int | None
    subject: str
    #: The record's own name (an application's number), when the page could look it up.
    subject_name: str | None
    action: str
    what: str
    from_state: str
    to_state: str
    why: str
    changes: tuple[Change, ...]


def present(
    events: Iterable[AuditEvent],
    vocabularies: Mapping[str, Vocabulary],
    translate: Translate,
    resolve: Resolve | None = None,
    *,
    formats: Mapping[str, Callable[[Any], str]] | None = None,
) -> list[Line]:
    """The rows as the page shows them, each read with the vocabulary of its record's kind.

    ``resolve`` names the records other rows point at (staff, centers, applications); without it their ids
    show. ``formats`` may give "moment" (how an ISO timestamp in a change reads) and "yes"/"no".
    """
    words = _Words(translate, resolve or (lambda _kind, _id: None), formats or {})
    return [words.line(event, vocabularies.get(event.subject_type, UNKNOWN)) for event in events]


def references(events: Iterable[AuditEvent], vocabularies: Mapping[str, Vocabulary]) -> dict[str, set[Any]]:
    """Which records the rows point at, by kind: what a page looks up once before :func:`present`."""
    wanted: dict[str, set[Any]] = {}
    for event in events:
        if event.actor_id is not None:
            wanted.setdefault("operator", set()).add(event.actor_id)
        if event.subject_id is not None:
            wanted.setdefault(event.subject_type, set()).add(event.subject_id)
        refs = vocabularies.get(event.subject_type, UNKNOWN).references
        for name, value in (event.changes or {}).items():
            kind = refs.get(name)
            if kind is None:
                continue
            for one in value if isinstance(value, list) else [value]:
                if one is not None:
                    wanted.setdefault(kind, set()).add(one)
    return wanted


class _Words:
    def __init__(self, translate: Translate, resolve: Resolve, formats: Mapping[str, Callable[[Any], str]]) -> None:
        self._ = translate
        self.resolve = resolve
        self.moment = formats.get("moment", str)

    def line(self, event: AuditEvent, vocab: Vocabulary) -> Line:
        _ = self._
        return Line(
            id=event.id,
            occurred_at=event.occurred_at,
            who=self.actor(event),
            subject_type=event.subject_type,
            subject_id=event.subject_id,
            subject=self.subject(event, vocab),
            subject_name=self.resolve(event.subject_type, event.subject_id) if event.subject_id is not None else None,
            action=event.action,
            what=_(vocab.action(event.action)),
            from_state=self.state(event.from_state, vocab),
            to_state=self.state(event.to_state, vocab),
            why=self.reason(event.reason or "", vocab),
            changes=tuple(self.changes(event.changes or {}, vocab)),
        )

    def actor(self, event: AuditEvent) -> str:
        _ = self._
        label = event.actor_label or ""
        if event.actor_role == Role.SYSTEM:
            return _(SYSTEM_ACTORS[label]) if label in SYSTEM_ACTORS else label
        if event.actor_role == Role.CUSTOMER:
            if label == ANONYMOUS or label.startswith(ANONYMOUS + " "):
                address = label[len(ANONYMOUS) :].strip()
                if address:
                    return _("Visitor not logged in (%(address)s)") % {"address": address}
                return _("Visitor not logged in")
            return _("Customer %(login)s") % {"login": label}
        name = self.resolve("operator", event.actor_id) if event.actor_id is not None else None
        return name or label

    def subject(self, event: AuditEvent, vocab: Vocabulary) -> str:
        name = self._(vocab.subject)
        if event.subject_id is None:
            return name
        return f"{name} {self.resolve(event.subject_type, event.subject_id) or event.subject_id}"

    def state(self, code: str | None, vocab: Vocabulary) -> str:
        if not code:
            return ""
        return self._(vocab.states[code]) if code in vocab.states else code

    def reason(self, text: str, vocab: Vocabulary) -> str:
        if text in vocab.reasons:
            return self._(vocab.reasons[text])
        for pattern, msgid in vocab.reason_patterns:
            if match := pattern.fullmatch(text):
                return self._(msgid) % match.groupdict()
        return text

    def changes(self, changes: Mapping[str, Any], vocab: Vocabulary) -> Iterable[Change]:
        for name, value in changes.items():
            label = self._(vocab.fields[name]) if name in vocab.fields else name
            if isinstance(value, list) and len(value) == 2 and name not in vocab.lists:
                yield Change(label, self.value(name, value[0], vocab), self.value(name, value[1], vocab))
            else:
                yield Change(label, self.value(name, value, vocab))

    def value(self, name: str, value: Any, vocab: Vocabulary) -> str:
        _ = self._
        if value is None or value == "":
            return "—"
        if value == HIDDEN:
            return _("hidden")
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        if isinstance(value, list | tuple):
            return ", ".join(self.value(name, one, vocab) for one in value) or "—"
        if isinstance(value, Mapping):
            return ", ".join(f"{self.value(name, k, vocab)}: {self.value(name, v, vocab)}" for k, v in value.items())
        if name in vocab.references:
            return self.resolve(vocab.references[name], value) or f"#{value}"
        words = vocab.values.get(name, {})
        if isinstance(value, str):
            if value in words:
                return _(words[value])
            if _ISO_MOMENT.match(value):
                try:
                    return self.moment(datetime.fromisoformat(value))
                except ValueError:
                    return value
        return str(value)
