"""Does this signature verify with this key over these bytes? Answered here, once, for every check.

Legacy cosign signatures, Sigstore bundles (message signatures and DSSE),
Rekor signed entry timestamps and checkpoints, and CT logs' SCTs all call
:func:`verify`; public keys are encoded by :func:`spki_der` and
:func:`public_key_pem` and nowhere else.

``ALGORITHMS`` is the table of what is accepted for each key type, in the
order tried; :func:`verify` returns the name of the algorithm that verified.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from ..keys.loading import PublicKey
from .failure import Failure, FailureReason

_CURVE_HASH: dict[str, type[hashes.HashAlgorithm]] = {
    "secp256r1": hashes.SHA256,
    "secp384r1": hashes.SHA384,
    "secp521r1": hashes.SHA512,
}
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}

Check = Callable[[PublicKey, bytes, bytes], None]


# Each check is only ever given keys of the type its table row is for.
def _ecdsa_curve_hash(key: Any, signature: bytes, message: bytes) -> None:
    key.verify(signature, message, ec.ECDSA(_CURVE_HASH[key.curve.name]()))


def _rsa_pkcs1v15_sha256(key: Any, signature: bytes, message: bytes) -> None:
    key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())


def _ed25519(key: Any, signature: bytes, message: bytes) -> None:
    key.verify(signature, message)


def _ecdsa_name(key: Any) -> str:
    return f"ecdsa-{_CURVE_HASH[key.curve.name].name}"


# Per key type: (name, check) in the order tried. A name may depend on the key (the curve's hash).
ALGORITHMS: dict[type, tuple[tuple[Callable[[PublicKey], str], Check], ...]] = {
    ec.EllipticCurvePublicKey: ((_ecdsa_name, _ecdsa_curve_hash),),
    rsa.RSAPublicKey: ((lambda _: "rsa-pkcs1v15-sha256", _rsa_pkcs1v15_sha256),),
    ed25519.Ed25519PublicKey: ((lambda _: "ed25519", _ed25519),),
}


_BY_CLASS: dict[type, tuple[tuple[Callable[[PublicKey], str], Check], ...]] = {}


def _table(key: PublicKey) -> tuple[tuple[Callable[[PublicKey], str], Check], ...]:
    entries = _BY_CLASS.get(type(key))
    if entries is None:  # isinstance against cryptography's ABCs is slow: once per concrete class
        entries = next((rows for kind, rows in ALGORITHMS.items() if isinstance(key, kind)), ())
        _BY_CLASS[type(key)] = entries
    return entries


def verify(key: PublicKey, signature: bytes, message: bytes) -> str | None:
    """The name of the accepted algorithm under which ``signature`` signs ``message`` with ``key``, or None."""
    for name, check in _table(key):
        try:
            check(key, signature, message)
        except InvalidSignature:
            continue
        return name(key)
    return None


def verify_prehashed(
    key: PublicKey, signature: bytes, digest: bytes, hash_name: str = "sha256"
) -> str | None:
    """Like :func:`verify` when only the message's ``hash_name`` digest is known (Ed25519 cannot be)."""
    algorithm = _HASHES.get(hash_name)
    if algorithm is None or isinstance(key, ed25519.Ed25519PublicKey):
        return None
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, digest, ec.ECDSA(Prehashed(algorithm())))
            return f"ecdsa-{hash_name}"
        key.verify(signature, digest, padding.PKCS1v15(), Prehashed(algorithm()))
        return f"rsa-pkcs1v15-{hash_name}"
    except (InvalidSignature, ValueError):
        return None


def spki_der(key: PublicKey) -> bytes:
    """The DER SubjectPublicKeyInfo of a public key."""
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def public_key_pem(key: PublicKey) -> bytes:
    """The PKIX PEM of a public key."""
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def key_id(key: PublicKey) -> bytes:
    """SHA-256 of the key's DER SubjectPublicKeyInfo: how Rekor and CT logs name their keys."""
    return hashlib.sha256(spki_der(key)).digest()


def spki_of_pem(pem: bytes, what: str) -> bytes:
    """The DER SubjectPublicKeyInfo of a PEM certificate or public key; :class:`Failure` if unreadable."""
    try:
        if b"CERTIFICATE" in pem:
            return spki_der(x509.load_pem_x509_certificate(pem).public_key())  # type: ignore[arg-type]
        return spki_der(serialization.load_pem_public_key(pem))  # type: ignore[arg-type]
    except (ValueError, TypeError) as exc:
        raise Failure(FailureReason.MALFORMED, f"{what} cannot be read: {exc}") from None


def spki_of_der_certificate(der: bytes, what: str) -> bytes:
    """The DER SubjectPublicKeyInfo of a DER certificate; :class:`Failure` if unreadable."""
    try:
        return spki_der(x509.load_der_x509_certificate(der).public_key())  # type: ignore[arg-type]
    except (ValueError, TypeError) as exc:
        raise Failure(FailureReason.MALFORMED, f"{what} cannot be read: {exc}") from None
