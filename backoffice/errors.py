"""The back office's errors: one base that carries what the user reads.

Every error the product raises on purpose derives from :class:`BackofficeError`. ``str(error)`` is the technical
detail, for logs, the CLI and the audit trail; :attr:`BackofficeError.user_message` is what a person reads on a
page, translated when it is read (a lazy gettext string), so the same error reads in Ukrainian to an operator and
in Russian to a customer. Views show ``user_message`` and never format an error's text themselves.

Deliberately a leaf: it imports nothing from the back office but ``translation`` (a leaf too, without Flask), so
every layer (models, services, views, the CLI, an intake lane) can raise and catch these without pulling in
another.
"""

from __future__ import annotations

from typing import Any, ClassVar

from backoffice.translation import lazy_gettext as _l


class BackofficeError(Exception):
    """Base of the errors the back office raises on purpose; none of them leaves a half-done change behind.

    ``message`` is the class's user message (an English msgid marked with ``_l``); an instance may carry its own
    (``user_message=``) when it knows more than its class.
    """

    message: ClassVar[Any] = _l("The action could not be completed.")
    #: Raised after the attempt itself was written (the call, the refused try, for staff to see): the caller
    #: commits instead of rolling back.
    recorded: ClassVar[bool] = False

    def __init__(self, *args: object, user_message: Any = None) -> None:
        super().__init__(*args)
        self._user_message = user_message

    @property
    def user_message(self) -> str:
        """What the user reads, in the language of the page that shows it."""
        own = getattr(self, "_user_message", None)  # a dataclass subclass does not call __init__
        return str(own if own is not None else self.message)


class Forbidden(BackofficeError):
    """The actor may not do this at all; pages answer 403 rather than explain."""

    message = _l("You may not do this.")
