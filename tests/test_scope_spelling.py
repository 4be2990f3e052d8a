"""No subject may escape the trust policy whose scope covers it by how its reference is spelled.

The attack: a strict policy trusts key A for ``registry.example/prod/*``, a
global policy trusts key B; an image signed only with key B must not pass
under the strict scope, however its registry host is written.
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cosign_verify import (
    ConfigError,
    CosignVerifier,
    Executor,
    InlineKeyProvider,
    KeyProviders,
    KeyRef,
    MemoryStore,
    Reference,
    ScopeMatcher,
    TrustPolicy,
)
from cosign_verify.testing import KeyPair, push_image, sign_image

DIGEST = "sha256:" + "e" * 64


def policies(strict_scope: str) -> list[TrustPolicy]:
    return [
        TrustPolicy(name="strict", scopes=[strict_scope], keys=[KeyRef(provider="a")], tlog_verify=False),
        TrustPolicy(name="global", scopes=["*"], keys=[KeyRef(provider="b")], tlog_verify=False),
    ]


@pytest.fixture
def keys(key_pair: Callable[..., KeyPair]) -> tuple[KeyPair, KeyPair, KeyProviders]:
    a, b = key_pair("ecdsa-p256", 0), key_pair("ecdsa-p256", 1)
    providers = KeyProviders([InlineKeyProvider("a", a.public_pem()), InlineKeyProvider("b", b.public_pem())])
    return a, b, providers


# (strict scope, where the image lives, spellings of that registry an attacker may write)
SPELLINGS = [
    (
        "registry.example/prod/*",
        "registry.example",
        ["REGISTRY.EXAMPLE", "Registry.Example", "registry.example:443", "REGISTRY.example:0443"],
    ),
    ("localhost:5000/prod/*", "localhost:5000", ["LOCALHOST:5000", "LocalHost:05000"]),
    ("[::1]:5000/prod/*", "[::1]:5000", ["[0:0:0:0:0:0:0:1]:5000", "[::0001]:5000", "[0::1]:5000"]),
    (
        "127.0.0.1:5000/prod/*",
        "127.0.0.1:5000",
        [
            "127.1:5000",
            "127.000.000.001:5000",
            "0x7f.0.0.1:5000",
            "2130706433:5000",
            "[::ffff:127.0.0.1]:5000",
        ],
    ),
    ("docker.io/prod/*", "docker.io", ["Index.Docker.IO", "registry-1.docker.io:443", "DOCKER.IO"]),
]
CASES = [(scope, home, spelling) for scope, home, spellings in SPELLINGS for spelling in [home, *spellings]]


@pytest.mark.parametrize(("scope", "home", "spelling"), CASES)
def test_an_image_signed_only_for_the_global_policy_is_refused_however_spelled(
    scope: str,
    home: str,
    spelling: str,
    store: MemoryStore,
    keys: tuple[KeyPair, KeyPair, KeyProviders],
) -> None:
    a, b, providers = keys
    image = push_image(store, f"{home}/prod/app:v1")
    sign_image(store, image, b)
    executor = Executor(store, [CosignVerifier(policies(scope), providers)])
    for subject in (f"{spelling}/prod/app@{image.digest}", f"{spelling}/prod/app:v1"):
        result = executor.verify(subject)
        assert not result.is_success, (subject, result.to_dict())
        [report] = result.verifier_reports
        assert report.to_dict()["extensions"]["trustPolicy"] == "strict", subject

    # The control: signed with the strict policy's key, every spelling passes.
    signed = push_image(store, f"{home}/prod/signed:v1")
    sign_image(store, signed, a)
    result = executor.verify(f"{spelling}/prod/signed@{signed.digest}")
    assert result.is_success, (spelling, result.to_dict())
    assert result.verifier_reports[0].to_dict()["extensions"]["trustPolicy"] == "strict"


def test_a_port_that_starts_like_the_scoped_one_is_another_registry(
    store: MemoryStore, keys: tuple[KeyPair, KeyPair, KeyProviders]
) -> None:
    _, b, providers = keys
    image = push_image(store, "localhost:50001/prod/app:v1")
    sign_image(store, image, b)
    result = Executor(store, [CosignVerifier(policies("localhost:5000/*"), providers)]).verify(image)
    assert result.is_success
    assert result.verifier_reports[0].to_dict()["extensions"]["trustPolicy"] == "global"


# --- property: every spelling of one reference picks the same policy ---------


def _random_case(rng: random.Random, text: str) -> str:
    return "".join(c.upper() if rng.random() < 0.5 else c for c in text)


def _ipv6_spellings(address: ipaddress.IPv6Address, rng: random.Random) -> str:
    groups = address.exploded.split(":")
    forms = [
        address.exploded,
        ":".join(g.lstrip("0") or "0" for g in groups),
        address.compressed,
        ":".join(g.zfill(4).upper() for g in groups),
    ]
    return rng.choice(forms)


def _ipv4_spellings(address: ipaddress.IPv4Address, rng: random.Random) -> str:
    octets = str(address).split(".")
    value = int(address)
    forms = [
        str(address),
        ".".join(f"0{int(o):o}" for o in octets),  # octal, as inet_aton reads a leading zero
        ".".join(hex(int(o)) for o in octets),
        str(value),
        f"{octets[0]}.{int(octets[1]) * 65536 + int(octets[2]) * 256 + int(octets[3])}",
    ]
    return rng.choice(forms)


def _spell(registry: str, rng: random.Random) -> str:
    """A random spelling of a canonical registry that reaches the same registry."""
    if registry.startswith("["):
        host, _, port = registry.partition("]")
        host, port = host + "]", port[1:]
    else:
        host, _, port = registry.partition(":")
    if host.startswith("["):
        address = ipaddress.IPv6Address(host[1:-1])
        host = f"[{_ipv6_spellings(address, rng)}]"
    else:
        try:
            host = _ipv4_spellings(ipaddress.IPv4Address(host), rng)
        except ValueError:
            host = _random_case(rng, host)
            if host.lower() == "docker.io" and not port:
                host = rng.choice([host, "index.docker.io", "Registry-1.Docker.IO"])
    loopback = host.lower() == "localhost" or registry.startswith(("127.", "[::1]"))
    if not port and not loopback and rng.random() < 0.5:
        port = "443"
    if port and rng.random() < 0.3:
        port = "0" + port
    if "." not in host and not port and host.lower() != "localhost" and not host.startswith("["):
        host = str(ipaddress.IPv4Address(int(host)))  # a bare number is a Docker Hub namespace, not a host
    return f"{host}:{port}" if port else host


_REGISTRIES = [
    "registry.example",
    "ghcr.io",
    "docker.io",
    "localhost:5000",
    "localhost:50001",
    "[::1]:5000",
    "[2001:db8::1]",
    "[2001:db8::1]:5000",
    "127.0.0.1:5000",
    "10.1.2.3",
]
_PATHS = ["prod/app", "prod/app2", "dev/app", "prod/x/y", "library/nginx"]


@settings(max_examples=300, deadline=None)
@given(
    scoped=st.lists(
        st.tuples(st.sampled_from(_REGISTRIES), st.sampled_from(["*", "prod/*", "prod/app@*", "dev/*"])),
        min_size=1,
        max_size=6,
        unique=True,
    ),
    registry=st.sampled_from(_REGISTRIES),
    path=st.sampled_from(_PATHS),
    tag=st.none() | st.sampled_from(["v1", "latest"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_every_spelling_of_a_reference_picks_the_same_policy(
    scoped: list[tuple[str, str]], registry: str, path: str, tag: str | None, seed: int
) -> None:
    rng = random.Random(seed)
    scopes = [f"{_spell(host, rng)}/{rest}" for host, rest in scoped]
    canonical = [f"{host}/{rest}" for host, rest in scoped]
    try:
        matcher = ScopeMatcher(
            [TrustPolicy(name=f"p{i}", scopes=[s], keys=[KeyRef(provider="k")]) for i, s in enumerate(scopes)]
            + [TrustPolicy(name="global", scopes=["*"], keys=[KeyRef(provider="k")])]
        )
    except ConfigError:
        # Overlapping scopes are refused whichever way they are spelled.
        with pytest.raises(ConfigError, match="overlaps"):
            ScopeMatcher(
                [
                    TrustPolicy(name=f"p{i}", scopes=[s], keys=[KeyRef(provider="k")])
                    for i, s in enumerate(canonical)
                ]
            )
        return
    suffix = (f":{tag}" if tag else "") + f"@{DIGEST}"
    expected = matcher.match(f"{registry}/{path}{suffix}")
    for _ in range(4):
        spelled = f"{_spell(registry, rng)}/{path}{suffix}"
        assert Reference.parse(spelled) == Reference.parse(f"{registry}/{path}{suffix}"), spelled
        assert matcher.match(spelled) is expected, (spelled, scopes)
