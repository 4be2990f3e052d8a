"""How real signers sign: named profiles, so tests sign as cosign 2.5, cosign 2.6+, cosign 3 or a KMS does.

The toolkit decides what a signer writes from these profiles alone, never
from what the verifier accepts (``docs/algorithms.md`` has the facts):

| profile | ECDSA | Ed25519 | RSA | Rekor hashedrekord | format |
|---|---|---|---|---|---|
| ``cosign-2.5`` | SHA-256 for every curve | pure | PKCS#1 v1.5 SHA-256 | sha256 | legacy |
| ``cosign-2.6`` | the curve's hash | Ed25519ph | PKCS#1 v1.5 SHA-256 | sha256 | legacy |
| ``cosign-3`` | the curve's hash | Ed25519ph | PKCS#1 v1.5 SHA-256 | sha256 | bundle |
| ``kms-rsa-pkcs1-sha384`` / ``-sha512`` | | | PKCS#1 v1.5 SHA-384 / SHA-512 (Azure RSA-3072/4096, GCP) | the same hash | legacy |
| ``kms-rsa-pss-sha256`` / ``-sha512`` | | | PSS (GCP) | the same hash | legacy |
| ``kms-ecdsa`` | the curve's hash | | | the curve's hash | legacy |
"""

from __future__ import annotations

from typing import Literal

import attrs
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from .keys import PrivateKey

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
_CURVE_HASHES = {"secp256r1": "sha256", "secp384r1": "sha384", "secp521r1": "sha512"}


@attrs.frozen(kw_only=True)
class SignerProfile:
    """What one signer writes: hashes per key type, Ed25519 variant, Rekor entry hash, signature format."""

    name: str
    ecdsa: Literal["curve", "sha256"] = "curve"
    ed25519: Literal["pure", "ph"] = "ph"
    rsa_padding: Literal["pkcs1v15", "pss"] = "pkcs1v15"
    rsa_hash: str = "sha256"
    rekor_hash: Literal["sha256", "signing"] = "sha256"
    format: Literal["legacy", "bundle"] = "legacy"

    def hash_name(self, key: PrivateKey) -> str:
        """The hash this signer signs ``key``'s signatures with (``sha512`` for Ed25519ph's prehash)."""
        if isinstance(key, ec.EllipticCurvePrivateKey):
            return _CURVE_HASHES[key.curve.name] if self.ecdsa == "curve" else "sha256"
        if isinstance(key, rsa.RSAPrivateKey):
            return self.rsa_hash
        return "sha512" if self.ed25519 == "ph" else "none"

    def entry_hash(self, key: PrivateKey) -> str:
        """The digest algorithm its hashedrekord Rekor entries record."""
        name = self.hash_name(key)
        return name if self.rekor_hash == "signing" and name in _HASHES else "sha256"

    def sign(self, key: PrivateKey, message: bytes) -> bytes:
        """``message`` signed with ``key`` as this signer signs."""
        if isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(message, ec.ECDSA(_HASHES[self.hash_name(key)]()))
        if isinstance(key, rsa.RSAPrivateKey):
            algorithm = _HASHES[self.rsa_hash]()
            if self.rsa_padding == "pss":
                pss = padding.PSS(mgf=padding.MGF1(algorithm), salt_length=padding.PSS.DIGEST_LENGTH)
                return key.sign(message, pss, algorithm)
            return key.sign(message, padding.PKCS1v15(), algorithm)
        assert isinstance(key, ed25519.Ed25519PrivateKey)
        return key.sign(message) if self.ed25519 == "pure" else _ed25519ph(key, message)


def _ed25519ph(key: ed25519.Ed25519PrivateKey, message: bytes) -> bytes:
    """RFC 8032 Ed25519ph with an empty context, as cosign >= 2.6 signs (libsodium through PyNaCl)."""
    from cryptography.hazmat.primitives import serialization
    from nacl import bindings

    seed = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    _, secret = bindings.crypto_sign_seed_keypair(seed)
    state = bindings.crypto_sign_ed25519ph_state()
    bindings.crypto_sign_ed25519ph_update(state, message)
    return bytes(bindings.crypto_sign_ed25519ph_final_create(state, secret))


PROFILES = {
    profile.name: profile
    for profile in (
        SignerProfile(name="cosign-2.5", ecdsa="sha256", ed25519="pure"),
        SignerProfile(name="cosign-2.6"),
        SignerProfile(name="cosign-3", format="bundle"),
        SignerProfile(name="kms-rsa-pkcs1-sha384", rsa_hash="sha384", rekor_hash="signing"),
        SignerProfile(name="kms-rsa-pkcs1-sha512", rsa_hash="sha512", rekor_hash="signing"),
        SignerProfile(name="kms-rsa-pss-sha256", rsa_padding="pss", rekor_hash="signing"),
        SignerProfile(name="kms-rsa-pss-sha512", rsa_padding="pss", rsa_hash="sha512", rekor_hash="signing"),
        SignerProfile(name="kms-ecdsa", rekor_hash="signing"),
    )
}
DEFAULT_PROFILE = "cosign-2.6"


def profile(name: str | SignerProfile) -> SignerProfile:
    """A profile by name (or itself); ``ValueError`` names the known ones."""
    if isinstance(name, SignerProfile):
        return name
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown signer profile {name!r}; choose one of {', '.join(PROFILES)}") from None
