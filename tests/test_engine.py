from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from cosign_verify import (
    ConfigError,
    ConfigPolicy,
    CosignVerifier,
    Executor,
    ExecutorOptions,
    FailureReason,
    InlineKeyProvider,
    InvalidReferenceError,
    KeyProviders,
    KeyRef,
    MemoryStore,
    Reference,
    TrustPolicy,
    VerifierReport,
    load_config,
)
from cosign_verify.mediatypes import COSIGN_SIGNATURE_ARTIFACT_TYPE as SIG
from cosign_verify.testing import KeyPair, SignOptions, push_image, sign_image
from cosign_verify.wiring import build_key_providers

SBOM = "application/spdx+json"


def report(artifact_type: str, ok: bool) -> VerifierReport:
    return VerifierReport(
        subject="s", is_success=ok, name="v", artifact_type=artifact_type, reference_digest="d", message="m"
    )


@pytest.mark.parametrize(
    ("rules", "reports", "expected"),
    [
        # default is 'all' when unset
        ({}, [(SIG, True)], True),
        ({}, [(SIG, True), (SIG, False)], False),
        ({}, [], False),
        # any
        ({SIG: "any"}, [(SIG, False), (SIG, True)], True),
        ({SIG: "any"}, [(SIG, False), (SIG, False)], False),
        # all
        ({SIG: "all"}, [(SIG, True), (SIG, True)], True),
        ({SIG: "all"}, [(SIG, True), (SIG, False)], False),
        # a configured type with no reports fails
        ({SIG: "any", SBOM: "any"}, [(SIG, True)], False),
        ({SIG: "any", SBOM: "all"}, [(SIG, True), (SBOM, True)], True),
        # unconfigured types follow default
        ({SIG: "any"}, [(SIG, True), (SBOM, False)], False),
        ({SIG: "any", "default": "any"}, [(SIG, True), (SBOM, False), (SBOM, True)], True),
        ({"default": "any"}, [(SBOM, False)], False),
        ({"default": "any"}, [(SBOM, False), (SIG, True)], False),
        # default alone is not a required type
        ({"default": "all"}, [(SIG, True)], True),
        # no reports at all fails whatever the rules
        ({"default": "any"}, [], False),
    ],
)
def test_config_policy_decision_table(
    rules: dict[str, str], reports: list[tuple[str, bool]], expected: bool
) -> None:
    decision = ConfigPolicy(rules).decide([report(t, ok) for t, ok in reports])
    assert decision.is_success is expected, decision.message
    assert (decision.reason is None) is expected


def test_config_policy_rejects_unknown_rule() -> None:
    with pytest.raises(ConfigError, match="use 'any' or 'all'"):
        ConfigPolicy({SIG: "most"})


def setup(store: MemoryStore, pair: KeyPair, policy_rules: dict[str, str] | None = None) -> Executor:
    providers = KeyProviders([InlineKeyProvider("kp", pair.public_pem())])
    policy = TrustPolicy(name="p", scopes=["*"], keys=[KeyRef(provider="kp")], tlog_verify=False)
    return Executor(store, [CosignVerifier([policy], providers)], ConfigPolicy(policy_rules or {SIG: "any"}))


def test_tagged_subject_is_resolved(store: MemoryStore, key_pair: Callable[..., KeyPair]) -> None:
    pair = key_pair()
    image = push_image(store, "registry.example/team/app:v1")
    sign_image(store, image, pair)
    result = setup(store, pair).verify("registry.example/team/app:v1")
    assert result.is_success
    assert result.subject == f"registry.example/team/app@{image.digest}"
    assert result.verifier_reports[0].subject == result.subject


def test_tag_resolution_can_be_turned_off(store: MemoryStore, key_pair: Callable[..., KeyPair]) -> None:
    pair = key_pair()
    push_image(store, "registry.example/team/app:v1")
    ex = setup(store, pair)
    strict = Executor(ex.store, ex.verifiers, ex.policy, ExecutorOptions(resolve_tags=False))
    result = strict.verify("registry.example/team/app:v1")
    assert not result.is_success and result.reason is FailureReason.SUBJECT_UNRESOLVED
    assert result.verifier_reports == ()


def test_unknown_tag_and_bad_reference(store: MemoryStore, key_pair: Callable[..., KeyPair]) -> None:
    ex = setup(store, key_pair())
    result = ex.verify("registry.example/team/missing:v1")
    assert not result.is_success and result.reason is FailureReason.SUBJECT_UNRESOLVED
    with pytest.raises(InvalidReferenceError):
        ex.verify("Not A Reference")


def test_all_policy_with_one_bad_referrer(store: MemoryStore, key_pair: Callable[..., KeyPair]) -> None:
    pair = key_pair()
    image = push_image(store, "registry.example/team/app:v1")
    sign_image(store, image, pair, SignOptions(layout="referrer"))
    sign_image(store, image, key_pair("ecdsa-p256", 1), SignOptions(layout="tag"))
    assert setup(store, pair, {SIG: "any"}).verify(image).is_success
    result = setup(store, pair, {SIG: "all"}).verify(image)
    assert not result.is_success
    assert [r.is_success for r in result.verifier_reports] == [True, False]


def test_referrers_without_a_verifier_are_ignored(
    store: MemoryStore, key_pair: Callable[..., KeyPair]
) -> None:
    pair = key_pair()
    image = push_image(store, "registry.example/team/app:v1")
    assert image.digest
    sbom = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": SBOM,
        "config": {
            "mediaType": "application/vnd.oci.empty.v1+json",
            "digest": "sha256:" + "4" * 64,
            "size": 2,
        },
        "layers": [],
        "subject": {
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": image.digest,
            "size": 1,
        },
    }
    store.push_manifest(image, json.dumps(sbom).encode())
    sign_image(store, image, pair)
    result = setup(store, pair).verify(image)
    assert result.is_success
    assert [r.artifact_type for r in result.verifier_reports] == [SIG]


def test_verifier_exception_fails_closed(store: MemoryStore, key_pair: Callable[..., KeyPair]) -> None:
    pair = key_pair()
    image = push_image(store, "registry.example/team/app:v1")
    sign_image(store, image, pair)

    class Exploding(CosignVerifier):
        def verify(self, *args: object, **kwargs: object) -> VerifierReport:
            raise RuntimeError("bug")

    policy = TrustPolicy(name="p", scopes=["*"], keys=[KeyRef(provider="kp")])
    ex = Executor(store, [Exploding([policy], KeyProviders([InlineKeyProvider("kp", pair.public_pem())]))])
    result = ex.verify(image)
    assert not result.is_success
    assert result.verifier_reports[0].reason is FailureReason.VERIFIER_FAILED


def test_an_attestation_verifier_that_raises_fails_its_attestation_rule(
    store: MemoryStore, key_pair: Callable[..., KeyPair]
) -> None:
    """The failure is filed under the artifact type the verifier's reports are decided under, so a rule
    for attestations sees it (not under the bundle or tag type, where no rule would)."""
    from cosign_verify.attestations import AttestationVerifier
    from cosign_verify.mediatypes import COSIGN_ATTESTATION_ARTIFACT_TYPE
    from cosign_verify.testing import AttestOptions, FakeSigstore, attest_image

    pair = key_pair()
    image = push_image(store, "registry.example/team/app:v1")  # a cosign 3 bundle referrer: not our label
    attest_image(
        store, image, pair, {"builder": {"id": "ci"}}, AttestOptions(layout="bundle", rekor=FakeSigstore())
    )

    class Exploding(AttestationVerifier):
        def verify(self, *args: object, **kwargs: object) -> VerifierReport:
            raise RuntimeError("bug")

    policy = TrustPolicy(name="p", scopes=["*"], keys=[KeyRef(provider="kp")], tlog_verify=False)
    verifier = Exploding([policy], KeyProviders([InlineKeyProvider("kp", pair.public_pem())]))
    result = Executor(store, [verifier], ConfigPolicy({COSIGN_ATTESTATION_ARTIFACT_TYPE: "all"})).verify(
        image
    )
    assert not result.is_success
    [report] = result.verifier_reports
    assert report.reason is FailureReason.VERIFIER_FAILED
    assert report.artifact_type == COSIGN_ATTESTATION_ARTIFACT_TYPE


def test_a_signature_verifier_does_not_take_the_attestation_label(key_pair: Callable[..., KeyPair]) -> None:
    """Its reports would be decided under the label, and a signature would meet a rule for attestations."""
    from cosign_verify.mediatypes import COSIGN_ATTESTATION_ARTIFACT_TYPE

    policy = TrustPolicy(name="p", scopes=["*"], keys=[KeyRef(provider="kp")])
    providers = KeyProviders([InlineKeyProvider("kp", key_pair().public_pem())])
    with pytest.raises(
        ConfigError, match="is cosign attestations, which a signature verifier does not judge"
    ):
        CosignVerifier([policy], providers, artifact_types=[SIG, COSIGN_ATTESTATION_ARTIFACT_TYPE])
    config = {
        "verifier": {
            "plugins": [
                {
                    "name": "cosign",
                    "artifactTypes": f"{SIG},{COSIGN_ATTESTATION_ARTIFACT_TYPE}",
                    "trustPolicies": [{"name": "p", "scopes": ["*"], "keys": [{"file": "k.pub"}]}],
                }
            ]
        }
    }
    with pytest.raises(ConfigError) as info:
        load_config(config)
    assert info.value.path == "verifier.plugins[0].artifactTypes"
    assert "cosign-attestation" in (info.value.remediation or "")


def test_from_config_end_to_end(tmp_path: Path, store: MemoryStore, key_pair: Callable[..., KeyPair]) -> None:
    inline, filed = key_pair("ecdsa-p256"), key_pair("rsa-3072")
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "ns2.pub").write_text(filed.public_pem())
    config = {
        "policy": {"plugin": {"name": "configPolicy", "artifactVerificationPolicies": {SIG: "any"}}},
        "verifier": {
            "plugins": [
                {
                    "name": "cosign",
                    "artifactTypes": SIG,
                    "trustPolicies": [
                        {
                            "name": "p1",
                            "scopes": ["myregistry.io/ns1/*"],
                            "keys": [{"provider": "kp"}],
                            "tLogVerify": False,
                        },
                        {
                            "name": "p2",
                            "scopes": ["myregistry.io/ns2/*"],
                            "keys": [{"file": "keys/ns2.pub"}],
                            "tLogVerify": False,
                        },
                    ],
                }
            ]
        },
        "keyManagementProviders": [
            {
                "name": "kp",
                "type": "inline",
                "parameters": {"contentType": "key", "value": inline.public_pem()},
            }
        ],
    }
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    ex = Executor.from_config(load_config(path), store)
    one = push_image(store, "myregistry.io/ns1/app:v1")
    two = push_image(store, "myregistry.io/ns2/app:v1")
    sign_image(store, one, inline)
    sign_image(store, two, filed)
    assert ex.verify(one).is_success
    assert ex.verify(two).is_success
    sign_image(store, push_image(store, "myregistry.io/ns2/other:v1"), inline)
    assert not ex.verify("myregistry.io/ns2/other:v1").is_success


def test_from_config_errors(tmp_path: Path, example_config_path: Path, store: MemoryStore) -> None:
    config = load_config(example_config_path)
    # the shipped example builds (keys load, providers resolve)
    assert len(Executor.from_config(config, store).verifiers) == 1
    data = json.loads(example_config_path.read_text())
    data["verifier"]["plugins"][0]["trustPolicies"][0]["keys"] = [{"provider": "missing"}]
    with pytest.raises(ConfigError) as info:
        Executor.from_config(load_config(data), store)
    assert "trust policy 'policy-1': key management provider 'missing' is not defined" in str(info.value)
    assert info.value.path == "verifier.plugins[0]"
    data = json.loads(example_config_path.read_text())
    data["keyManagementProviders"][0]["parameters"]["value"] = "garbage"
    with pytest.raises(ConfigError) as info:
        build_key_providers(load_config(data))
    assert info.value.path == "keyManagementProviders[0]"
    legacy = load_config(
        {"verifier": {"plugins": [{"name": "cosign", "artifactTypes": SIG, "key": "/k.pub"}]}}
    )
    with pytest.raises(ConfigError, match=r"cannot read key file '/k\.pub'") as info:
        Executor.from_config(legacy, store)
    assert info.value.path == "verifier.plugins[0]"


def test_unique_verifier_names(store: MemoryStore, key_pair: Callable[..., KeyPair]) -> None:
    policy = TrustPolicy(name="p", scopes=["*"], keys=[KeyRef(provider="kp")])
    providers = KeyProviders([InlineKeyProvider("kp", key_pair().public_pem())])
    with pytest.raises(ConfigError, match="verifier names must be unique"):
        Executor(store, [CosignVerifier([policy], providers), CosignVerifier([policy], providers)])


def test_reference_subject_accepted(store: MemoryStore, key_pair: Callable[..., KeyPair]) -> None:
    pair = key_pair()
    image = push_image(store, "registry.example/team/app:v1")
    sign_image(store, image, pair)
    assert setup(store, pair).verify(Reference.parse(str(image))).is_success
