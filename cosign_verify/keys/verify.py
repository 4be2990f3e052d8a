"""Checking a signature over exact bytes with a trusted public key."""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from .loading import PublicKey

_CURVE_HASH: dict[str, type[hashes.HashAlgorithm]] = {
    "secp256r1": hashes.SHA256,
    "secp384r1": hashes.SHA384,
    "secp521r1": hashes.SHA512,
}


def hash_for(key: PublicKey) -> hashes.HashAlgorithm | None:
    """The digest cosign signs with for ``key``: SHA-256, curve-matched for P-384/P-521, none for Ed25519."""
    if isinstance(key, ec.EllipticCurvePublicKey):
        return _CURVE_HASH[key.curve.name]()
    if isinstance(key, rsa.RSAPublicKey):
        return hashes.SHA256()
    return None


def verify_signature(key: PublicKey, signature: bytes, payload: bytes) -> None:
    """Raise :class:`cryptography.exceptions.InvalidSignature` unless ``signature`` signs ``payload`` with ``key``.

    ECDSA signatures are ASN.1 DER; RSA is PKCS#1 v1.5 with SHA-256, as cosign signs.
    """
    if isinstance(key, ec.EllipticCurvePublicKey):
        key.verify(signature, payload, ec.ECDSA(_CURVE_HASH[key.curve.name]()))
    elif isinstance(key, rsa.RSAPublicKey):
        key.verify(signature, payload, padding.PKCS1v15(), hashes.SHA256())
    elif isinstance(key, ed25519.Ed25519PublicKey):
        key.verify(signature, payload)
    else:  # pragma: no cover - keys are checked when loaded
        raise InvalidSignature(f"unsupported key type {type(key).__name__}")
