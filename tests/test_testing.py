from __future__ import annotations

import base64
import json
from collections.abc import Callable

import pytest

from cosign_verify import MemoryStore, Reference
from cosign_verify._internal.crypto import verify
from cosign_verify.keys import describe_key
from cosign_verify.mediatypes import COSIGN_SIGNATURE_ARTIFACT_TYPE
from cosign_verify.store import cosign_signature_tag
from cosign_verify.testing import (
    KeyPair,
    PrivateKeyError,
    SignOptions,
    decrypt_private_key,
    generate_key_pair,
    push_image,
    sign_image,
)


@pytest.mark.parametrize("algorithm", ["ecdsa-p256", "rsa-2048", "ed25519"])
def test_cosign_private_key_round_trip(algorithm: str, key_pair: Callable[..., KeyPair]) -> None:
    pair = key_pair(algorithm)
    pem = pair.cosign_private_pem(b"s3cret")
    assert pem.startswith("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n")
    loaded = decrypt_private_key(pem, b"s3cret")
    assert describe_key(loaded.public_key()) == algorithm
    assert verify(pair.public_key, KeyPair(loaded, algorithm).sign(b"x"), b"x") is not None


def test_cosign_private_key_failures(key_pair: Callable[..., KeyPair]) -> None:
    pem = key_pair().cosign_private_pem(b"right")
    with pytest.raises(PrivateKeyError, match="wrong password"):
        decrypt_private_key(pem, b"wrong")
    with pytest.raises(PrivateKeyError, match="not a cosign private key"):
        decrypt_private_key(key_pair().public_pem(), b"right")
    body = pem.splitlines()[1:-1]
    document = json.loads(base64.b64decode("".join(body)))
    document["kdf"]["params"]["N"] = 1 << 30
    forged = "\n".join(
        [
            "-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----",
            base64.b64encode(json.dumps(document).encode()).decode(),
            "-----END ENCRYPTED COSIGN PRIVATE KEY-----",
        ]
    )
    with pytest.raises(PrivateKeyError, match="unexpected scrypt parameters"):
        decrypt_private_key(forged, b"right")
    with pytest.raises(PrivateKeyError, match="corrupt"):
        decrypt_private_key(pem.replace(body[1], "A" * len(body[1])), b"right")


def test_unknown_algorithm() -> None:
    with pytest.raises(ValueError, match="unknown algorithm 'dsa'"):
        generate_key_pair("dsa")


def test_tag_layout_appends_layers(key_pair: Callable[..., KeyPair]) -> None:
    store = MemoryStore()
    image = push_image(store, "r.example/a/b:v1")
    assert image.digest
    first = sign_image(store, image, key_pair())
    second = sign_image(store, image, key_pair("ed25519"))
    assert first.digest != second.digest
    tag = Reference(
        registry=image.registry, repository=image.repository, tag=cosign_signature_tag(image.digest)
    )
    manifest = json.loads(store.fetch_manifest(image, store.resolve(tag).digest))
    assert len(manifest["layers"]) == 2
    assert manifest["layers"][0]["mediaType"] == "application/vnd.dev.cosign.simplesigning.v1+json"
    [referrer] = store.list_referrers(image.with_digest(image.digest))
    assert referrer.artifact_type == COSIGN_SIGNATURE_ARTIFACT_TYPE and referrer.digest == second.digest


def test_referrer_layout(key_pair: Callable[..., KeyPair]) -> None:
    store = MemoryStore(cosign_enabled=False)
    image = push_image(store, "r.example/a/b:v1")
    assert image.digest
    descriptor = sign_image(store, image, key_pair(), SignOptions(layout="referrer"))
    manifest = json.loads(store.fetch_manifest(image, descriptor.digest))
    assert manifest["artifactType"] == COSIGN_SIGNATURE_ARTIFACT_TYPE
    assert manifest["subject"]["digest"] == image.digest
    [referrer] = store.list_referrers(image.with_digest(image.digest))
    assert referrer.digest == descriptor.digest
    with pytest.raises(ValueError, match="layout must be"):
        sign_image(store, image, key_pair(), SignOptions(layout="attached"))  # type: ignore[arg-type]
