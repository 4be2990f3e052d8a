from __future__ import annotations

import itertools

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from cosign_verify import ConfigError, KeyRef, Reference, ScopeMatcher, TrustPolicy
from cosign_verify.scope import Scope, ScopeKind

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
    assert Scope.parse("myregistry.io/my_ns/*").kind is ScopeKind.WILDCARD  # '_' is legal in paths
    every_digest = Scope.parse("myregistry.io/ns/img@*")
    assert (every_digest.kind, every_digest.prefix) == (ScopeKind.WILDCARD, "myregistry.io/ns/img@")
    assert every_digest.matches(f"myregistry.io/ns/img@{DIGEST}")
    assert not every_digest.matches(f"myregistry.io/ns/img2@{DIGEST}")


@pytest.mark.parametrize(
    ("scope", "canonical"),
    [
        ("REGISTRY.EXAMPLE/prod/*", "registry.example/prod/*"),
        ("Registry.Example:443/prod/*", "registry.example/prod/*"),
        ("[0:0:0:0:0:0:0:1]:5000/*", "[::1]:5000/*"),
        ("LOCALHOST:5000/ns/app@*", "localhost:5000/ns/app@*"),
        ("index.docker.io/library/*", "docker.io/library/*"),
        (f"nginx@{DIGEST}", f"docker.io/library/nginx@{DIGEST}"),
        (f"Registry.Example/app@{DIGEST}", f"registry.example/app@{DIGEST}"),
    ],
)
def test_scopes_are_matched_in_canonical_form(scope: str, canonical: str) -> None:
    parsed = Scope.parse(scope)
    assert (parsed.text, parsed.canonical) == (scope, canonical)


@pytest.mark.parametrize(
    ("scope", "message", "remediation"),
    [
        ("nginx:1.25", "names a tag", "'docker.io/library/nginx@*' for every digest"),
        (
            "myregistry.io/prod/app:v1",
            "names a tag",
            "'myregistry.io/prod/app@sha256:<digest>' for one image",
        ),
        (
            f"myregistry.io/prod/app:v1@{DIGEST}",
            "names a tag",
            f"write it as 'myregistry.io/prod/app@{DIGEST}'",
        ),
        ("myregistry.io/prod/app:v*", "names a tag", "'myregistry.io/prod/app*' for every repository"),
        ("ratify:*", "names a tag", "'docker.io/library/ratify@*'"),
        ("prod/app:v*", "names a tag", "'docker.io/prod/app@*'"),
        (
            "myregistry.io/prod/app",
            "names no digest, so it stands for the tag 'latest'",
            "'myregistry.io/prod/app@*'",
        ),
        ("localhost:5000*", "does not cover a whole registry host", "write it as 'localhost:5000/*'"),
        ("ghcr.io*", "does not cover a whole registry host", "write it as 'ghcr.io/*'"),
        ("[::1]:5000*", "does not cover a whole registry host", "write it as '[::1]:5000/*'"),
        ("myrepo/*", "does not name a registry host", "write it as 'docker.io/myrepo/*'"),
        ("nginx*", "does not name a registry host", "write it as 'docker.io/library/nginx*'"),
        ("myregistry.io/prod/app@sha256:ab*", "prefix of a digest", "'myregistry.io/prod/app@*'"),
        ("myregistry.io/Prod/*", "repository names are lowercase", "write it as 'myregistry.io/prod/*'"),
    ],
)
def test_scopes_that_depend_on_spelling_are_refused(scope: str, message: str, remediation: str) -> None:
    with pytest.raises(ConfigError) as info:
        Scope.parse(scope)
    assert message in info.value.reason
    assert remediation in (info.value.remediation or "")


@pytest.mark.parametrize(
    ("scope", "message"),
    [
        ("", "scope is empty"),
        ("myregistry.io/*/img", "'*' may appear only once, as the last character"),
        ("myregistry.io/**", "'*' may appear only once"),
        ("myregistry.io/ns img*", "contains characters no image reference can contain: ' '"),
        ("myregistry.io/ns?*", "'?'"),
        ("myregistry.io/Ns/img:v1", "not a valid reference"),
        ("nginx", "names no digest"),
        ("my_registry.io/ns/*", "invalid registry host"),
        ("registry.example:99999/*", "out of range"),
        ("myregistry.io/ns/img@sha256:abc", "not a valid reference"),
    ],
)
def test_invalid_scopes(scope: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        Scope.parse(scope)
    assert message in str(info.value)


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


def test_tags_never_take_part_in_matching() -> None:
    matcher = ScopeMatcher(
        [
            tp("repo", "myregistry.io/ns/img@*"),
            tp("pinned", f"myregistry.io/ns/pinned@{DIGEST}"),
            tp("g", "*"),
        ]
    )
    for text in (
        f"myregistry.io/ns/img@{DIGEST}",
        f"myregistry.io/ns/img:v1@{DIGEST}",
        "myregistry.io/ns/img:v1",
    ):
        assert matcher.match(ref(text)).name == "repo"  # type: ignore[union-attr]
    assert matcher.match(ref(f"myregistry.io/ns/pinned:v9@{DIGEST}")).name == "pinned"  # type: ignore[union-attr]
    # Without a digest an exact-digest scope cannot apply; the executor resolves tags first.
    assert matcher.match(ref("myregistry.io/ns/pinned:v9")).name == "g"  # type: ignore[union-attr]
    assert matcher.match(ref(f"myregistry.io/ns/img2@{DIGEST}")).name == "g"  # type: ignore[union-attr]


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


def test_repository_scope_that_is_prefix_of_another_is_fine() -> None:
    matcher = ScopeMatcher([tp("a", "myregistry.io/ns/img@*"), tp("b", "myregistry.io/ns/img1@*")])
    assert matcher.match(ref(f"myregistry.io/ns/img1@{DIGEST}")).name == "b"  # type: ignore[union-attr]
    assert matcher.match(ref(f"myregistry.io/ns/img@{DIGEST}")).name == "a"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("myregistry.io/ns/img@*", f"myregistry.io/ns/img@{DIGEST}"),
        ("myregistry.io/ns/img*", "myregistry.io/ns/img@*"),
        ("REGISTRY.EXAMPLE/prod/*", "registry.example:443/prod/app*"),
        ("[::1]:5000/*", "[0:0:0:0:0:0:0:1]:5000/ns/*"),
    ],
)
def test_overlaps_are_found_in_canonical_form(first: str, second: str) -> None:
    with pytest.raises(ConfigError, match="overlaps"):
        ScopeMatcher([tp("a", first), tp("b", second)])


def test_spellings_of_one_scope_are_duplicates() -> None:
    with pytest.raises(ConfigError, match="duplicate scope"):
        ScopeMatcher([tp("a", "registry.example/prod/*", "Registry.Example:443/prod/*")])


# --- property test: agree with a brute-force matcher on random policy sets ---

_segments = st.sampled_from(
    ["a", "ab", "b", "a/", "ab/", "a/b", "a/c", "b/a", "c", "d/e", "f/", "g1", "h-i/j"]
)
_wildcard = st.builds(lambda s: f"r.io/{s}*", _segments)
_exact = st.builds(lambda s: f"r.io/{s.rstrip('/')}@{DIGEST}", _segments)
_digests = st.builds(lambda s: f"r.io/{s.rstrip('/')}@*", _segments)
_scope = st.one_of(st.just("*"), _wildcard, _exact, _digests, _wildcard, _exact, _wildcard, _exact)
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
