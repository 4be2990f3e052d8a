"""Keyless signatures made with FakeSigstore, verified through the CLI with a custom trusted root."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cosign_verify import FailureReason
from cosign_verify.cli import main
from cosign_verify.mediatypes import COSIGN_SIGNATURE_ARTIFACT_TYPE
from cosign_verify.store import OCIRegistryStore
from cosign_verify.testing import FakeSigstore, KeyPair, RekorServer, SignOptions, push_image, sign_image

from ..conftest import cause, unreachable_url, verify_as_cli

pytestmark = pytest.mark.integration


def write_config(tmp_path: Path, base: str, pair: KeyPair, rekor_url: str) -> Path:
    config = {
        "store": {"plugins": [{"name": "oras", "cosignEnabled": True}]},
        "policy": {
            "plugin": {
                "name": "configPolicy",
                "artifactVerificationPolicies": {COSIGN_SIGNATURE_ARTIFACT_TYPE: "any"},
            }
        },
        "verifier": {
            "plugins": [
                {
                    "name": "cosign",
                    "artifactTypes": COSIGN_SIGNATURE_ARTIFACT_TYPE,
                    "trustedRoot": "trusted_root.json",
                    "trustPolicies": [
                        {
                            "name": "ci",
                            "scopes": [f"{base}/ci/*"],
                            "rekorURL": rekor_url,
                            "keyless": {
                                "certificateIdentityRegExp": r"https://github\.com/org/[a-z]+/\.github/workflows/.*",
                                "certificateOIDCIssuer": "https://token.actions.githubusercontent.com",
                            },
                        },
                        {
                            "name": "keys",
                            "scopes": [f"{base}/keys/*"],
                            "rekorURL": rekor_url,
                            "keys": [{"provider": "kp"}],
                        },
                    ],
                }
            ]
        },
        "keyManagementProviders": [
            {"name": "kp", "type": "inline", "parameters": {"contentType": "key", "value": pair.public_pem()}}
        ],
    }
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return path


def verify(config: Path, subject: str) -> tuple[int, dict[str, Any]]:
    out = io.StringIO()
    code = main(["verify", "--config", str(config), "--subject", subject], out=out, err=io.StringIO())
    return code, json.loads(out.getvalue())


WORKFLOW = "https://github.com/org/app/.github/workflows/release.yml@refs/tags/v1"
ACTIONS = "https://token.actions.githubusercontent.com"


def test_keyless_through_the_cli(
    docker_registry: str, tmp_path: Path, key_pair: Callable[..., KeyPair]
) -> None:
    fake = FakeSigstore()
    fake.write_trusted_root(tmp_path / "trusted_root.json")
    pair = key_pair()
    base = f"{docker_registry}/keyless{tmp_path.name[-6:]}"
    store = OCIRegistryStore()

    with RekorServer(fake) as rekor:
        config = write_config(tmp_path, base, pair, rekor.url)
        good = push_image(store, f"{base}/ci/app:v1")
        sign_image(store, good, fake.signer(WORKFLOW, ACTIONS))
        code, result = verify(config, str(good))
        assert code == 0, result
        check = result["verifierReports"][0]["extensions"]["signatures"][0]["verifications"][0]
        assert check["bundleVerified"] is True

        online = push_image(store, f"{base}/ci/online:v1")
        sign_image(store, online, fake.signer(WORKFLOW, ACTIONS, bundle=False))
        code, result = verify(config, str(online))
        assert code == 0, result
        assert rekor.requests >= 2

        keyed = push_image(store, f"{base}/keys/app:v1")
        sign_image(store, keyed, pair, SignOptions(rekor=fake))
        code, result = verify(config, str(keyed))
        assert code == 0, result

        failures: dict[str, tuple[dict[str, Any], FailureReason]] = {
            "wrong-repo": (
                {"identity": "https://github.com/other/app/.github/workflows/x.yml@refs/heads/main"},
                FailureReason.IDENTITY_MISMATCH,
            ),
            "wrong-issuer": ({"issuer": "https://accounts.google.com"}, FailureReason.IDENTITY_MISMATCH),
            "partial": (
                {"identity": f"https://evil.example/?next={WORKFLOW}"},
                FailureReason.IDENTITY_MISMATCH,
            ),
            "no-sct": ({"sct": False}, FailureReason.SCT_INVALID),
        }
        for name, (options, reason) in failures.items():
            image = push_image(store, f"{base}/ci/{name}:v1")
            kwargs: dict[str, Any] = {"identity": WORKFLOW, "issuer": ACTIONS, **options}
            sign_image(store, image, fake.signer(**kwargs))
            code, result = verify(config, str(image))
            assert code == 1, (name, result)
            # The same verification through the API, which carries the reason.
            assert cause(verify_as_cli(config, str(image))) is reason, name

    unreachable = write_config(tmp_path, base, pair, unreachable_url())
    offline = push_image(store, f"{base}/ci/offline:v1")
    sign_image(store, offline, fake.signer(WORKFLOW, ACTIONS, bundle=False))
    code, result = verify(unreachable, str(offline))
    assert code == 1, result
    assert cause(verify_as_cli(unreachable, str(offline))) is FailureReason.TLOG_UNAVAILABLE
