"""Warning filters for upstream releases whose warnings we expect, each named by its exact class and message.

pyHanko imports cryptography's DSA key classes to recognise them, and cryptography 46+ warns on that import. We
never make or accept DSA keys of our own, so this one message, raised from pyHanko's modules, is silenced; every other
warning still shows (and the test suite turns the rest into errors, setup.cfg).
"""

import warnings

from cryptography.utils import CryptographyDeprecationWarning

warnings.filterwarnings(
    "ignore", message="DSA is deprecated", category=CryptographyDeprecationWarning, module=r"pyhanko\."
)
