from __future__ import annotations

import itertools

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from cosign_verify import ConfigError, KeyRef, Reference, Scope, ScopeKind, ScopeMatcher, TrustPolicy

DIGEST = "sha256:" + "c" * 64


def tp(name: str, *scopes: str) -> TrustPolicy:
    return TrustPolicy(name=name, scopes=scopes, keys=[KeyRef(provider="kp")])


def ref(text: str) -> Reference:
    return Reference.parse(text)


def test_scope_kinds() -> None:
    assert Scope.parse("*").kind is ScopeKind.GLOBAL
    wildcard = Scope.parse("myregistry.io/ns/*")
    assert (wildcard.kind, wildcard.prefix) == (ScopeKind.WILDCARD, "myregistry.io/ns/")
    exact = Scope.parse(f"myregistry.io/ns/img@{DIGEST}")
    assert exact.kind is ScopeKind.EXACT
    assert exact.matches(f"myregistry.io/ns/img@{DIGEST}")
    assert not exact.matches(f"myregistry.io/ns/img2@{DIGEST}")
    assert Scope.parse("my_registry.io/my_ns/*").kind is ScopeKind.WILDCARD  # '_' is legal in paths


@pytest.mark.parametrize(
    ("scope", "message"),
    [
        ("", "scope is empty"),
        ("myregistry.io/*/img", "'*' may appear only once, as the last character"),
        ("myregistry.io/**", "'*' may appear only once"),
        ("myregistry.io/ns img*", "contains characters no image reference can contain: ' '"),
        ("myregistry.io/ns?*", "'?'"),
        ("myregistry.io/Ns/img:v1", "not a valid reference"),
        ("nginx", "not in normalised form"),
        ("myregistry.io/ns/img@sha256:abc", "not a valid reference"),
    ],
)
def test_invalid_scopes(scope: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        Scope.parse(scope)
    assert message in str(info.value)


def test_non_normalised_scope_suggests_the_normalised_form() -> None:
    with pytest.raises(ConfigError) as info:
        Scope.parse("nginx:1.25")
    assert info.value.remediation == "write it as 'docker.io/library/nginx:1.25'"


def test_seed_policies_match() -> None:
    matcher = ScopeMatcher(
        [
            tp("policy-1", "myregistry.io/namespace1/image*"),
            tp("policy-2", "myregistry.io/namespace2*"),
            TrustPolicy.from_dict(
                {
                    "name": "policy-3",
                    "scopes": ["myregistry.io/namespace3*"],
                    "keyless": {"certificateIdentity": "a@b.c", "certificateOIDCIssuer": "https://i"},
                }
            ),
        ]
    )
    assert matcher.match(ref(f"myregistry.io/namespace1/image-a@{DIGEST}")).name == "policy-1"  # type: ignore[union-attr]
    assert matcher.match(ref(f"myregistry.io/namespace2/x/y@{DIGEST}")).name == "policy-2"  # type: ignore[union-attr]
    assert matcher.match(ref(f"myregistry.io/namespace3b/z@{DIGEST}")).name == "policy-3"  # type: ignore[union-attr]
    assert matcher.match(ref(f"myregistry.io/namespace1/other@{DIGEST}")) is None
    assert matcher.match(ref(f"other.io/namespace1/image@{DIGEST}")) is None
    assert matcher.match(f"myregistry.io/namespace2/x@{DIGEST}").name == "policy-2"  # type: ignore[union-attr]


def test_exact_beats_global_and_global_is_last_resort() -> None:
    exact = f"myregistry.io/ns/img@{DIGEST}"
    matcher = ScopeMatcher([tp("global", "*"), tp("exact", exact), tp("wild", "myregistry.io/other/*")])
    assert matcher.match(ref(exact)).name == "exact"  # type: ignore[union-attr]
    assert matcher.match(ref(f"myregistry.io/other/a@{DIGEST}")).name == "wild"  # type: ignore[union-attr]
    assert matcher.match(ref(f"myregistry.io/ns/img2@{DIGEST}")).name == "global"  # type: ignore[union-attr]


def test_tag_scope_does_not_match_digest_form() -> None:
    matcher = ScopeMatcher([tp("tagged", "myregistry.io/ns/img:v1")])
    assert matcher.match(ref(f"myregistry.io/ns/img@{DIGEST}")) is None
    assert matcher.match(ref("myregistry.io/ns/img:v1")).name == "tagged"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("policies", "message", "path"),
    [
        (
            [tp("a", "myregistry.io/ns*"), tp("b", "myregistry.io/ns/img*")],
            "scope 'myregistry.io/ns*' of trust policy 'a' overlaps scope 'myregistry.io/ns/img*' of trust policy 'b'",
            "trustPolicies[1].scopes[0]",
        ),
        (
            [tp("a", "myregistry.io/ns/img*", "myregistry.io/ns/*")],
            "scope 'myregistry.io/ns/*' of trust policy 'a' overlaps scope 'myregistry.io/ns/img*' of trust policy 'a'",
            "trustPolicies[0].scopes[0]",
        ),
        (
            [tp("a", f"myregistry.io/ns/img@{DIGEST}"), tp("b", "myregistry.io/ns/*")],
            "overlaps scope 'myregistry.io/ns/img@",
            "trustPolicies[0].scopes[0]",
        ),
        (
            [tp("a", "myregistry.io/x*"), tp("b", "myregistry.io/x*")],
            "scope 'myregistry.io/x*' of trust policy 'a' overlaps scope 'myregistry.io/x*' of trust policy 'b'",
            "trustPolicies[1].scopes[0]",
        ),
        ([tp("a", "myregistry.io/x*", "myregistry.io/x*")], "duplicate scope", "trustPolicies[0].scopes[1]"),
        (
            [tp("a", "*"), tp("b", "*")],
            "trust policies 'a' (trustPolicies[0]) and 'b'",
            "trustPolicies[1].scopes[0]",
        ),
        ([tp("a", "*", "myregistry.io/*")], "must be the policy's only scope", "trustPolicies[0].scopes[0]"),
        (
            [tp("a", "myregistry.io/*"), tp("a", "other.io/*")],
            "name 'a' is also used",
            "trustPolicies[1].name",
        ),
        (
            [tp("a", "my registry")],
            "trust policy 'a': scope 'my registry' contains",
            "trustPolicies[0].scopes[0]",
        ),
    ],
)
def test_invalid_policy_sets(policies: list[TrustPolicy], message: str, path: str) -> None:
    with pytest.raises(ConfigError) as info:
        ScopeMatcher(policies)
    assert message in info.value.reason
    assert info.value.path == path


def test_exact_scope_that_is_prefix_of_another_is_fine() -> None:
    matcher = ScopeMatcher([tp("a", "myregistry.io/ns/img:v1"), tp("b", "myregistry.io/ns/img:v10")])
    assert matcher.match(ref("myregistry.io/ns/img:v10")).name == "b"  # type: ignore[union-attr]


# --- property test: agree with a brute-force matcher on random policy sets ---

_segments = st.sampled_from(
    ["a", "ab", "b", "a/", "ab/", "a/b", "a/c", "b/a", "c", "d/e", "f/", "g1", "h-i/j"]
)
_wildcard = st.builds(lambda s: f"r.io/{s}*", _segments)
_exact = st.builds(lambda s: f"r.io/{s.rstrip('/')}@{DIGEST}", _segments)
_scope = st.one_of(st.just("*"), _wildcard, _exact, _wildcard, _exact, _wildcard, _exact)
_reference = st.builds(lambda s: f"r.io/{s.rstrip('/')}@{DIGEST}", _segments) | st.builds(
    lambda s: f"r.io/{s.rstrip('/')}/x@{DIGEST}", _segments
)


def _brute_overlaps(scopes: list[str]) -> bool:
    if len(set(scopes)) != len(scopes):
        return True
    for x, y in itertools.permutations([s for s in scopes if s != "*"], 2):
        if x.endswith("*") and y.rstrip("*").startswith(x[:-1]):
            return True
    return False


def _brute_match(policies: list[TrustPolicy], text: str) -> str | None:
    for policy in policies:
        if text in policy.scopes:
            return policy.name
    for policy in policies:
        for scope in policy.scopes:
            if scope != "*" and scope.endswith("*") and text.startswith(scope[:-1]):
                return policy.name
    for policy in policies:
        if "*" in policy.scopes:
            return policy.name
    return None


@settings(max_examples=500, deadline=None)
@given(
    groups=st.lists(st.lists(_scope, min_size=1, max_size=3), min_size=1, max_size=5),
    references=st.lists(_reference, min_size=1, max_size=8),
)
def test_matcher_agrees_with_brute_force(groups: list[list[str]], references: list[str]) -> None:
    policies = [tp(f"p{i}", *scopes) for i, scopes in enumerate(groups)]
    all_scopes = [s for scopes in groups for s in scopes]
    globals_ok = (
        all(("*" not in scopes or scopes == ["*"]) for scopes in groups) and all_scopes.count("*") <= 1
    )
    valid = globals_ok and not _brute_overlaps(all_scopes)
    event("valid set" if valid else "invalid set")
    if not valid:
        with pytest.raises(ConfigError):
            ScopeMatcher(policies)
        return
    matcher = ScopeMatcher(policies)
    for text in references:
        found = matcher.match(Reference.parse(text))
        assert (found.name if found else None) == _brute_match(policies, text)
