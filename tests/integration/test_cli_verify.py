"""``cosign-verify verify`` end to end against docker-registry, with the attacks."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cosign_verify import FailureReason, Reference
from cosign_verify.cli import main
from cosign_verify.mediatypes import COSIGN_SIGNATURE_ARTIFACT_TYPE
from cosign_verify.store import OCIRegistryStore, cosign_signature_tag
from cosign_verify.testing import KeyPair, SignOptions, make_payload, push_image, sign_image

from ..conftest import cause, verify_as_cli

pytestmark = pytest.mark.integration


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), out=out, err=err), out.getvalue(), err.getvalue()


@pytest.fixture
def setup(
    docker_registry: str, tmp_path: Path, key_pair: Callable[..., KeyPair]
) -> tuple[Path, OCIRegistryStore, str, KeyPair]:
    pair = key_pair()
    base = f"{docker_registry}/cli{tmp_path.name[-6:]}"
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
                    "trustPolicies": [
                        {
                            "name": "team",
                            "scopes": [f"{base}/team/*"],
                            "keys": [{"provider": "kp"}],
                            "tLogVerify": False,
                        }
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
    return path, OCIRegistryStore(), base, pair


def verify(config: Path, *subjects: str, output: str = "json") -> tuple[int, Any, str]:
    argv = ["verify", "--config", str(config), "--output", output]
    for subject in subjects:
        argv += ["--subject", subject]
    code, out, err = run(*argv)
    return code, (json.loads(out) if output == "json" and out else out), err


def pinned(image: Reference) -> str:
    assert image.digest
    return str(image.with_digest(image.digest))


def test_signed_image_passes(setup: tuple[Path, OCIRegistryStore, str, KeyPair]) -> None:
    config, store, base, pair = setup
    image = push_image(store, f"{base}/team/app:v1")
    sign_image(store, image, pair)
    code, result, err = verify(config, pinned(image))
    assert code == 0, result
    assert result["isSuccess"] is True
    assert result["verifierReports"][0]["extensions"]["signatures"][0]["isSuccess"] is True
    # the policy's own warning, once, and nothing else
    assert err.splitlines() == [
        "warning: trust policy 'team': tLogVerify is false: signatures are accepted without transparency-log proof"
    ]


def test_tag_subject_warns(setup: tuple[Path, OCIRegistryStore, str, KeyPair]) -> None:
    config, store, base, pair = setup
    image = push_image(store, f"{base}/team/app:v2")
    sign_image(store, image, pair)
    code, _, err = verify(config, f"{base}/team/app:v2")
    assert code == 0
    assert err.count(f"warning: subject {base}/team/app:v2 is given by tag") == 1


def test_attacks_fail(
    setup: tuple[Path, OCIRegistryStore, str, KeyPair], key_pair: Callable[..., KeyPair]
) -> None:
    config, store, base, pair = setup
    wrong_key = push_image(store, f"{base}/team/wrong-key:v1")
    sign_image(store, wrong_key, key_pair("ecdsa-p256", 7))

    other = push_image(store, f"{base}/team/other:v1")
    assert other.digest
    other_digest = push_image(store, f"{base}/team/other-digest:v1")
    sign_image(store, other_digest, pair, SignOptions(payload=make_payload(other.digest, other.name)))

    source = push_image(store, f"{base}/team/source:v1")
    copied = push_image(store, f"{base}/team/copied:v1")
    assert copied.digest
    signature = sign_image(store, source, pair)
    stolen = store.fetch_manifest(source, signature.digest)
    document = json.loads(stolen)
    for blob_descriptor in [document["config"], *document["layers"]]:
        store.push_blob(copied, store.fetch_blob(source, blob_descriptor["digest"]))
    store.push_manifest(copied, stolen, tag=cosign_signature_tag(copied.digest))

    tampered = push_image(store, f"{base}/team/tampered:v1")
    assert tampered.digest
    descriptor = sign_image(store, tampered, pair)
    manifest = json.loads(store.fetch_manifest(tampered, descriptor.digest))
    forged = store.fetch_blob(tampered, manifest["layers"][0]["digest"]).replace(
        b'"optional":null', b'"optional":{}'
    )
    blob = store.push_blob(tampered, forged)
    manifest["layers"][0].update(digest=blob.digest, size=blob.size)
    store.push_manifest(tampered, json.dumps(manifest).encode(), tag=cosign_signature_tag(tampered.digest))

    unsigned = push_image(store, f"{base}/team/unsigned:v1")
    outside = push_image(store, f"{base}/elsewhere/app:v1")
    sign_image(store, outside, pair)

    expectations = {
        pinned(wrong_key): FailureReason.SIGNATURE_INVALID,
        pinned(other_digest): FailureReason.SUBJECT_MISMATCH,
        pinned(copied): FailureReason.SUBJECT_MISMATCH,
        pinned(tampered): FailureReason.SIGNATURE_INVALID,
        pinned(unsigned): FailureReason.NO_SIGNATURES,
        pinned(outside): FailureReason.NO_TRUST_POLICY,
    }
    for subject, reason in expectations.items():
        code, result, _ = verify(config, subject)
        assert code == 1, subject
        assert result["isSuccess"] is False
        # The same verification through the API, which carries the reason.
        assert cause(verify_as_cli(config, subject)) is reason, (subject, result)


def test_several_subjects_and_table(setup: tuple[Path, OCIRegistryStore, str, KeyPair]) -> None:
    config, store, base, pair = setup
    good = push_image(store, f"{base}/team/good:v1")
    sign_image(store, good, pair)
    bad = push_image(store, f"{base}/team/bad:v1")
    code, results, _ = verify(config, pinned(good), pinned(bad))
    assert code == 1
    assert [r["isSuccess"] for r in results] == [True, False]
    code, table, _ = verify(config, pinned(good), pinned(bad), output="table")
    assert code == 1
    lines = table.splitlines()
    assert lines[0].split() == ["SUBJECT", "RESULT", "ARTIFACT", "TYPE", "REFERRER", "DETAIL"]
    assert " PASS " in lines[1] and " FAIL " in lines[2]
    code, _, _ = verify(config, pinned(good))
    assert code == 0


def test_usage_errors(setup: tuple[Path, OCIRegistryStore, str, KeyPair], tmp_path: Path) -> None:
    config, _, base, _ = setup
    code, _, err = verify(config, "Not/A/Reference")
    assert code == 2 and "invalid reference" in err
    broken = tmp_path / "broken.json"
    broken.write_text('{"verifier": {"plugins": [{"name": "cosign"}]}}')
    code, _, err = verify(broken, f"{base}/team/app:v1")
    assert code == 2 and "'artifactTypes' is a required property" in err
