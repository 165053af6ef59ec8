"""The one exception type the DSTU primitives raise for bad input.

Why one type: callers (the CMS/PAdES layer) must be able to tell "this input is
malformed or not a DSTU 4145 object" from a bug.  Every parser and every
public function in :mod:`signatures.dstu` turns anything it cannot accept into
:class:`DSTUError`; verification itself answers ``False`` for a well-formed
signature that does not verify.
"""

from __future__ import annotations


class DSTUError(ValueError):
    """Malformed or unsupported DSTU 4145 / GOST 34.311 / Kupyna input."""
