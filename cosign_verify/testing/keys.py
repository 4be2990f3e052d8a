"""Key pairs for tests, and cosign's encrypted private-key format."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable

import attrs
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from .._internal.failure import Failure
from .._internal.strict_json import loads_strict
from ..errors import CosignVerifyError
from ..keys.loading import PublicKey

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey

ALGORITHMS = ("ecdsa-p256", "ecdsa-p384", "ecdsa-p521", "rsa-2048", "rsa-3072", "rsa-4096", "ed25519")

COSIGN_PRIVATE_KEY_LABEL = "ENCRYPTED SIGSTORE PRIVATE KEY"
_LEGACY_PRIVATE_KEY_LABEL = "ENCRYPTED COSIGN PRIVATE KEY"
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 32768, 8, 1


class PrivateKeyError(CosignVerifyError):
    """A cosign private key cannot be read (wrong password, corrupt, unknown format)."""


@attrs.frozen
class KeyPair:
    """A private key and its public key, with the PEM forms cosign uses."""

    private_key: PrivateKey = attrs.field(repr=False)
    algorithm: str

    @property
    def public_key(self) -> PublicKey:
        """The public half."""
        return self.private_key.public_key()

    def public_pem(self) -> str:
        """PKIX ``PUBLIC KEY`` PEM, as in ``cosign.pub``."""
        return self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()

    def cosign_private_pem(self, password: bytes) -> str:
        """The private key in cosign's encrypted format (``cosign.key``)."""
        return encrypt_private_key(self.private_key, password)

    def sign(self, payload: bytes, profile: str = "cosign-2.6") -> bytes:
        """Sign ``payload`` as the named signer does (cosign 2.6+ by default)."""
        return sign_bytes(self.private_key, payload, profile)


def generate_key_pair(algorithm: str = "ecdsa-p256") -> KeyPair:
    """A fresh key pair: ``ecdsa-p256`` (cosign's default), ``ecdsa-p384``, ``ecdsa-p521``,
    ``rsa-2048``, ``rsa-3072``, ``rsa-4096`` or ``ed25519``."""
    curves: dict[str, Callable[[], ec.EllipticCurve]] = {
        "ecdsa-p256": ec.SECP256R1,
        "ecdsa-p384": ec.SECP384R1,
        "ecdsa-p521": ec.SECP521R1,
    }
    key: PrivateKey
    if algorithm in curves:
        key = ec.generate_private_key(curves[algorithm]())
    elif algorithm.startswith("rsa-") and algorithm in ALGORITHMS:
        key = rsa.generate_private_key(public_exponent=65537, key_size=int(algorithm[4:]))
    elif algorithm == "ed25519":
        key = ed25519.Ed25519PrivateKey.generate()
    else:
        raise ValueError(f"unknown algorithm {algorithm!r}; choose one of {', '.join(ALGORITHMS)}")
    return KeyPair(key, algorithm)


def sign_bytes(private_key: PrivateKey, payload: bytes, profile: str = "cosign-2.6") -> bytes:
    """``payload`` signed as the named signer profile signs (see :mod:`cosign_verify.testing.profiles`)."""
    from .profiles import profile as find

    return find(profile).sign(private_key, payload)


def _secretbox() -> type:
    try:
        from nacl.secret import SecretBox
    except ImportError:  # pragma: no cover - depends on the environment
        raise PrivateKeyError(
            "cosign's encrypted key format needs PyNaCl",
            remediation="pip install 'cosign-verify[testing]'",
        ) from None
    return SecretBox


def _derive(password: bytes, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(password)


def encrypt_private_key(private_key: PrivateKey, password: bytes) -> str:
    """PEM ``ENCRYPTED SIGSTORE PRIVATE KEY``: PKCS#8 DER sealed with nacl/secretbox under an scrypt key."""
    salt, nonce = os.urandom(32), os.urandom(24)
    der = private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    box = _secretbox()(_derive(password, salt, _SCRYPT_N, _SCRYPT_R, _SCRYPT_P))
    sealed = box.encrypt(der, nonce).ciphertext
    document = {
        "kdf": {
            "name": "scrypt",
            "params": {"N": _SCRYPT_N, "r": _SCRYPT_R, "p": _SCRYPT_P},
            "salt": base64.b64encode(salt).decode(),
        },
        "cipher": {"name": "nacl/secretbox", "nonce": base64.b64encode(nonce).decode()},
        "ciphertext": base64.b64encode(sealed).decode(),
    }
    body = base64.encodebytes(json.dumps(document).encode()).decode()
    return f"-----BEGIN {COSIGN_PRIVATE_KEY_LABEL}-----\n{body}-----END {COSIGN_PRIVATE_KEY_LABEL}-----\n"


def decrypt_private_key(pem: str | bytes, password: bytes) -> PrivateKey:
    """Read a cosign encrypted private key (``cosign.key``) with its password."""
    text = pem.decode() if isinstance(pem, bytes) else pem
    for label in (COSIGN_PRIVATE_KEY_LABEL, _LEGACY_PRIVATE_KEY_LABEL):
        begin, end = f"-----BEGIN {label}-----", f"-----END {label}-----"
        if begin in text and end in text:
            body = text.split(begin, 1)[1].split(end, 1)[0]
            break
    else:
        raise PrivateKeyError(f"not a cosign private key (expected a PEM {COSIGN_PRIVATE_KEY_LABEL})")
    try:
        document = loads_strict(base64.b64decode(body), "cosign private key")
        kdf, cipher = document["kdf"], document["cipher"]
        if kdf["name"] != "scrypt" or cipher["name"] != "nacl/secretbox":
            raise PrivateKeyError(f"unsupported kdf {kdf['name']!r} or cipher {cipher['name']!r}")
        params = kdf["params"]
        if (params["N"], params["r"], params["p"]) != (_SCRYPT_N, _SCRYPT_R, _SCRYPT_P):
            raise PrivateKeyError("unexpected scrypt parameters")
        key = _derive(password, base64.b64decode(kdf["salt"]), params["N"], params["r"], params["p"])
        sealed = base64.b64decode(document["ciphertext"])
        nonce = base64.b64decode(cipher["nonce"])
    except (KeyError, TypeError, ValueError, Failure) as exc:
        raise PrivateKeyError(f"corrupt cosign private key: {exc}") from None
    from nacl.exceptions import CryptoError

    try:
        der = _secretbox()(key).decrypt(sealed, nonce)
    except CryptoError:
        raise PrivateKeyError("cannot decrypt cosign private key: wrong password or corrupt key") from None
    loaded = serialization.load_der_private_key(der, password=None)
    if not isinstance(loaded, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey):
        raise PrivateKeyError(f"unsupported private key type {type(loaded).__name__}")
    return loaded
