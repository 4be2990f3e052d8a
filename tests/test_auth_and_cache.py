from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest

from cosign_verify import ConfigError, StoreError
from cosign_verify.store import Credentials, DockerConfigAuthProvider, MemoryCache, StaticAuthProvider
from cosign_verify.store.auth import parse_challenge


def test_parse_challenge() -> None:
    scheme, params = parse_challenge(
        'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"'
    )
    assert scheme == "bearer"
    assert params == {
        "realm": "https://auth.example/token",
        "service": "registry.example",
        "scope": "repository:a/b:pull,push",
    }
    assert parse_challenge('Basic realm="x"') == ("basic", {"realm": "x"})
    assert parse_challenge("Bearer realm=unquoted,service=s")[1] == {"realm": "unquoted", "service": "s"}


def write_config(tmp_path: Path, config: dict[str, object]) -> DockerConfigAuthProvider:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return DockerConfigAuthProvider(path)


def test_docker_config_auths(tmp_path: Path) -> None:
    encoded = base64.b64encode(b"alice:wonder:land").decode()
    provider = write_config(
        tmp_path,
        {
            "auths": {
                "registry.example": {"auth": encoded},
                "https://index.docker.io/v1/": {"username": "bob", "password": "pw"},
                "ghcr.io": {"identitytoken": "refresh-me", "auth": base64.b64encode(b"carol:").decode()},
            }
        },
    )
    assert provider.credentials("registry.example") == Credentials(username="alice", password="wonder:land")
    assert provider.credentials("docker.io") == Credentials(username="bob", password="pw")
    ghcr = provider.credentials("ghcr.io")
    assert ghcr is not None and ghcr.identity_token == "refresh-me"
    assert provider.credentials("unknown.example") is None
    assert "wonder" not in repr(provider.credentials("registry.example"))


def test_docker_config_missing_and_invalid(tmp_path: Path) -> None:
    assert DockerConfigAuthProvider(tmp_path / "absent.json").credentials("r.example") is None
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(ConfigError, match="cannot read Docker config"):
        DockerConfigAuthProvider(bad)
    provider = write_config(tmp_path, {"auths": {"r.example": {"auth": "!!!"}}})
    with pytest.raises(StoreError, match="not base64"):
        provider.credentials("r.example")


@pytest.fixture
def helper_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "docker-credential-fake"
    script.write_text(
        "#!/bin/sh\n"
        "read server\n"
        'if [ "$server" = "helped.example" ]; then echo \'{"Username":"helper","Secret":"s3"}\'; exit 0; fi\n'
        'if [ "$server" = "token.example" ]; then echo \'{"Username":"<token>","Secret":"idt"}\'; exit 0; fi\n'
        'if [ "$server" = "broken.example" ]; then echo "boom" >&2; exit 1; fi\n'
        "echo 'credentials not found in native keychain'; exit 1\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return bin_dir


def test_credential_helpers(tmp_path: Path, helper_on_path: Path) -> None:
    provider = write_config(
        tmp_path,
        {
            "credHelpers": {"helped.example": "fake", "token.example": "fake", "broken.example": "fake"},
            "credsStore": "fake",
        },
    )
    assert provider.credentials("helped.example") == Credentials(username="helper", password="s3")
    token = provider.credentials("token.example")
    assert token is not None and token.identity_token == "idt"
    with pytest.raises(StoreError, match="credential helper docker-credential-fake failed: boom"):
        provider.credentials("broken.example")
    assert provider.credentials("elsewhere.example") is None  # credsStore: not found
    missing = write_config(tmp_path, {"credHelpers": {"x.example": "absent"}})
    with pytest.raises(StoreError, match="docker-credential-absent is not installed"):
        missing.credentials("x.example")
    evil = write_config(tmp_path, {"credHelpers": {"x.example": "../../bin/sh"}})
    with pytest.raises(StoreError, match="invalid credential helper name"):
        evil.credentials("x.example")


def test_static_provider() -> None:
    creds = Credentials(username="u", password="p")
    assert StaticAuthProvider({"r.example": creds}).credentials("r.example") == creds
    assert StaticAuthProvider({}).credentials("r.example") is None


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_memory_cache_ttl_and_lru() -> None:
    clock = Clock()
    cache = MemoryCache(max_entries=2, max_bytes=10, clock=clock)
    cache.set("a", b"12345", ttl=5)
    cache.set("b", "value", ttl=None)
    assert cache.get("a") == b"12345" and cache.get("b") == "value"
    clock.now = 5.0
    assert cache.get("a") is None  # expired
    assert cache.get("b") == "value"  # no TTL
    cache.set("c", b"1", ttl=10)
    cache.set("d", b"2", ttl=10)  # evicts the least recently used ("b")
    assert cache.get("b") is None and len(cache) == 2
    cache.set("big", b"x" * 11, ttl=10)  # larger than the whole cache: not stored
    assert cache.get("big") is None
    cache.set("e", b"123456789", ttl=10)  # byte bound evicts older bytes entries
    assert cache.get("e") == b"123456789" and cache.get("c") is None
    cache.set("zero", b"v", ttl=0)
    assert cache.get("zero") is None
    cache.delete("e")
    cache.delete("never-there")
    assert cache.get("e") is None
