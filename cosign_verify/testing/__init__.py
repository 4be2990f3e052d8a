"""Public test toolkit: key pairs, cosign-compatible signing, and stores to sign into.

Use it in your own tests::

    from cosign_verify import MemoryStore
    from cosign_verify.testing import generate_key_pair, push_image, sign_image

    store = MemoryStore()
    image = push_image(store, "registry.example/team/app:v1")
    keys = generate_key_pair("ecdsa-p256")
    sign_image(store, image, keys)
"""

from __future__ import annotations

from .attest import AttestOptions, attest_image, make_attestation
from .docker_registry import DockerRegistryProcess
from .fake_rekor import FakeRekor, LogRecord
from .fake_sigstore import FakeSigstore, KeylessSigner
from .keys import (
    ALGORITHMS,
    KeyPair,
    PrivateKeyError,
    decrypt_private_key,
    encrypt_private_key,
    generate_key_pair,
    sign_bytes,
)
from .redis_process import RedisProcess
from .registry import Fault, RegistryServer
from .rekor_server import RekorServer
from .signer import (
    PushTarget,
    SignOptions,
    attach_bundle,
    make_payload,
    make_statement,
    push_image,
    sign_image,
)

__all__ = [
    "ALGORITHMS",
    "AttestOptions",
    "DockerRegistryProcess",
    "FakeRekor",
    "FakeSigstore",
    "KeylessSigner",
    "Fault",
    "LogRecord",
    "RedisProcess",
    "RegistryServer",
    "RekorServer",
    "KeyPair",
    "PrivateKeyError",
    "PushTarget",
    "SignOptions",
    "attach_bundle",
    "attest_image",
    "decrypt_private_key",
    "encrypt_private_key",
    "generate_key_pair",
    "make_attestation",
    "make_payload",
    "make_statement",
    "push_image",
    "sign_bytes",
    "sign_image",
]
