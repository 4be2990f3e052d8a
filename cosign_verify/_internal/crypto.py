"""Does this signature verify with this key over these bytes? Answered here, once, for every check.

Legacy cosign signatures, Sigstore bundles (message signatures and DSSE),
Rekor signed entry timestamps and checkpoints, and CT logs' SCTs all call
:func:`verify`; public keys are encoded by :func:`spki_der` and
:func:`public_key_pem` and nowhere else.

:func:`algorithms` is the table of what is accepted for each key type, in
the order tried; :func:`verify` returns the name of the algorithm that
verified. Accepting several is safe: each is a secure signature scheme on
its own, and their encodings differ (PKCS#1 v1.5 names its hash inside the
signed block, PSS and Ed25519ph are domain-separated, and an ECDSA
signature under one hash would need a preimage to pass under another).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from ..errors import UnsupportedKeyError
from ..keys.loading import PublicKey, check_key
from .failure import Failure, FailureReason

_CURVE_HASH = {"secp256r1": "sha256", "secp384r1": "sha384", "secp521r1": "sha512"}
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}

Check = Callable[[Any, bytes, bytes], None]
Algorithm = tuple[str, Check]


def _ecdsa(name: str) -> Algorithm:
    algorithm = _HASHES[name]
    return f"ecdsa-{name}", lambda key, signature, message: key.verify(
        signature, message, ec.ECDSA(algorithm())
    )


def _rsa_pkcs1v15(name: str) -> Algorithm:
    algorithm = _HASHES[name]

    def check(key: Any, signature: bytes, message: bytes) -> None:
        key.verify(signature, message, padding.PKCS1v15(), algorithm())

    return f"rsa-pkcs1v15-{name}", check


def _rsa_pss(name: str) -> Algorithm:
    algorithm = _HASHES[name]

    def check(key: Any, signature: bytes, message: bytes) -> None:
        pss = padding.PSS(mgf=padding.MGF1(algorithm()), salt_length=padding.PSS.AUTO)
        key.verify(signature, message, pss, algorithm())

    return f"rsa-pss-{name}", check


def _ed25519(key: Any, signature: bytes, message: bytes) -> None:
    key.verify(signature, message)


def _ed25519ph(key: Any, signature: bytes, message: bytes) -> None:
    """RFC 8032 Ed25519ph (SHA-512 prehash, empty context), which ``cryptography`` lacks; libsodium hashes."""
    from nacl import bindings
    from nacl.exceptions import BadSignatureError

    state = bindings.crypto_sign_ed25519ph_state()
    bindings.crypto_sign_ed25519ph_update(state, message)
    try:
        bindings.crypto_sign_ed25519ph_final_verify(state, signature, key.public_bytes_raw())
    except (BadSignatureError, ValueError, TypeError):
        raise InvalidSignature from None


_RSA = tuple(_rsa_pkcs1v15(h) for h in _HASHES) + tuple(_rsa_pss(h) for h in _HASHES)
_ED25519: tuple[Algorithm, ...] = (("ed25519", _ed25519), ("ed25519ph", _ed25519ph))


def algorithms(key: PublicKey) -> tuple[Algorithm, ...]:
    """What a signature by ``key`` is accepted under, in the order tried (see docs/algorithms.md).

    - ECDSA: the curve's own hash (cosign >= 2.6, KMS), then SHA-256 (cosign <= 2.5 signs every curve so);
    - Ed25519: pure Ed25519 (cosign <= 2.5), then Ed25519ph (cosign >= 2.6);
    - RSA: PKCS#1 v1.5, then PSS, each with SHA-256, SHA-384 and SHA-512 (cosign, cloud KMS keys).
    """
    if isinstance(key, ec.EllipticCurvePublicKey):
        own = _CURVE_HASH[key.curve.name]
        return (_ecdsa(own),) if own == "sha256" else (_ecdsa(own), _ecdsa("sha256"))
    if isinstance(key, rsa.RSAPublicKey):
        return _RSA
    if isinstance(key, ed25519.Ed25519PublicKey):
        return _ED25519
    return ()  # pragma: no cover - keys are checked when loaded


_BY_KIND: dict[tuple[type, str], tuple[Algorithm, ...]] = {}


def _table(key: PublicKey) -> tuple[Algorithm, ...]:
    kind = (type(key), key.curve.name if isinstance(key, ec.EllipticCurvePublicKey) else "")
    entries = _BY_KIND.get(kind)
    if entries is None:  # isinstance against cryptography's ABCs is slow: once per key class and curve
        entries = _BY_KIND[kind] = algorithms(key)
    return entries


# Keys (by object) whose last signature verified under an algorithm other than their table's first,
# which is then tried first: cosign >= 2.6 signs an Ed25519 key with Ed25519ph, older cosign with
# pure Ed25519, and one key's signatures usually come from one cosign. This changes only the order:
# every accepted algorithm is still tried, so a stale entry (or a reused id) costs time, never a result.
_LATER_FIRST: dict[int, str] = {}
_LATER_FIRST_MAX = 4096


def verify(key: PublicKey, signature: bytes, message: bytes) -> str | None:
    """The name of the accepted algorithm under which ``signature`` signs ``message`` with ``key``, or None."""
    table = _table(key)
    first = table[0][0] if table else ""
    preferred = _LATER_FIRST.get(id(key))
    if preferred is not None:
        table = tuple(sorted(table, key=lambda entry: entry[0] != preferred))
    for name, check in table:
        try:
            check(key, signature, message)
        except InvalidSignature:
            continue
        if name != (preferred or first):
            _remember(key, name, first)
        return name
    return None


def _remember(key: PublicKey, name: str, first: str) -> None:
    if name == first:
        _LATER_FIRST.pop(id(key), None)
        return
    if len(_LATER_FIRST) >= _LATER_FIRST_MAX:
        _LATER_FIRST.clear()
    _LATER_FIRST[id(key)] = name


def verify_prehashed(
    key: PublicKey, signature: bytes, digest: bytes, hash_name: str = "sha256"
) -> str | None:
    """Like :func:`verify` when only the message's ``hash_name`` digest is known (Ed25519 cannot be)."""
    algorithm = _HASHES.get(hash_name)
    if algorithm is None or isinstance(key, ed25519.Ed25519PublicKey):
        return None
    prehashed = Prehashed(algorithm())
    candidates: list[tuple[str, Callable[[], None]]]
    if isinstance(key, ec.EllipticCurvePublicKey):
        candidates = [(f"ecdsa-{hash_name}", lambda: key.verify(signature, digest, ec.ECDSA(prehashed)))]
    else:
        pss = padding.PSS(mgf=padding.MGF1(algorithm()), salt_length=padding.PSS.AUTO)
        candidates = [
            (
                f"rsa-pkcs1v15-{hash_name}",
                lambda: key.verify(signature, digest, padding.PKCS1v15(), prehashed),
            ),
            (f"rsa-pss-{hash_name}", lambda: key.verify(signature, digest, pss, prehashed)),
        ]
    for name, check in candidates:
        try:
            check()
        except (InvalidSignature, ValueError):
            continue
        return name
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


def key_signer(key: PublicKey) -> str:
    """Who signed, for thresholds: a key by the SHA-256 of its SubjectPublicKeyInfo."""
    return f"key sha256:{key_id(key).hex()[:16]}"


def certificate_key(certificate: x509.Certificate, what: str) -> PublicKey:
    """The certificate's public key if we accept its type; :class:`Failure` (``UNSUPPORTED``) otherwise,
    an algorithm or curve ``cryptography`` does not know included."""
    try:
        return check_key(certificate.public_key(), what)
    except (UnsupportedAlgorithm, ValueError) as exc:
        raise Failure(FailureReason.UNSUPPORTED, f"{what}: unsupported key algorithm ({exc})") from None
    except UnsupportedKeyError as exc:
        raise Failure(FailureReason.UNSUPPORTED, exc.message) from None


def spki_of_pem(pem: bytes, what: str) -> bytes:
    """The DER SubjectPublicKeyInfo of a PEM certificate or public key; :class:`Failure` if unreadable."""
    try:
        if b"CERTIFICATE" in pem:
            return spki_der(x509.load_pem_x509_certificate(pem).public_key())  # type: ignore[arg-type]
        return spki_der(serialization.load_pem_public_key(pem))  # type: ignore[arg-type]
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise Failure(FailureReason.MALFORMED, f"{what} cannot be read: {exc}") from None


def spki_of_der_certificate(der: bytes, what: str) -> bytes:
    """The DER SubjectPublicKeyInfo of a DER certificate; :class:`Failure` if unreadable."""
    try:
        return spki_der(x509.load_der_x509_certificate(der).public_key())  # type: ignore[arg-type]
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise Failure(FailureReason.MALFORMED, f"{what} cannot be read: {exc}") from None
