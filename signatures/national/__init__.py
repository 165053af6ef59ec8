"""Verification of DSTU 4145 signatures (CAdES, certificates, CRLs) on the pure-Python primitives.

Why a package of our own beside pyhanko: pyhanko and pyhanko-certvalidator
verify signatures through the ``cryptography`` library, which knows neither
DSTU 4145 nor GOST 34.311 / Kupyna; handed a Ukrainian signature they can only
fail.  This package does for DSTU what they do for ECDSA and RSA, with the
primitives of :mod:`signatures.dstu`:

* :mod:`.certs` reads a DSTU key out of a certificate (asn1crypto cannot) and
  verifies the signature on a certificate or CRL;
* :mod:`.path` builds and checks the chain signer -> QTSP CA -> trust root
  (validity, CA constraints, key usage, critical extensions);
* :mod:`.revocation` answers "revoked?" from CRLs verified against the path;
* :mod:`.cades` checks one CMS SignerInfo (message digest, signature over the
  signed attributes, ESS signing certificate) and turns everything into a
  verdict in this library's vocabulary.

It never consults pyhanko's trust manager and never passes anything pyhanko
would have to vouch for: a DSTU signature is TOTAL_PASSED only when its own
checks all hold.
"""
