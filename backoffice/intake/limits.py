"""The limits one message must stay within, from ``[intake]`` in the settings, and what it has used so far."""

from __future__ import annotations

from dataclasses import dataclass, field

from backoffice.settings import Settings

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_message_bytes: int
    max_attachments: int
    max_unpacked_bytes: int
    max_nesting: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        intake = settings.intake
        return cls(
            max_message_bytes=intake.max_message_mb * MB,
            max_attachments=intake.max_attachments,
            max_unpacked_bytes=intake.max_unpacked_mb * MB,
            max_nesting=intake.max_nesting,
        )


@dataclass
class Issue:
    """Why a message cannot become an application by itself; the operator sees ``code`` and ``detail``."""

    code: str
    detail: str = ""


@dataclass
class Budget:
    limits: Limits
    files: int = 0
    unpacked: int = 0
    issues: list[Issue] = field(default_factory=list)

    def note(self, code: str, detail: str = "") -> None:
        if not any(i.code == code and i.detail == detail for i in self.issues):
            self.issues.append(Issue(code, detail))

    def take_file(self, name: str) -> bool:
        if self.files >= self.limits.max_attachments:
            self.note("too_many_attachments", f"more than {self.limits.max_attachments} files")
            return False
        self.files += 1
        return True

    @property
    def unpack_left(self) -> int:
        return max(0, self.limits.max_unpacked_bytes - self.unpacked)
