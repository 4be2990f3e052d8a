from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cosign_verify import InvalidReferenceError, Reference
from cosign_verify.reference import canonical_registry

SHA256 = "sha256:" + "a" * 64
SHA512 = "sha512:" + "b" * 128


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nginx", "docker.io/library/nginx:latest"),
        ("nginx:1.25", "docker.io/library/nginx:1.25"),
        ("user/app", "docker.io/user/app:latest"),
        ("docker.io/nginx", "docker.io/library/nginx:latest"),
        ("index.docker.io/library/nginx:1", "docker.io/library/nginx:1"),
        ("registry-1.docker.io/user/app", "docker.io/user/app:latest"),
        ("localhost/app", "localhost/app:latest"),
        ("localhost:5000/ns/app:v1", "localhost:5000/ns/app:v1"),
        ("myregistry.io:443/a/b/c", "myregistry.io/a/b/c:latest"),
        ("127.0.0.1:5000/app", "127.0.0.1:5000/app:latest"),
        ("[::1]:5000/app:x", "[::1]:5000/app:x"),
        (f"ghcr.io/o/r@{SHA256}", f"ghcr.io/o/r@{SHA256}"),
        (f"ghcr.io/o/r:v1@{SHA256}", f"ghcr.io/o/r:v1@{SHA256}"),
        (f"ghcr.io/o/r@{SHA512}", f"ghcr.io/o/r@{SHA512}"),
        ("ghcr.io/o/my_repo.name-x__y", "ghcr.io/o/my_repo.name-x__y:latest"),
        ("Registry.Example.COM/app", "registry.example.com/app:latest"),
        ("ghcr.io/o/r:V1_x.y-z", "ghcr.io/o/r:V1_x.y-z"),
    ],
)
def test_parse_normalises(text: str, expected: str) -> None:
    ref = Reference.parse(text)
    assert str(ref) == expected
    assert Reference.parse(str(ref)) == ref


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("REGISTRY.EXAMPLE", "registry.example"),
        ("Registry.Example:443", "registry.example"),
        ("registry.example:0443", "registry.example"),
        ("registry.example:05000", "registry.example:5000"),
        ("LOCALHOST:5000", "localhost:5000"),
        ("localhost:443", "localhost:443"),  # loopback is plain HTTP: 443 is not its default port
        ("127.0.0.1:443", "127.0.0.1:443"),
        ("[0:0:0:0:0:0:0:1]:5000", "[::1]:5000"),
        ("[::0001]:5000", "[::1]:5000"),
        ("[2001:DB8::1]", "[2001:db8::1]"),
        ("[2001:db8:0:0:0:0:0:1]:443", "[2001:db8::1]"),
        ("[::ffff:127.0.0.1]:5000", "127.0.0.1:5000"),
        ("127.1:5000", "127.0.0.1:5000"),
        ("127.000.000.001:5000", "127.0.0.1:5000"),
        ("0x7f.0.0.1:5000", "127.0.0.1:5000"),
        ("2130706433:5000", "127.0.0.1:5000"),
        ("Index.Docker.IO", "docker.io"),
        ("registry-1.docker.io:443", "docker.io"),
        ("docker.io:5000", "docker.io:5000"),
    ],
)
def test_registry_hosts_have_one_canonical_form(spelling: str, canonical: str) -> None:
    assert canonical_registry(spelling) == canonical
    assert Reference.parse(f"{spelling}/ns/app:v1").registry == canonical
    assert Reference(registry=spelling, repository="ns/app", tag="v1").registry == canonical


def test_names_that_merely_resolve_alike_stay_distinct() -> None:
    assert canonical_registry("localhost:5000") != canonical_registry("127.0.0.1:5000")
    assert canonical_registry("registry.example:80") != canonical_registry("registry.example")


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("registry.example:0", "out of range"),
        ("registry.example:65536", "out of range"),
        ("[1:2:3]:5000", "invalid IPv6 address"),
        ("999.1.1.1", "neither a host name nor an IPv4 address"),
        ("bad_host", "invalid registry host"),
    ],
)
def test_invalid_hosts(host: str, reason: str) -> None:
    with pytest.raises(InvalidReferenceError, match=reason):
        canonical_registry(host)


def test_fields_and_digest_form() -> None:
    ref = Reference.parse(f"myregistry.io:5000/ns/img:v2@{SHA256}")
    assert (ref.registry, ref.repository, ref.tag, ref.digest) == (
        "myregistry.io:5000",
        "ns/img",
        "v2",
        SHA256,
    )
    assert ref.name == "myregistry.io:5000/ns/img"
    assert str(ref.with_digest(SHA512)) == f"myregistry.io:5000/ns/img@{SHA512}"
    assert Reference.parse(f"ghcr.io/o/r@{SHA256}").tag is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        (" nginx", "whitespace"),
        ("Nginx", "lowercase"),
        ("ghcr.io/Org/app", "lowercase"),
        ("ghcr.io/o//app", "empty path component"),
        ("ghcr.io/o/app-", "invalid path component"),
        ("ghcr.io/o/app:", "invalid tag"),
        ("ghcr.io/o/app:-x", "invalid tag"),
        ("ghcr.io/o/app:" + "t" * 129, "invalid tag"),
        ("ghcr.io/o/app@sha256:abc", "64 lowercase hex"),
        ("ghcr.io/o/app@sha256:" + "A" * 64, "64 lowercase hex"),
        ("ghcr.io/o/app@sha256:" + "g" * 64, "64 lowercase hex"),
        ("ghcr.io/o/app@sha512:" + "a" * 64, "128 lowercase hex"),
        ("ghcr.io/o/app@md5:" + "a" * 32, "unsupported digest algorithm"),
        ("ghcr.io/o/app@" + "a" * 64, "digest must look like"),
        ("bad_host.io:x/app", "invalid registry host"),
        ("-bad.io/app", "invalid registry host"),
        ("ghcr.io/" + "a" * 250, "longer than 255"),
        ("a" * 5000, "longer than 4096"),
        ("ghcr.io/", "repository name is empty"),
        (":tag", "repository name is empty"),
    ],
)
def test_parse_rejects_with_reason(text: str, reason: str) -> None:
    with pytest.raises(InvalidReferenceError) as info:
        Reference.parse(text)
    assert reason in str(info.value)


def test_non_string_is_rejected() -> None:
    with pytest.raises(InvalidReferenceError, match="must be a string"):
        Reference.parse(42)  # type: ignore[arg-type]


_component = st.from_regex(r"[a-z0-9]{1,6}(?:[._-][a-z0-9]{1,4}){0,2}", fullmatch=True)
_registry = st.sampled_from(["docker.io", "ghcr.io", "localhost:5000", "myregistry.io", "r.example.com:443"])
_tag = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}", fullmatch=True)
_digest = st.builds(lambda h: "sha256:" + h, st.text("0123456789abcdef", min_size=64, max_size=64))


@settings(deadline=None)
@given(
    registry=_registry,
    path=st.lists(_component, min_size=1, max_size=4),
    tag=st.none() | _tag,
    digest=st.none() | _digest,
)
def test_round_trip(registry: str, path: list[str], tag: str | None, digest: str | None) -> None:
    text = f"{registry}/{'/'.join(path)}"
    if tag:
        text += f":{tag}"
    if digest:
        text += f"@{digest}"
    ref = Reference.parse(text)
    assert Reference.parse(str(ref)) == ref
    assert ref.digest == digest
    assert ref.tag == (tag or (None if digest else "latest"))
    if registry != "docker.io" or len(path) > 1:
        assert ref.repository == "/".join(path)
    else:
        assert ref.repository == f"library/{path[0]}"
