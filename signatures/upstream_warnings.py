"""Filters for what upstream releases say that we expect, each named by its exact class and message.

pyHanko imports cryptography's DSA key classes to recognise them, and cryptography 46+ warns on that import. We
never make or accept DSA keys of our own, so this one message, raised from pyHanko's modules, is silenced; every other
warning still shows (and the test suite turns the rest into errors, setup.cfg).

pyHanko also logs every certificate whose chain it cannot build as a warning carrying the whole traceback. For us
that is a verdict, not a fault (``NO_CERTIFICATE_CHAIN_FOUND``, stated in the report): the line naming the signer is
kept, the traceback (some thirty lines a document, in the intake's output and the logs) is dropped.

Nothing of pyHanko is imported here (this runs whenever any part of ``signatures`` is imported, see the package):
the error is recognised by its class's module and name, anywhere in its class hierarchy, as ``isinstance`` would.
"""

import logging
import warnings

from cryptography.utils import CryptographyDeprecationWarning

warnings.filterwarnings(
    "ignore", message="DSA is deprecated", category=CryptographyDeprecationWarning, module=r"pyhanko\."
)

#: pyhanko_certvalidator's error for a chain that cannot be built, by (module, name).
_PATH_BUILDING_ERROR = ("pyhanko_certvalidator.errors", "PathBuildingError")


class _ChainNotBuilt(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is not None and any((c.__module__, c.__name__) == _PATH_BUILDING_ERROR for c in type(error).__mro__):
            record.exc_info = None
            record.exc_text = None
        return True


logging.getLogger("pyhanko.sign.validation.generic_cms").addFilter(_ChainNotBuilt())
