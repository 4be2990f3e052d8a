"""Every key type with every signer that signs it, and the algorithm the verifier must report."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from cosign_verify import (
    CosignVerifier,
    Executor,
    InlineKeyProvider,
    KeyProviders,
    KeyRef,
    TrustPolicy,
    VerificationResult,
)
from cosign_verify.reference import Reference
from cosign_verify.report import KeyVerification
from cosign_verify.testing import FakeSigstore, KeyPair, SignOptions, make_payload, sign_image

ECDSA = ("ecdsa-p256", "ecdsa-p384", "ecdsa-p521")
RSA = ("rsa-2048", "rsa-3072", "rsa-4096")
_CURVE_HASH = {"ecdsa-p256": "sha256", "ecdsa-p384": "sha384", "ecdsa-p521": "sha512"}


@attrs.frozen
class Case:
    key_type: str
    profile: str
    algorithm: str  # what the verifier must say verified

    @property
    def id(self) -> str:
        return f"{self.key_type}-{self.profile}"


def _cases() -> list[Case]:
    cases = []
    for key_type in ECDSA:
        own = f"ecdsa-{_CURVE_HASH[key_type]}"
        cases += [
            Case(key_type, "cosign-2.5", "ecdsa-sha256"),
            Case(key_type, "cosign-2.6", own),
            Case(key_type, "cosign-3", own),
            Case(key_type, "kms-ecdsa", own),
        ]
    for key_type in RSA:
        cases += [
            Case(key_type, "cosign-2.5", "rsa-pkcs1v15-sha256"),
            Case(key_type, "cosign-2.6", "rsa-pkcs1v15-sha256"),
            Case(key_type, "cosign-3", "rsa-pkcs1v15-sha256"),
            Case(key_type, "kms-rsa-pkcs1-sha384", "rsa-pkcs1v15-sha384"),
            Case(key_type, "kms-rsa-pkcs1-sha512", "rsa-pkcs1v15-sha512"),
            Case(key_type, "kms-rsa-pss-sha256", "rsa-pss-sha256"),
            Case(key_type, "kms-rsa-pss-sha512", "rsa-pss-sha512"),
        ]
    cases += [
        Case("ed25519", "cosign-2.5", "ed25519"),
        Case("ed25519", "cosign-2.6", "ed25519ph"),
        Case("ed25519", "cosign-3", "ed25519ph"),
    ]
    return cases


CASES = _cases()


def verifier(pair: KeyPair, root: Any, scope: str) -> CosignVerifier:
    """A key-based verifier with the transparency log on (every signature here is logged in a fake Rekor)."""
    policy = TrustPolicy(name="team", scopes=[scope], keys=[KeyRef(provider="kp")], trusted_root=None)
    from cosign_verify.mediatypes import COSIGN_SIGNATURE_ARTIFACT_TYPE, SIGSTORE_BUNDLE_V03

    return CosignVerifier(
        [policy],
        KeyProviders([InlineKeyProvider("kp", pair.public_pem())]),
        trusted_root=root,
        artifact_types=(COSIGN_SIGNATURE_ARTIFACT_TYPE, SIGSTORE_BUNDLE_V03),
    )


def only_check(result: VerificationResult) -> KeyVerification:
    [report] = result.verifier_reports
    [signature] = report.signatures
    [check] = signature.verifications
    return check


def sign_as(
    store: Any, image: Reference, pair: KeyPair, case: Case, rekor: FakeSigstore, **options: Any
) -> None:
    sign_image(store, image, pair, SignOptions(profile=case.profile, rekor=rekor, **options))


def run(store: Any, image: Reference, the_verifier: CosignVerifier) -> VerificationResult:
    return Executor(store, [the_verifier]).verify(image)


def forged_payload(image: Reference) -> bytes:
    """A payload for ``image`` that no one signed (the signature of another payload is put beside it)."""
    assert image.digest
    return make_payload(image.digest, image.name, optional={"forged": True})


KeyFactory = Callable[..., KeyPair]
