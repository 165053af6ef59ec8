"""Flow B: self-registration with email confirmation and a national identifier as the login (seed 001).

Switched on per deployment with ``[flows] self_registration``; when it is off, nothing of this package is
registered (no pages, no back-office view, no scheduler jobs). Fixed file roles: ``models`` the rows,
``services`` the only writers, ``consent`` the versioned texts, ``sections`` the cabinet's sections, ``jobs``
the timed work, ``web`` the thin views.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from backoffice.settings import Settings


def enabled(settings: Settings) -> bool:
    """Whether this deployment runs Flow B; every registration point asks this one function."""
    return bool(settings.flows.self_registration)
