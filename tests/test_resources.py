"""Ratify's Kubernetes resources (YAML) as configuration, and the legacy cosign mode."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from cosign_verify import ConfigError, Executor, FailureReason, MemoryStore, load_config
from cosign_verify.cli import main
from cosign_verify.testing import FakeSigstore, KeyPair, push_image, sign_image
from cosign_verify.wiring import build_store, build_verifiers

from .conftest import EXAMPLES, cause

SIG = "application/vnd.dev.cosign.artifact.sig.v1+json"
EXAMPLE_FILES = sorted([*EXAMPLES.glob("*.json"), *EXAMPLES.glob("k8s/*.yaml")])


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_every_shipped_example_loads_and_builds(path: Path) -> None:
    config = load_config(path)
    assert config.verifiers
    assert build_verifiers(config)
    out, err = io.StringIO(), io.StringIO()
    assert main(["check-config", "--config", str(path)], out=out, err=err) == 0, err.getvalue()


def test_multi_namespace_example_contents() -> None:
    config = load_config(EXAMPLES / "k8s" / "multi-key-multi-namespace.yaml")
    assert [p.name for p in config.key_management_providers] == [
        "release-keys",
        "dev/team-keys",
        "test/team-keys",
    ]
    [verifier] = config.verifiers
    assert verifier.name == "verifier-cosign" and verifier.type == "cosign"
    assert [p.name for p in verifier.trust_policies] == ["dev", "test"]
    assert config.store.cosign_enabled is True
    assert config.policy.artifact_verification_policies == {SIG: "any"}


def verifier(**parameters: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": "cosign", "artifactTypes": SIG}
    if parameters:
        spec["parameters"] = parameters
    return {
        "apiVersion": "config.ratify.deislabs.io/v1beta1",
        "kind": "Verifier",
        "metadata": {"name": "v"},
        "spec": spec,
    }


def resource(kind: str, spec: dict[str, Any], **metadata: str) -> dict[str, Any]:
    return {
        "apiVersion": "config.ratify.deislabs.io/v1beta1",
        "kind": kind,
        "metadata": {"name": "r", **metadata},
        "spec": spec,
    }


GOOD_POLICY = {"name": "p", "scopes": ["r.example/*"], "keys": [{"provider": "kp"}]}
INLINE = {"type": "inline", "parameters": {"contentType": "key", "value": "PEM"}}


def write(tmp_path: Path, *documents: Any) -> Path:
    path = tmp_path / "resources.yaml"
    path.write_text(yaml.safe_dump_all(documents))
    return path


@pytest.mark.parametrize(
    ("documents", "path", "message"),
    [
        (
            [verifier(trustPolicies=[{**GOOD_POLICY, "scopes": ["bad scope"]}])],
            "document 0: spec.parameters.trustPolicies[0].scopes[0]",
            "contains characters",
        ),
        (
            [verifier(trustPolicies=[{**GOOD_POLICY, "scope": ["x"]}])],
            "document 0: spec.parameters.trustPolicies[0]",
            "'scope' was unexpected",
        ),
        (
            [verifier(trustPolicys=[GOOD_POLICY])],
            "document 0: spec.parameters",
            "'trustPolicys' was unexpected",
        ),
        (
            [verifier(trustPolicies=[GOOD_POLICY, {**GOOD_POLICY, "name": "q"}])],
            "document 0: spec.parameters.trustPolicies[1].scopes[0]",
            "overlaps",
        ),
        (
            [{**verifier(), "spec": {"name": "cosign"}}],
            "document 0: spec",
            "'artifactTypes' is a required property",
        ),
        (
            [{**verifier(), "apiVersion": "config.ratify.deislabs.io/v2"}],
            "document 0: apiVersion",
            "is not one of",
        ),
        ([resource("Store", {"name": "redis"})], "document 0: spec.name", "'oras' was expected"),
        (
            [resource("Store", {"name": "oras", "parameters": {"cosignEnabeld": True}})],
            "document 0: spec.parameters",
            "'cosignEnabeld' was unexpected",
        ),
        (
            [resource("KeyManagementProvider", {**INLINE, "type": "azurekeyvault"})],
            "document 0: spec.type",
            "'inline' was expected",
        ),
        (
            [
                resource(
                    "KeyManagementProvider",
                    {"type": "inline", "parameters": {"contentType": "blob", "value": "x"}},
                )
            ],
            "document 0: spec.parameters.contentType",
            "is not one of",
        ),
        (
            [resource("NamespacedKeyManagementProvider", INLINE)],
            "document 0: metadata",
            "'namespace' is a required property",
        ),
        ([resource("Policy", {"type": "regopolicy"})], "document 0: spec.type", "does not match"),
        (
            [
                resource(
                    "Policy",
                    {"type": "configpolicy", "parameters": {"artifactVerificationPolicies": {SIG: "most"}}},
                )
            ],
            f'document 0: spec.parameters.artifactVerificationPolicies["{SIG}"]',
            "is not one of",
        ),
        (
            [resource("Store", {"name": "oras"}), resource("Store", {"name": "oras"})],
            "document 1: metadata.name",
            "only one Store",
        ),
        (
            [resource("Policy", {"type": "configpolicy"}), resource("Policy", {"type": "configpolicy"})],
            "document 1: metadata.name",
            "only one Policy",
        ),
    ],
)
def test_invalid_resources(tmp_path: Path, documents: list[Any], path: str, message: str) -> None:
    file = write(tmp_path, *documents)
    with pytest.raises(ConfigError) as info:
        load_config(file)
    assert info.value.path == f"{file}: {path}", str(info.value)
    assert message in info.value.reason


def test_legacy_key_with_trust_policies_is_an_error(tmp_path: Path) -> None:
    file = write(tmp_path, verifier(key="/k.pub", trustPolicies=[GOOD_POLICY]))
    with pytest.raises(ConfigError, match="'key' and 'trustPolicies' cannot be configured together"):
        load_config(file)


def test_unknown_kinds_are_reported_and_skipped(tmp_path: Path, key_pair: Callable[..., KeyPair]) -> None:
    (tmp_path / "k.pub").write_text(key_pair().public_pem())
    file = write(
        tmp_path, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}, verifier(key="k.pub")
    )
    config = load_config(file)
    assert len(config.verifiers) == 1
    assert config.skipped == (
        f"{file}: document 0: kind 'ConfigMap' is not a Ratify configuration kind; skipped",
    )
    err = io.StringIO()
    main(["check-config", "--config", str(file)], out=io.StringIO(), err=err)
    assert "kind 'ConfigMap'" in err.getvalue()


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    file = tmp_path / "broken.yaml"
    file.write_text("kind: Verifier\nspec: [unclosed\n")
    with pytest.raises(ConfigError, match=r"not valid YAML at line \d+ column \d+"):
        load_config(file)


def test_several_files_merge(tmp_path: Path) -> None:
    verifiers = write(tmp_path, verifier(trustPolicies=[GOOD_POLICY]))
    providers = tmp_path / "providers.yaml"
    providers.write_text(yaml.safe_dump(resource("KeyManagementProvider", INLINE, name="kp")))
    cli = tmp_path / "store.json"
    cli.write_text(json.dumps({"store": {"plugins": [{"name": "oras", "useHttp": True}]}}))
    config = load_config([verifiers, providers, cli])
    assert config.store.use_http is True
    assert [p.name for p in config.key_management_providers] == ["kp"]
    assert config.verifiers[0].trust_policies[0].name == "p"
    twice = tmp_path / "store2.json"
    twice.write_text(cli.read_text())
    with pytest.raises(ConfigError, match="a store is configured twice"):
        load_config([cli, twice])


def pem_swap(text: str, old: str, new: str) -> str:
    """Replace a PEM block inside indented YAML, line by line (both are P-256 keys: same line count)."""
    old_lines, new_lines = old.strip().splitlines(), new.strip().splitlines()
    assert len(old_lines) == len(new_lines)
    for before, after in zip(old_lines[1:-1], new_lines[1:-1], strict=True):
        assert before in text
        text = text.replace(before, after)
    return text


def test_multi_namespace_walkthrough(
    tmp_path: Path, store: MemoryStore, key_pair: Callable[..., KeyPair]
) -> None:
    original = (EXAMPLES / "k8s" / "multi-key-multi-namespace.yaml").read_text()
    documents = list(yaml.safe_load_all(original))
    release, dev, test = (key_pair("ecdsa-p256", n) for n in (10, 11, 12))
    text = original
    for document, pair in zip(documents[:3], (release, dev, test), strict=True):
        text = pem_swap(text, document["spec"]["parameters"]["value"], pair.public_pem())
    path = tmp_path / "walkthrough.yaml"
    path.write_text(text)
    executor = Executor.from_config(load_config(path), store)

    dev_image = push_image(store, "myregistry.io/dev/app:v1")
    sign_image(store, dev_image, dev)
    release_image = push_image(store, "myregistry.io/dev/tool:v1")
    sign_image(store, release_image, release)
    test_image = push_image(store, "myregistry.io/test/app:v1")
    sign_image(store, test_image, test)
    cross = push_image(store, "myregistry.io/test/cross:v1")
    sign_image(store, cross, dev)

    assert executor.verify(dev_image, namespace="dev").is_success
    assert executor.verify(release_image, namespace="dev").is_success
    assert executor.verify(test_image, namespace="test").is_success
    denied = executor.verify(dev_image, namespace="test")
    assert not denied.is_success
    assert [r.reason for r in denied.verifier_reports] == [FailureReason.KEY_ACCESS_DENIED]
    crossed = executor.verify(cross, namespace="test")
    assert not crossed.is_success
    assert cause(crossed) is FailureReason.SIGNATURE_INVALID


def test_legacy_key_report_shape(
    tmp_path: Path, store: MemoryStore, key_pair: Callable[..., KeyPair]
) -> None:
    pair, other = key_pair(), key_pair("ed25519")
    (tmp_path / "cosign.pub").write_text(pair.public_pem())
    file = write(tmp_path, verifier(key="cosign.pub"))
    executor = Executor.from_config(load_config(file), store)
    image = push_image(store, "anywhere.example/any/app:v1")
    sign_image(store, image, other)
    sign_image(store, image, pair)
    result = executor.verify(image)
    bad_signature, _ = result.verifier_reports[0].signatures
    assert [v.reason for v in bad_signature.verifications] == [FailureReason.SIGNATURE_INVALID]
    report = result.to_dict()["verifierReports"][0]
    assert report["isSuccess"] is True
    assert report["message"] == "cosign verification success. valid signatures found"
    assert "trustPolicy" not in report["extensions"]
    bad, good = report["extensions"]["signatures"]
    assert set(good) == {"signatureDigest", "isSuccess", "bundleVerified"}
    assert good["isSuccess"] is True and good["bundleVerified"] is False
    assert set(bad) == {"signatureDigest", "isSuccess", "bundleVerified", "error"}
    assert bad["isSuccess"] is False


def test_legacy_keyless_accepts_any_fulcio_identity(tmp_path: Path, store: MemoryStore) -> None:
    fake = FakeSigstore()
    fake.write_trusted_root(tmp_path / "root.json")
    file = write(tmp_path, verifier(rekorURL="http://127.0.0.1:9", trustedRoot="root.json"))
    executor = Executor.from_config(load_config(file), store)
    image = push_image(store, "anywhere.example/any/app:v1")
    sign_image(store, image, fake.signer("whoever@example.com", "https://any.example"))
    report = executor.verify(image).to_dict()["verifierReports"][0]
    assert report["isSuccess"] is True, report
    assert report["extensions"]["signatures"][0]["bundleVerified"] is True
    unsigned = push_image(store, "anywhere.example/any/other:v1")
    sign_image(store, unsigned, FakeSigstore().signer())  # another, untrusted Sigstore
    assert not executor.verify(unsigned).is_success


def test_a_misspelt_ratify_kind_is_an_error_with_a_suggestion(tmp_path: Path) -> None:
    misspelt = {**verifier(key="k.pub"), "kind": "Verifer"}
    file = write(tmp_path, misspelt)
    with pytest.raises(ConfigError) as info:
        load_config(file)
    assert info.value.path == f"{file}: document 0: kind"
    assert "unknown Ratify kind 'Verifer' (did you mean 'Verifier'?)" in info.value.reason


def test_ratify_kinds_we_do_not_read_are_skipped_by_name(
    tmp_path: Path, key_pair: Callable[..., KeyPair]
) -> None:
    (tmp_path / "k.pub").write_text(key_pair().public_pem())
    store = resource("NamespacedStore", {"name": "oras"})
    config = load_config(write(tmp_path, store, verifier(key="k.pub")))
    assert len(config.skipped) == 1
    assert "kind 'NamespacedStore' is a Ratify kind we do not read; skipped" in config.skipped[0]


@pytest.mark.parametrize("kind", ["NamespacedVerifier", "NamespacedPolicy"])
def test_namespaced_verifiers_and_policies_are_refused_not_skipped(
    kind: str, tmp_path: Path, key_pair: Callable[..., KeyPair]
) -> None:
    """Skipping one would judge that namespace's images by the cluster-wide resources alone."""
    (tmp_path / "k.pub").write_text(key_pair().public_pem())
    file = write(tmp_path, verifier(key="k.pub"), resource(kind, {"name": "strict"}))
    with pytest.raises(ConfigError) as info:
        load_config(file)
    assert info.value.path == f"{file}: document 1: kind"
    assert f"kind {kind!r} is not supported" in info.value.reason
    assert info.value.remediation is not None and "cluster-wide" in info.value.remediation


def test_kubectl_list_output_loads_item_by_item(tmp_path: Path, key_pair: Callable[..., KeyPair]) -> None:
    (tmp_path / "k.pub").write_text(key_pair().public_pem())
    store = resource("Store", {"name": "oras", "parameters": {"cosignEnabled": True}})
    listing = {"apiVersion": "v1", "kind": "List", "items": [store, verifier(key="k.pub")]}
    config = load_config(write(tmp_path, listing))
    assert [v.name for v in config.verifiers] == ["v"]
    assert config.store.configured and config.store.cosign_enabled
    # the same listing as `kubectl get -o json` prints it
    as_json = tmp_path / "resources.json"
    as_json.write_text(json.dumps(listing))
    assert [v.name for v in load_config(as_json).verifiers] == ["v"]


def test_an_error_inside_a_list_names_the_item(tmp_path: Path) -> None:
    broken = verifier(key="k.pub")
    broken["spec"]["artifactTypes"] = "other/type"
    file = write(tmp_path, {"apiVersion": "v1", "kind": "List", "items": [broken]})
    with pytest.raises(ConfigError) as info:
        load_config(file)
    assert info.value.path == f"{file}: document 0, items[0]: spec.artifactTypes"


def test_errors_found_after_translation_name_the_resource(tmp_path: Path) -> None:
    """A key file that is missing is found when verifiers are built; the error points into the YAML."""
    notation = resource("Verifier", {"name": "notation", "artifactTypes": "x", "parameters": {}})
    file = write(tmp_path, notation, verifier(key="missing.pub"))
    config = load_config(file)
    with pytest.raises(ConfigError) as info:
        build_verifiers(config)
    assert info.value.path is not None and info.value.path.startswith(f"{file}: document 1: spec.parameters")


def test_verifier_without_a_store_reads_sig_tags_and_says_so(
    tmp_path: Path, key_pair: Callable[..., KeyPair]
) -> None:
    """Ratify's samples ship a Verifier alone; its .sig signatures must still be found."""
    (tmp_path / "k.pub").write_text(key_pair().public_pem())
    config = load_config(write(tmp_path, verifier(key="k.pub")))
    assert config.store.cosign_enabled and not config.store.configured
    assert any("no store is configured" in warning for warning in config.warnings)
    assert build_store(config).options.cosign_enabled
