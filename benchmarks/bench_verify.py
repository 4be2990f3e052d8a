"""A warm key-based verification against the bare cryptography verify it stands on.

One signed image in a MemoryStore; times, in one run:
- the bare ``cryptography`` ECDSA P-256 (and Ed25519, RSA-2048) verify of the same signature and payload;
- ``CosignVerifier.verify`` on the signature referrer (fetch, digest checks, parsing, crypto, report);
- ``Executor.verify`` on the subject (plus referrer listing and the policy decision).
Writes benchmarks/results/verify.json.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from cosign_verify import (
    CosignVerifier,
    Executor,
    InlineKeyProvider,
    KeyProviders,
    KeyRef,
    MemoryStore,
    TrustPolicy,
)
from cosign_verify.testing import SignOptions, generate_key_pair, push_image, sign_image

RESULTS = Path(__file__).resolve().parent / "results"


def bare_verify(key: object, signature: bytes, payload: bytes, profile: str) -> None:
    """The one library call a verification of this key type cannot do without."""
    if isinstance(key, ec.EllipticCurvePublicKey):
        key.verify(signature, payload, ec.ECDSA(hashes.SHA256()))
    elif isinstance(key, rsa.RSAPublicKey):
        key.verify(signature, payload, padding.PKCS1v15(), hashes.SHA256())
    elif profile == "cosign-2.5":
        key.verify(signature, payload)  # type: ignore[attr-defined]
    else:  # Ed25519ph: libsodium through PyNaCl, as our verifier uses it
        from nacl import bindings

        state = bindings.crypto_sign_ed25519ph_state()
        bindings.crypto_sign_ed25519ph_update(state, payload)
        bindings.crypto_sign_ed25519ph_final_verify(state, signature, key.public_bytes_raw())  # type: ignore[attr-defined]


def per_call(func: Callable[[], object], number: int = 2000, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            func()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def measure(algorithm: str, profile: str) -> dict[str, float]:
    store = MemoryStore()
    pair = generate_key_pair(algorithm)
    image = push_image(store, "registry.example/team/app:v1")
    sign_image(store, image, pair, SignOptions(profile=profile))
    assert image.digest
    subject = image.with_digest(image.digest)
    policy = TrustPolicy(
        name="p", scopes=["registry.example/team/*"], keys=[KeyRef(provider="kp")], tlog_verify=False
    )
    verifier = CosignVerifier([policy], KeyProviders([InlineKeyProvider("kp", pair.public_pem())]))
    executor = Executor(store, [verifier])
    [referrer] = store.list_referrers(subject)
    manifest = json.loads(store.fetch_manifest(subject, referrer.digest))
    layer = manifest["layers"][0]
    payload = store.fetch_blob(subject, layer["digest"])
    signature = base64.b64decode(layer["annotations"]["dev.cosignproject.cosign/signature"])
    public_key = pair.public_key
    assert executor.verify(subject).is_success

    bare = per_call(lambda: bare_verify(public_key, signature, payload, profile))
    one = per_call(lambda: verifier.verify(subject, referrer, store))
    full = per_call(lambda: executor.verify(subject))
    return {
        "bare_crypto_us": round(bare * 1e6, 1),
        "verifier_us": round(one * 1e6, 1),
        "executor_us": round(full * 1e6, 1),
        "verifier_over_crypto": round(one / bare, 2),
        "executor_over_crypto": round(full / bare, 2),
    }


def main() -> None:
    logging.disable(logging.WARNING)
    results = {}
    cases = {
        "ecdsa-p256": ("ecdsa-p256", "cosign-2.6"),
        "ed25519": ("ed25519", "cosign-2.5"),
        "rsa-2048": ("rsa-2048", "cosign-2.6"),
        # cosign >= 2.6 signs Ed25519 keys with Ed25519ph, which is tried after pure Ed25519.
        "ed25519ph": ("ed25519", "cosign-2.6"),
    }
    for name, (algorithm, profile) in cases.items():
        r = results[name] = measure(algorithm, profile)
        print(
            f"{name:>11}: bare verify {r['bare_crypto_us']:7.1f} us | CosignVerifier.verify {r['verifier_us']:7.1f} us "
            f"({r['verifier_over_crypto']:.2f}x) | Executor.verify {r['executor_us']:7.1f} us ({r['executor_over_crypto']:.2f}x)"
        )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "verify.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
