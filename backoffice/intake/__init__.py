"""Applications arriving by email: Maildir or IMAP, stored whole first, processed exactly once.

The scheduler and the CLI call :func:`poll`; see docs/intake.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from backoffice.intake.service import PollSummary
    from backoffice.intake.units import SessionSource
    from backoffice.settings import Settings


def poll(sessions: SessionSource, settings: Settings) -> PollSummary:
    """Take what waits in the configured mailbox, process it, verify signatures; returns the counts.

    ``sessions`` is the process's :class:`backoffice.database.Database` or a session factory (``sessionmaker``).
    Safe to run while another poll runs, and after a crash: nothing is processed twice or lost.
    """
    from backoffice.intake.service import poll as run

    return run(sessions, settings)
