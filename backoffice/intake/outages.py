"""What stops the intake for a while without being any message's fault: the database or the documents disk.

Neither is a reason to put a message in quarantine or to count it as a failed try. A message that cannot be
stored or unpacked because the disk is full stays where it was (in the mailbox, or ``received``) and is taken
again at a later poll; a poll that loses the database stops and the next one carries on from the rows. What
is said to the administrator names the real cause ("no space left on the documents disk"), never "the
mailbox cannot be read". The sentences are msgids (``N_``), translated where they are shown.
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from backoffice.errors import BackofficeError
from workflows.i18n import N_

#: Errors of the disk or of the folder itself: retrying the same message later succeeds once someone has
#: freed space, raised a quota, remounted the disk read-write or fixed the folder's owner. An ``OSError``
#: without one of these (a corrupt bzip2 stream in an archive, say) is the message's own problem.
DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EROFS, errno.EFBIG, errno.EACCES, errno.EPERM})

_DISK_SENTENCES = {
    errno.ENOSPC: N_("No space left on the documents disk (%(path)s)"),
    errno.EDQUOT: N_("The disk quota of the documents folder (%(path)s) is used up"),
    errno.EROFS: N_("The documents disk (%(path)s) is read-only"),
    errno.EIO: N_("The documents disk (%(path)s) reports an input/output error"),
}
_DISK_OTHER = N_("The documents folder (%(path)s) cannot be written: %(error)s")
DISK_WAITS = N_("The messages wait and are taken again at the next poll; none was put in quarantine.")
DATABASE_DOWN = N_("The database cannot be reached (%(error)s)")
DATABASE_POLL_AGAIN = N_("Nothing was lost: run the command again once the database is back.")
DATABASE_WAITS = N_("Nothing was lost: trying again in %(seconds)d s.")
_SHUTDOWN_STATES = frozenset({"57P01", "57P02", "57P03"})


def is_disk_error(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in DISK_ERRNOS


class DiskError(BackofficeError):
    """Document storage could not be written (or read back) because of the disk, not because of the message.

    Deliberately not an ``OSError``: the callers treat an ``OSError`` as "the mailbox cannot be reached".
    """

    def __init__(self, folder: Path, cause: OSError) -> None:
        self.folder = Path(folder)
        self.errno = cause.errno
        self.detail = cause.strerror or str(cause)
        super().__init__(f"{self.folder}: {self.detail}")

    def describe(self, gettext: Callable[[str], str] = str) -> str:
        """One sentence naming the disk and what is wrong with it, in the language of ``gettext``."""
        sentence = _DISK_SENTENCES.get(self.errno or 0, _DISK_OTHER)
        return gettext(sentence) % {"path": self.folder, "error": self.detail}


def is_database_outage(exc: BaseException) -> bool:
    """The database went away or cannot be reached (a restart, a failover, the network), as opposed to a
    statement it refused: the work is retried once it is back, and no message is to blame."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated or isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    # PostgreSQL says why: class 08 (connection exception) and 57P01-57P03 (shut down by the administrator, after
    # a crash, or starting up) are outages; a deadlock or a statement timeout is not. A driver error without an
    # SQLSTATE happened on our side of the connection (refused, reset, timed out) - or is SQLite's.
    sqlstate = getattr(exc.orig, "sqlstate", None)
    return sqlstate is None or sqlstate.startswith("08") or sqlstate in _SHUTDOWN_STATES


def describe_database(exc: BaseException, gettext: Callable[[str], str] = str) -> str:
    original = getattr(exc, "orig", None) or exc
    first_line = (str(original).strip().splitlines() or [type(original).__name__])[0]
    return gettext(DATABASE_DOWN) % {"error": first_line[:300]}
