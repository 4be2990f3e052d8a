from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest

from cosign_verify import ConfigError, MemoryStore, load_config
from cosign_verify._internal.schema import json_path
from cosign_verify.testing import KeyPair

COSIGN = "application/vnd.dev.cosign.artifact.sig.v1+json"


def base() -> dict[str, Any]:
    return {
        "store": {"version": "1.0.0", "plugins": [{"name": "oras", "cosignEnabled": True, "useHttp": True}]},
        "policy": {
            "version": "1.0.0",
            "plugin": {"name": "configPolicy", "artifactVerificationPolicies": {COSIGN: "any"}},
        },
        "verifier": {
            "version": "1.0.0",
            "plugins": [
                {
                    "name": "cosign",
                    "artifactTypes": COSIGN,
                    "trustPolicies": [
                        {"name": "p1", "scopes": ["myregistry.io/ns1/*"], "keys": [{"provider": "kp"}]},
                        {"name": "p2", "scopes": ["myregistry.io/ns2/*"], "keys": [{"file": "k.pub"}]},
                    ],
                }
            ],
        },
        "keyManagementProviders": [
            {"name": "kp", "type": "inline", "parameters": {"contentType": "key", "value": "PEM"}}
        ],
    }


def test_loads_the_shipped_example(example_config_path: Path) -> None:
    config = load_config(example_config_path)
    assert config.base_dir == example_config_path.parent.resolve()
    assert config.store.cosign_enabled is True
    assert config.policy.artifact_verification_policies == {COSIGN: "any"}
    assert config.policy.default == "all"
    [verifier] = config.verifiers
    assert [p.name for p in verifier.trust_policies] == ["policy-1", "policy-2", "policy-3"]
    assert verifier.trust_policies[2].keyless is not None
    assert verifier.matcher.match("myregistry.io/namespace2/app:v1").name == "policy-2"  # type: ignore[union-attr]
    assert [p.name for p in config.key_management_providers] == ["inline-keyprovider"]


def test_dict_with_defaults() -> None:
    config = load_config(
        {"verifier": {"plugins": [{"name": "cosign", "artifactTypes": f"{COSIGN}, other/type"}]}}
    )
    [verifier] = config.verifiers
    assert verifier.artifact_types == (COSIGN, "other/type")
    assert verifier.legacy and verifier.rekor_url == "https://rekor.sigstore.dev"
    # without a store section the oras store reads cosign's .sig tags too, and says so
    assert config.store.cosign_enabled is True and config.store.configured is False
    assert config.store.ttl == 10
    assert config.policy.default == "all"
    assert any("no store is configured" in w for w in config.warnings)
    assert any("other/type" in w for w in config.warnings)


def test_configured_store_keeps_ratify_default_for_cosign_enabled() -> None:
    config = load_config(
        {
            "store": {"plugins": [{"name": "oras"}]},
            "verifier": {"plugins": [{"name": "cosign", "artifactTypes": COSIGN}]},
        }
    )
    assert config.store.cosign_enabled is False and config.store.configured is True
    assert any("cosignEnabled" in w for w in config.warnings)


def test_legacy_key_and_type_field() -> None:
    config = load_config(
        {
            "verifier": {
                "plugins": [{"name": "my-cosign", "type": "cosign", "artifactTypes": COSIGN, "key": "/k.pub"}]
            }
        }
    )
    assert config.verifiers[0].name == "my-cosign"
    assert config.verifiers[0].key == "/k.pub"
    assert not any("any Fulcio identity" in w for w in config.warnings)


def test_legacy_keyless_warns_that_any_identity_passes() -> None:
    plugin = {
        "name": "keyless",
        "type": "cosign",
        "artifactTypes": COSIGN,
        "rekorURL": "https://rekor.sigstore.dev",
    }
    config = load_config({"verifier": {"plugins": [plugin]}})
    assert any(
        "'keyless': legacy keyless configuration accepts a signature from any Fulcio" in w
        for w in config.warnings
    )


def test_non_cosign_verifiers_are_ignored() -> None:
    data = base()
    data["verifier"]["plugins"].append({"name": "notation", "artifactTypes": "x", "verificationCerts": ["a"]})
    config = load_config(data)
    assert config.ignored_verifiers == ("notation",)
    assert len(config.verifiers) == 1


def mutate(path: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(base())
    target: Any = data
    parts = path.split("/")
    for part in parts[:-1]:
        target = target[int(part)] if part.isdigit() else target[part]
    last = parts[-1]
    if value is _DELETE:
        del target[int(last) if last.isdigit() else last]
    elif last.isdigit() and int(last) == len(target):
        target.append(value)
    elif last.isdigit():
        target[int(last)] = value
    else:
        target[last] = value
    return data


_DELETE = object()
_TP = "verifier/plugins/0/trustPolicies"


@pytest.mark.parametrize(
    ("path", "value", "error_path", "message"),
    [
        ("verifer", {}, "(top level)", "Additional properties are not allowed ('verifer' was unexpected)"),
        (
            "store/plugins/0/cosignEnabled",
            "yes",
            "store.plugins[0].cosignEnabled",
            "is not of type 'boolean'",
        ),
        ("store/plugins/0/ttl", -1, "store.plugins[0].ttl", "less than the minimum"),
        ("store/plugins/0/name", "redis", "store.plugins[0].name", "unsupported store plugin 'redis'"),
        ("policy/plugin/name", "regoPolicy", "policy.plugin.name", "unsupported policy plugin"),
        (
            "policy/plugin/artifactVerificationPolicies/default",
            "some",
            "policy.plugin.artifactVerificationPolicies.default",
            "'some' is not one of ['any', 'all']",
        ),
        ("verifier/plugins/0/artifactTypes", _DELETE, "verifier.plugins[0]", "'artifactTypes' is a required"),
        (
            "verifier/plugins/0/artifactTypes",
            " , ",
            "verifier.plugins[0].artifactTypes",
            "names nothing a cosign verifier can verify",
        ),
        ("verifier/plugins/0/trustPolicy", [], "verifier.plugins[0]", "('trustPolicy' was unexpected)"),
        ("verifier/plugins/0/key", "/k.pub", "verifier.plugins[0].key", "'key' and 'trustPolicies' cannot"),
        (f"{_TP}/1/scopes/0", 7, "verifier.plugins[0].trustPolicies[1].scopes[0]", "is not of type 'string'"),
        (
            f"{_TP}/1/scopes/0",
            "myregistry.io/ns1/a*",
            "verifier.plugins[0].trustPolicies[1].scopes[0]",
            "overlaps",
        ),
        (
            f"{_TP}/1/scopes/0",
            "bad scope",
            "verifier.plugins[0].trustPolicies[1].scopes[0]",
            "contains characters",
        ),
        (f"{_TP}/1/name", "p1", "verifier.plugins[0].trustPolicies[1].name", "also used"),
        (
            f"{_TP}/0/keys/0/nmae",
            "x",
            "verifier.plugins[0].trustPolicies[0].keys[0]",
            "('nmae' was unexpected)",
        ),
        (
            f"{_TP}/0/keys/0/file",
            "k.pub",
            "verifier.plugins[0].trustPolicies[0].keys[0]",
            "cannot be specified together",
        ),
        (
            f"{_TP}/0/version",
            "2.0.0",
            "verifier.plugins[0].trustPolicies[0].version",
            "unsupported trust policy",
        ),
        (f"{_TP}/0/keys", [], "verifier.plugins[0].trustPolicies[0]", "no keys defined"),
        ("keyManagementProviders/0/type", "azurekeyvault", "keyManagementProviders[0].type", "is not one of"),
        (
            "keyManagementProviders/0/parameters/contentType",
            "blob",
            "keyManagementProviders[0].parameters.contentType",
            "is not one of ['key', 'certificate']",
        ),
        (
            "keyManagementProviders/0/parameters",
            _DELETE,
            "keyManagementProviders[0]",
            "'parameters' is a required",
        ),
        (
            "keyManagementProviders/1",
            {"name": "kp", "type": "file", "parameters": {"path": "/keys"}},
            "keyManagementProviders[1].name",
            "used more than once",
        ),
    ],
)
def test_invalid_configs(path: str, value: Any, error_path: str, message: str) -> None:
    data = mutate(path, value)
    with pytest.raises(ConfigError) as info:
        load_config(data)
    assert info.value.path == error_path, str(info.value)
    assert message in info.value.reason


def test_every_schema_error_is_listed() -> None:
    data = mutate("store/plugins/0/useHttp", "no")
    data["policy"]["plugin"]["artifactVerificationPolicies"][COSIGN] = "most"
    with pytest.raises(ConfigError) as info:
        load_config(data)
    assert "(and 1 more)" in info.value.reason
    assert len(info.value.errors) == 2
    assert any(e.startswith("store.plugins[0].useHttp") for e in info.value.errors)


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"store": ', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"not valid JSON: .* line 1 column 11"):
        load_config(bad)
    listed = tmp_path / "list.json"
    listed.write_text("[]", encoding="utf-8")
    with pytest.raises(ConfigError, match="must be a JSON object"):
        load_config(listed)
    binary = tmp_path / "bin.json"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(binary)


def test_file_base_dir(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps(base()), encoding="utf-8")
    assert load_config(path).base_dir == tmp_path.resolve()


def test_json_path_formatting() -> None:
    assert json_path(["verifier", "plugins", 0, "trustPolicies", 1, "scopes", 0]) == (
        "verifier.plugins[0].trustPolicies[1].scopes[0]"
    )
    assert json_path(["policy", "a/b"]) == 'policy["a/b"]'
    assert json_path([]) == ""


def attestation_plugin(**fields: Any) -> dict[str, Any]:
    plugin = {
        "name": "provenance",
        "type": "cosign-attestation",
        "artifactTypes": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "predicateTypes": ["slsaprovenance1"],
        "trustPolicies": [{"name": "att", "scopes": ["*"], "keys": [{"provider": "kp"}]}],
    }
    plugin.update(fields)
    return plugin


@pytest.mark.parametrize("predicate_types", [None, []])
def test_an_attestation_verifier_must_name_its_predicate_types(predicate_types: list[str] | None) -> None:
    config = base()
    plugin = attestation_plugin(predicateTypes=predicate_types)
    if predicate_types is None:
        del plugin["predicateTypes"]
    config["verifier"]["plugins"].append(plugin)
    with pytest.raises(ConfigError, match="must name the predicate types it accepts") as info:
        load_config(config)
    assert info.value.path == "verifier.plugins[1].predicateTypes"
    config["verifier"]["plugins"][1] = attestation_plugin()
    assert load_config(config).verifiers[1].predicate_types == ("slsaprovenance1",)


def test_an_attestation_trust_policy_cannot_require_annotations(tmp_path: Path) -> None:
    """Annotations are a signature's: an attestation verifier refuses them rather than ignore them."""
    from cosign_verify import AttestationVerifier, InlineKeyProvider, KeyProviders, KeyRef, TrustPolicy
    from cosign_verify.testing import generate_key_pair

    providers = KeyProviders([InlineKeyProvider("kp", generate_key_pair().public_pem())])
    policy = TrustPolicy(name="att", scopes=["*"], keys=[KeyRef(provider="kp")], annotations={"env": "prod"})
    with pytest.raises(ConfigError, match="annotations are checked on signatures, not on attestations"):
        AttestationVerifier([policy], providers, predicate_types=["slsaprovenance1"])
    AttestationVerifier(
        [attrs.evolve(policy, annotations={})], providers, predicate_types=["slsaprovenance1"]
    )


def test_artifact_types_a_verifier_cannot_verify_are_a_warning_that_says_what_happens(
    store: MemoryStore, key_pair: Callable[..., KeyPair], tmp_path: Path
) -> None:
    """A cosign verifier told to take SBOMs checks them as signatures, and they fail: the warning says so."""
    from cosign_verify import Executor
    from cosign_verify.testing import push_image, sign_image
    from cosign_verify.testing.signer import push_referrer
    from cosign_verify.wiring import build_verifiers

    pair = key_pair()
    (tmp_path / "k.pub").write_text(pair.public_pem())
    sbom = "application/spdx+json"
    policy = {"name": "p", "scopes": ["*"], "keys": [{"file": str(tmp_path / "k.pub")}], "tLogVerify": False}
    plugin = {
        "name": "cosign",
        "type": "cosign",
        "artifactTypes": f"{COSIGN},{sbom}",
        "trustPolicies": [policy],
    }
    config = load_config({"verifier": {"plugins": [plugin]}})
    assert any(
        f"{sbom} are not cosign signatures; referrers of those types are checked" in w
        for w in config.warnings
    )
    image = push_image(store, "registry.example/team/app:v1")
    sign_image(store, image, pair)
    sbom_blob = store.push_blob(image, b'{"spdxVersion": "SPDX-2.3"}')
    layer = {"mediaType": sbom, "digest": sbom_blob.digest, "size": sbom_blob.size}
    push_referrer(store, image, store.resolve(image), [layer], sbom)
    result = Executor(store, build_verifiers(config)).verify(image)
    assert not result.is_success
    assert {r.artifact_type: r.is_success for r in result.verifier_reports} == {COSIGN: True, sbom: False}
