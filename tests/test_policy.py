from __future__ import annotations

import time
from typing import Any

import pytest

from cosign_verify import ConfigError, Keyless, KeyRef, TrustPolicy
from cosign_verify.policy import DEFAULT_REKOR_URL

KEYLESS = {"certificateIdentity": "me@example.com", "certificateOIDCIssuer": "https://accounts.google.com"}


def policy(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"name": "p", "scopes": ["myregistry.io/ns/*"], "keys": [{"provider": "kp"}]}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_defaults_and_round_trip() -> None:
    tp = TrustPolicy.from_dict(policy())
    assert tp.version == "1.0.0"
    assert tp.tlog_verify is True
    assert tp.rekor_url == DEFAULT_REKOR_URL
    assert tp.keys == (KeyRef(provider="kp"),)
    assert tp.to_dict() == {
        "name": "p",
        "version": "1.0.0",
        "scopes": ["myregistry.io/ns/*"],
        "keys": [{"provider": "kp"}],
        "tLogVerify": True,
        "rekorURL": DEFAULT_REKOR_URL,
    }
    assert TrustPolicy.from_dict(tp.to_dict()) == tp


def test_keyless_policy() -> None:
    tp = TrustPolicy.from_dict(policy(keys=None, keyless={**KEYLESS, "ctLogVerify": False}, tLogVerify=False))
    assert tp.keyless == Keyless(
        certificate_identity="me@example.com",
        certificate_oidc_issuer="https://accounts.google.com",
        ct_log_verify=False,
    )
    assert tp.tlog_verify is False
    assert tp.to_dict()["keyless"]["ctLogVerify"] is False


def test_regexp_keyless_and_named_versioned_keys() -> None:
    tp = TrustPolicy.from_dict(
        policy(
            keys=[{"provider": "kp", "name": "k1", "version": "v2"}, {"file": "/keys/a.pub"}],
            rekorURL="https://r",
        )
    )
    assert tp.keys[0] == KeyRef(provider="kp", name="k1", version="v2")
    assert tp.keys[1].file == "/keys/a.pub"
    assert tp.rekor_url == "https://r"
    regex = TrustPolicy.from_dict(
        policy(
            keys=None,
            keyless={
                "certificateIdentityRegExp": r".*@example\.com",
                "certificateOIDCIssuerRegExp": "https://.*",
            },
        )
    )
    assert regex.keyless is not None and regex.keyless.certificate_identity_regexp == r".*@example\.com"


@pytest.mark.parametrize(
    ("overrides", "path", "message"),
    [
        ({"version": "2.0.0"}, "tp.version", "unsupported trust policy version"),
        ({"name": ""}, "tp.name", "name parameter is required"),
        ({"name": None}, "tp.name", "name parameter is required"),
        ({"scopes": []}, "tp.scopes", "scopes parameter is required"),
        ({"scopes": None}, "tp.scopes", "scopes parameter is required"),
        ({"keys": []}, "tp", "no keys defined and keyless section not configured"),
        ({"keyless": KEYLESS}, "tp", "keys and keyless cannot be configured together"),
        ({"keys": [{}]}, "tp.keys[0]", "key provider or key file path must be specified"),
        ({"keys": [{"provider": "a", "file": "b"}]}, "tp.keys[0]", "cannot be specified together"),
        ({"keys": [{"provider": "a", "version": "1"}]}, "tp.keys[0]", "key name must be specified"),
        ({"keys": [{"file": "a", "name": "x"}]}, "tp.keys[0]", "apply only to a key provider"),
        ({"keys": None, "keyless": {"certificateOIDCIssuer": "x"}}, "tp.keyless", "certificate identity or"),
        ({"keys": None, "keyless": {"certificateIdentity": "x"}}, "tp.keyless", "certificate OIDC issuer or"),
        (
            {"keys": None, "keyless": {**KEYLESS, "certificateIdentityRegExp": ".*"}},
            "tp.keyless",
            "only one of certificate identity",
        ),
        (
            {"keys": None, "keyless": {**KEYLESS, "certificateOIDCIssuerRegExp": ".*"}},
            "tp.keyless",
            "only one of certificate OIDC issuer",
        ),
        (
            {"keys": None, "keyless": {"certificateIdentityRegExp": "(", "certificateOIDCIssuer": "x"}},
            "tp.keyless.certificateIdentityRegExp",
            "not a regular expression RE2",
        ),
        (
            {"keys": None, "keyless": {"certificateIdentity": "x", "certificateOIDCIssuerRegExp": "[a-"}},
            "tp.keyless.certificateOIDCIssuerRegExp",
            "not a regular expression RE2",
        ),
        ({"scope": ["x"]}, "tp", "unknown field(s) 'scope'"),
        ({"keys": [{"provider": "a", "nmae": "k"}]}, "tp.keys[0]", "unknown field(s) 'nmae'"),
        ({"keys": None, "keyless": {**KEYLESS, "ctlogVerify": True}}, "tp.keyless", "unknown field(s)"),
        ({"tLogVerify": "false"}, "tp.tLogVerify", "expected true or false"),
        ({"scopes": "myregistry.io/*"}, "tp.scopes", "expected a list of strings"),
        ({"scopes": [1]}, "tp.scopes[0]", "expected a string"),
        ({"keys": {"provider": "a"}}, "tp.keys", "keys must be a list"),
        ({"keys": ["kp"]}, "tp.keys[0]", "expected an object"),
    ],
)
def test_invalid_policies(overrides: dict[str, Any], path: str, message: str) -> None:
    data = policy(**overrides)
    if "name" in overrides and overrides["name"] is None:
        data.pop("name", None)
    with pytest.raises(ConfigError) as info:
        TrustPolicy.from_dict(data, path="tp")
    assert info.value.path == path
    assert message in info.value.reason


def test_validation_order_follows_ratify() -> None:
    # Version is checked before the missing name, the name before scopes.
    with pytest.raises(ConfigError, match="unsupported trust policy version"):
        TrustPolicy.from_dict({"version": "0.9", "keys": []})
    with pytest.raises(ConfigError, match="name parameter is required"):
        TrustPolicy.from_dict({"scopes": [], "keys": []})
    with pytest.raises(ConfigError, match="scopes parameter is required"):
        TrustPolicy.from_dict({"name": "p", "keys": []})


def test_direct_construction_validates_too() -> None:
    with pytest.raises(ConfigError, match="keys and keyless cannot be configured together"):
        TrustPolicy(
            name="p",
            scopes=["*"],
            keys=[KeyRef(provider="kp")],
            keyless=Keyless(certificate_identity="a", certificate_oidc_issuer="b"),
        )
    with pytest.raises(ConfigError) as info:
        TrustPolicy(name="p", scopes=["*"], keys=[KeyRef(provider="a"), KeyRef(file="f")], version="2")
    assert info.value.path == "version"
    with pytest.raises(ConfigError, match="key provider or key file path"):
        KeyRef()


def test_non_mapping_policy() -> None:
    with pytest.raises(ConfigError, match="expected an object"):
        TrustPolicy.from_dict(["not", "a", "dict"])  # type: ignore[arg-type]


def test_regexps_are_re2_named_by_policy_and_run_in_linear_time() -> None:
    with pytest.raises(ConfigError) as info:
        TrustPolicy.from_dict(
            {
                "name": "ci",
                "scopes": ["*"],
                "keyless": {"certificateIdentityRegExp": "(?=lookahead)x", "certificateOIDCIssuer": "x"},
            }
        )
    assert "trust policy 'ci'" in info.value.reason
    assert info.value.path == "trustPolicy.keyless.certificateIdentityRegExp"
    assert "RE2" in (info.value.remediation or "")

    from cosign_verify._internal.certificate import RegexMatch

    catastrophic = RegexMatch("(a+)+$")  # backtracks for minutes in Python's re
    started = time.perf_counter()
    assert not catastrophic.matches("a" * 50_000 + "!")
    assert time.perf_counter() - started < 1.0


def test_extension_fields_round_trip() -> None:
    """Our extensions: annotations, threshold, signatureRepository, Fulcio claims."""
    data = policy(
        keys=[{"provider": "a"}, {"provider": "b"}],
        annotations={"env": "prod"},
        threshold=2,
        signatureRepository="registry.example/signatures/app",
    )
    tp = TrustPolicy.from_dict(data)
    assert tp.annotations == (("env", "prod"),) and tp.threshold == 2
    assert tp.signature_repository == "registry.example/signatures/app"
    assert TrustPolicy.from_dict(tp.to_dict()) == tp
    keyless = {
        **KEYLESS,
        "certificateGithubWorkflowRef": "refs/tags/v1",
        "certificateExtensions": {"sourceRepositoryRef": "refs/tags/v1", "1.3.6.1.4.1.57264.1.20": "push"},
    }
    claimed = TrustPolicy.from_dict(policy(keys=None, keyless=keyless))
    assert claimed.keyless is not None
    assert [(c.oid, c.expected) for c in claimed.keyless.claims] == [
        ("1.3.6.1.4.1.57264.1.6", "refs/tags/v1"),
        ("1.3.6.1.4.1.57264.1.14", "refs/tags/v1"),
        ("1.3.6.1.4.1.57264.1.20", "push"),
    ]
    assert claimed.to_dict()["keyless"]["certificateGithubWorkflowRef"] == "refs/tags/v1"
    assert TrustPolicy.from_dict(claimed.to_dict()) == claimed


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"threshold": 0}, "threshold must be 1 or more"),
        ({"threshold": True}, "threshold must be 1 or more"),
        (
            {"threshold": 2, "keys": [{"file": "k.pub"}]},
            "threshold 2 asks for more signers than its 1 key(s)",
        ),
        (
            {"threshold": 3, "keys": [{"file": "k.pub"}, {"provider": "kp", "name": "release"}]},
            "threshold 3 asks for more signers than its 2 key(s)",
        ),
        ({"signatureRepository": "registry.example/sigs:v1"}, "is not a repository"),
        ({"signatureRepository": "Not A Repo"}, "is not a repository"),
        ({"annotations": {"env": 1}}, "expected a string, got int"),
        ({"annotations": ["env=prod"]}, "expected an object"),
        (
            {"keys": None, "keyless": {**KEYLESS, "certificateExtensions": {"sourceRepoRef": "x"}}},
            "unknown certificate extension 'sourceRepoRef' (did you mean 'sourceRepositoryRef'?)",
        ),
        (
            {"keys": None, "keyless": {**KEYLESS, "certificateExtensions": {"issuer": 7}}},
            "expected a string, got int",
        ),
    ],
)
def test_invalid_extension_fields(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        TrustPolicy.from_dict(policy(**overrides))
    assert message in str(info.value)
