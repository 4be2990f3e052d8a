"""``cosign-verify demo``: the multi-namespace walkthrough on an embedded default.

An in-process registry gets images in a ``dev`` and a ``test`` namespace,
each signed with its own key and logged in a fake Rekor; two trust policies
trust the dev key for ``.../dev*`` and the test key for ``.../test*``. A
cross-signed image and an unsigned one must fail. The demo lives in the
testing toolkit because it signs; the library itself never does.
"""

from __future__ import annotations

import attrs

from ..engine import ConfigPolicy, Executor
from ..keys import InlineKeyProvider, KeyProviders
from ..mediatypes import COSIGN_SIGNATURE_ARTIFACT_TYPE
from ..policy import KeyRef, TrustPolicy
from ..report import VerificationResult
from ..store.registry import OCIRegistryStore
from ..trusted_root import TrustedRoot
from ..verifier import CosignVerifier
from .fake_sigstore import FakeSigstore
from .keys import generate_key_pair
from .registry import RegistryServer
from .signer import SignOptions, push_image, sign_image


@attrs.frozen
class DemoCase:
    """One image of the walkthrough and the outcome it must have."""

    reference: str
    story: str
    expected: bool
    result: VerificationResult


def run_demo() -> list[DemoCase]:
    """Run the walkthrough against a fresh in-process registry; returns every case with its result."""
    rekor = FakeSigstore()
    with RegistryServer(referrers_api=True) as server:
        base = f"{server.registry}/demo"
        store = OCIRegistryStore()
        dev_key, test_key = generate_key_pair("ecdsa-p256"), generate_key_pair("ecdsa-p256")
        images = {
            "dev": push_image(store, f"{base}/dev/app:v1"),
            "test": push_image(store, f"{base}/test/app:v1"),
            "cross": push_image(store, f"{base}/dev/cross:v1"),
            "unsigned": push_image(store, f"{base}/test/unsigned:v1"),
        }
        sign_image(store, images["dev"], dev_key, SignOptions(rekor=rekor))
        sign_image(store, images["test"], test_key, SignOptions(layout="referrer", rekor=rekor))
        sign_image(store, images["cross"], test_key, SignOptions(rekor=rekor))

        providers = KeyProviders(
            [
                InlineKeyProvider("dev-keys", dev_key.public_pem()),
                InlineKeyProvider("test-keys", test_key.public_pem()),
            ]
        )
        policies = [
            TrustPolicy(name="dev", scopes=[f"{base}/dev*"], keys=[KeyRef(provider="dev-keys")]),
            TrustPolicy(name="test", scopes=[f"{base}/test*"], keys=[KeyRef(provider="test-keys")]),
        ]
        root = TrustedRoot.from_json(rekor.trusted_root_json(), source="the demo's fake Sigstore")
        executor = Executor(
            store,
            [CosignVerifier(policies, providers, trusted_root=root)],
            ConfigPolicy({COSIGN_SIGNATURE_ARTIFACT_TYPE: "any"}),
        )
        stories = {
            "dev": ("signed with the dev key (.sig tag)", True),
            "test": ("signed with the test key (OCI 1.1 referrer)", True),
            "cross": ("in dev, but signed with the test key", False),
            "unsigned": ("in test, never signed", False),
        }
        return [
            DemoCase(str(images[name]), story, expected, executor.verify(images[name]))
            for name, (story, expected) in stories.items()
        ]
