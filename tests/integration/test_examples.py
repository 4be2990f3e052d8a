"""Every example in docs/examples, used end to end through the CLI against docker-registry.

The examples name `myregistry.io` / `ghcr.io/org` and ship public keys only,
so each test copies its example, points it at the test registry, swaps in
keys it holds the private halves of, and (for policies that check the
transparency log) a FakeSigstore trusted root.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from cosign_verify import FailureReason
from cosign_verify.cli import main
from cosign_verify.store import OCIRegistryStore
from cosign_verify.testing import FakeSigstore, KeyPair, SignOptions, push_image, sign_image

from ..conftest import EXAMPLES, cause, verify_as_cli
from ..test_resources import pem_swap

pytestmark = pytest.mark.integration


def verify(configs: list[Path], subject: str, *extra: str) -> tuple[int, dict[str, Any]]:
    argv = ["verify", "--subject", subject, *extra]
    for config in configs:
        argv += ["--config", str(config)]
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out=out, err=err)
    assert out.getvalue(), err.getvalue()
    return code, json.loads(out.getvalue())


def test_cli_json_example(docker_registry: str, tmp_path: Path, key_pair: Callable[..., KeyPair]) -> None:
    fake = FakeSigstore()
    data = json.loads(
        (EXAMPLES / "ratify-cli-config.json").read_text().replace("myregistry.io", docker_registry)
    )
    inline, filed = key_pair("ecdsa-p256", 20), key_pair("rsa-3072")
    data["keyManagementProviders"][0]["parameters"]["value"] = inline.public_pem()
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "namespace2.pub").write_text(filed.public_pem())
    data["verifier"]["plugins"][0]["trustedRoot"] = "trusted_root.json"
    fake.write_trusted_root(tmp_path / "trusted_root.json")
    config = tmp_path / "config.json"
    config.write_text(json.dumps(data))

    store = OCIRegistryStore()
    one = push_image(store, f"{docker_registry}/namespace1/image-a:v1")
    sign_image(store, one, inline, SignOptions(rekor=fake))
    two = push_image(store, f"{docker_registry}/namespace2/app:v1")
    sign_image(store, two, filed, SignOptions(rekor=fake))
    three = push_image(store, f"{docker_registry}/namespace3/app:v1")
    sign_image(store, three, fake.signer("user@example.com", "https://accounts.google.com"))
    for image in (one, two, three):
        code, result = verify([config], str(image))
        assert code == 0, result
    swapped = push_image(store, f"{docker_registry}/namespace2/swapped:v1")
    sign_image(
        store, swapped, inline, SignOptions(rekor=fake)
    )  # the inline key is not trusted for namespace2
    assert verify([config], str(swapped))[0] == 1
    # The same verifications through the API, which carries the reasons.
    assert cause(verify_as_cli(config, str(swapped))) is FailureReason.SIGNATURE_INVALID
    unlogged = push_image(store, f"{docker_registry}/namespace1/image-unlogged:v1")
    sign_image(store, unlogged, inline)  # no Rekor bundle, and Rekor is not reachable from here
    code, result = verify([config], str(unlogged))
    assert code == 1, result
    assert cause(verify_as_cli(config, str(unlogged))) is FailureReason.TLOG_UNAVAILABLE


def test_multi_namespace_example(
    docker_registry: str, tmp_path: Path, key_pair: Callable[..., KeyPair]
) -> None:
    original = (EXAMPLES / "k8s" / "multi-key-multi-namespace.yaml").read_text()
    documents = list(yaml.safe_load_all(original))
    release, dev, test = (key_pair("ecdsa-p256", n) for n in (30, 31, 32))
    text = original.replace("myregistry.io", docker_registry)
    for document, pair in zip(documents[:3], (release, dev, test), strict=True):
        text = pem_swap(text, document["spec"]["parameters"]["value"], pair.public_pem())
    config = tmp_path / "resources.yaml"
    config.write_text(text)

    store = OCIRegistryStore()
    dev_image = push_image(store, f"{docker_registry}/dev/app:v1")
    sign_image(store, dev_image, dev)
    test_image = push_image(store, f"{docker_registry}/test/app:v1")
    sign_image(store, test_image, test)
    assert verify([config], str(dev_image), "--namespace", "dev")[0] == 0
    assert verify([config], str(test_image), "--namespace", "test")[0] == 0
    code, result = verify([config], str(dev_image), "--namespace", "test")
    assert code == 1, result
    # The same verifications through the API, which carries the reasons.
    denied = verify_as_cli(config, str(dev_image), namespace="test")
    assert cause(denied) is FailureReason.KEY_ACCESS_DENIED
    assert verify([config], str(dev_image))[0] == 1  # cluster-wide: namespaced providers are off limits
    assert cause(verify_as_cli(config, str(dev_image))) is FailureReason.KEY_ACCESS_DENIED


def test_keyless_example(docker_registry: str, tmp_path: Path) -> None:
    fake = FakeSigstore()
    fake.write_trusted_root(tmp_path / "trusted_root.json")
    documents = list(
        yaml.safe_load_all(
            (EXAMPLES / "k8s" / "keyless.yaml").read_text().replace("ghcr.io/org", f"{docker_registry}/org")
        )
    )
    documents[0]["spec"]["parameters"]["trustedRoot"] = "trusted_root.json"
    documents[0]["spec"]["parameters"]["trustPolicies"][0]["rekorURL"] = "http://127.0.0.1:9"
    config = tmp_path / "keyless.yaml"
    config.write_text(yaml.safe_dump_all(documents))

    store = OCIRegistryStore()
    workflow = "https://github.com/org/app/.github/workflows/release.yml@refs/tags/v1.2.0"
    image = push_image(store, f"{docker_registry}/org/app:v1")
    sign_image(store, image, fake.signer(workflow, "https://token.actions.githubusercontent.com"))
    assert verify([config], str(image))[0] == 0
    nightly = push_image(store, f"{docker_registry}/org/nightly:v1")
    sign_image(
        store,
        nightly,
        fake.signer(
            workflow.replace("release.yml", "nightly.yml"), "https://token.actions.githubusercontent.com"
        ),
    )
    code, result = verify([config], str(nightly))
    assert code == 1, result
    # The same verification through the API, which carries the reason.
    assert cause(verify_as_cli(config, str(nightly))) is FailureReason.IDENTITY_MISMATCH


def test_legacy_example(docker_registry: str, tmp_path: Path, key_pair: Callable[..., KeyPair]) -> None:
    pair = key_pair("ecdsa-p256", 40)
    (tmp_path / "k8s").mkdir()
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "namespace2.pub").write_text(pair.public_pem())
    config = tmp_path / "k8s" / "legacy.yaml"
    config.write_text((EXAMPLES / "k8s" / "legacy.yaml").read_text())

    store = OCIRegistryStore()
    image = push_image(store, f"{docker_registry}/legacy/app:v1")
    sign_image(store, image, pair)
    code, result = verify([config], str(image))
    assert code == 0, result
    assert result["verifierReports"][0]["message"] == "cosign verification success. valid signatures found"
    other = push_image(store, f"{docker_registry}/legacy/other:v1")
    sign_image(store, other, key_pair("ecdsa-p256", 41))
    assert verify([config], str(other))[0] == 1
    assert cause(verify_as_cli(config, str(other))) is FailureReason.SIGNATURE_INVALID
