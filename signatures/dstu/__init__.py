"""Ukrainian national signature primitives in pure Python: DSTU 4145-2002, GOST 34.311-95, Kupyna.

Why hand-written: most Ukrainian qualified certificates sign with DSTU 4145
(elliptic curves over GF(2^m)) and hash with GOST 34.311-95 or DSTU 7564
(Kupyna); no maintained Python library implements any of them.  This package
holds the primitives only — hashes, curve arithmetic, key/parameter/signature
decoding, verification (and signing for test data).  Wiring them into CMS /
PAdES verification is the job of a :class:`signatures.algorithms.NationalCryptoBackend`.

Every function raises :class:`DSTUError` (a ``ValueError``) for malformed
input and nothing else; signature verification answers ``True``/``False``.
"""

from signatures.dstu.curve import Curve
from signatures.dstu.curves import NAMED_CURVE_OIDS, curve_for_degree, explicit_curve, named_curve
from signatures.dstu.dstu4145 import (
    BYTE_ORDER_BY_OID,
    DSTU4145_BE,
    DSTU4145_LE,
    GOST34311_OID,
    KUPYNA_OIDS,
    DomainParameters,
    PublicKey,
    decode_parameters,
    decode_signature,
    digest_function,
    encode_parameters,
    encode_signature,
    generate_private_key,
    hash_to_field,
    public_key_from_private,
    sign_digest,
    unwrap_signature,
    verify,
    verify_digest,
)
from signatures.dstu.errors import DSTUError
from signatures.dstu.gost34311 import Gost34311, gost34311
from signatures.dstu.kupyna import kupyna256, kupyna384, kupyna512

__all__ = [
    "BYTE_ORDER_BY_OID",
    "DSTU4145_BE",
    "DSTU4145_LE",
    "GOST34311_OID",
    "KUPYNA_OIDS",
    "NAMED_CURVE_OIDS",
    "Curve",
    "DSTUError",
    "DomainParameters",
    "Gost34311",
    "PublicKey",
    "curve_for_degree",
    "decode_parameters",
    "decode_signature",
    "digest_function",
    "encode_parameters",
    "encode_signature",
    "explicit_curve",
    "generate_private_key",
    "gost34311",
    "hash_to_field",
    "kupyna256",
    "kupyna384",
    "kupyna512",
    "named_curve",
    "public_key_from_private",
    "sign_digest",
    "unwrap_signature",
    "verify",
    "verify_digest",
]
