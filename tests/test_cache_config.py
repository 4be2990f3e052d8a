"""The store plugin's ``cache`` object: Ratify's cache types by our names, checked when loaded, built by wiring."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from cosign_verify import ConfigError, load_config
from cosign_verify.config import CacheConfig
from cosign_verify.store import MemoryCache
from cosign_verify.wiring import build_cache, build_store

from .test_config import base

SECRET = "0123456789abcdef0123456789abcdef"
REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens: building a cache never connects


def with_cache(cache: dict[str, Any] | None = None, **plugin: Any) -> dict[str, Any]:
    config = base()
    store = config["store"]["plugins"][0]
    store.update(plugin)
    if cache is not None:
        store["cache"] = cache
    return config


def test_no_cache_object_is_the_memory_cache() -> None:
    config = load_config(with_cache())
    assert config.store.cache == CacheConfig()
    cache = build_cache(config)
    assert isinstance(cache, MemoryCache) and cache.max_bytes == 64 << 20


@pytest.mark.parametrize("kind", ["memory", "ristretto"])
def test_memory_by_our_name_or_ratifys(kind: str) -> None:
    config = load_config(with_cache({"type": kind, "sizeMb": 256, "contentTTL": 60}))
    assert config.store.cache == CacheConfig(type="memory", size_mb=256, content_ttl=60)
    cache = build_cache(config)
    assert isinstance(cache, MemoryCache) and cache.max_bytes == 256 << 20
    store = build_store(config)
    assert store.cache is not cache and store.options.content_ttl == 60.0


def test_redis_fields() -> None:
    config = load_config(
        with_cache(
            {
                "type": "redis",
                "url": "rediss://redis.cosign:6380/2",
                "prefix": "ns1:",
                "secretEnv": "CACHE_SECRET",
                "passwordEnv": "REDIS_PASSWORD",
                "timeout": 0.5,
                "maxValueSize": 1024,
                "contentTTL": 3600,
                "sizeMb": 32,
            }
        )
    )
    assert config.store.cache == CacheConfig(
        type="redis",
        url="rediss://redis.cosign:6380/2",
        prefix="ns1:",
        secret_env="CACHE_SECRET",
        password_env="REDIS_PASSWORD",
        timeout=0.5,
        max_value_size=1024,
        content_ttl=3600,
        size_mb=32,
    )


CACHE = "store.plugins[0].cache"


@pytest.mark.parametrize(
    ("cache", "path", "message"),
    [
        ({"type": "dapr"}, f"{CACHE}.type", "talks to Redis itself"),
        ({"type": "memory", "url": REDIS_URL}, f"{CACHE}.url", "applies to a Redis cache"),
        ({"timeout": 1}, f"{CACHE}.timeout", "applies to a Redis cache"),
        ({"type": "redis"}, CACHE, "needs a url"),
        (
            {"type": "redis", "url": REDIS_URL, "secretEnv": "A", "secretFile": "b"},
            f"{CACHE}.secretFile",
            "not both",
        ),
        ({"type": "redis", "url": "http://redis:6379"}, f"{CACHE}.url", "does not match"),
        ({"type": "redis", "url": REDIS_URL, "password": "x"}, f"{CACHE}", "Additional properties"),
        ({"type": "redis", "url": REDIS_URL, "timeout": 0}, f"{CACHE}.timeout", "less than or equal"),
        (
            {"type": "redis", "url": REDIS_URL, "secretEnv": "not a name"},
            f"{CACHE}.secretEnv",
            "does not match",
        ),
    ],
)
def test_invalid_cache_objects(cache: dict[str, Any], path: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        load_config(with_cache(cache))
    assert info.value.path == path


def test_a_redis_cache_is_built_with_its_secret_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from cosign_verify import RedisCache

    config = load_config(
        with_cache(
            {
                "type": "redis",
                "url": REDIS_URL,
                "prefix": "p:",
                "secretEnv": "CV_SECRET",
                "passwordEnv": "CV_PW",
            }
        )
    )
    monkeypatch.delenv("CV_SECRET", raising=False)
    monkeypatch.setenv("CV_PW", "hunter2")
    with pytest.raises(ConfigError, match="CV_SECRET is not set") as info:
        build_cache(config)
    assert info.value.path == f"{CACHE}.secretEnv"
    monkeypatch.setenv("CV_SECRET", "short")
    with pytest.raises(ConfigError, match="at least 16") as info:
        build_cache(config)
    assert info.value.path == CACHE
    monkeypatch.setenv("CV_SECRET", SECRET)
    cache = build_cache(config)
    assert isinstance(cache, RedisCache) and cache.prefix == "p:" and cache.shares_tag_resolutions
    assert cache._client.connection_pool.connection_kwargs["password"] == "hunter2"
    assert isinstance(build_store(config).cache, RedisCache)


def test_a_secret_file_is_relative_to_the_configuration(tmp_path: Path) -> None:
    from cosign_verify import RedisCache

    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "cache.key").write_text(SECRET + "\n")
    path = tmp_path / "config.json"
    path.write_text(
        json.dumps(with_cache({"type": "redis", "url": REDIS_URL, "secretFile": "secrets/cache.key"}))
    )
    cache = build_cache(load_config(path))
    assert isinstance(cache, RedisCache) and cache.shares_tag_resolutions
    path.write_text(json.dumps(with_cache({"type": "redis", "url": REDIS_URL, "secretFile": "missing.key"})))
    with pytest.raises(ConfigError, match="does not exist") as info:
        build_cache(load_config(path))
    assert info.value.path == f"{CACHE}.secretFile"


def test_no_cache_is_built_when_caching_is_off() -> None:
    config = load_config(
        with_cache({"type": "redis", "url": REDIS_URL, "secretEnv": "UNSET_FOR_SURE"}, cacheEnabled=False)
    )
    store = build_store(config)  # the secret is never looked for
    assert isinstance(store.cache, MemoryCache) and not store.options.cache_enabled


def test_your_own_cache_wins() -> None:
    mine = MemoryCache(max_entries=3)
    assert build_store(load_config(with_cache({"type": "redis", "url": REDIS_URL})), cache=mine).cache is mine


def test_kubernetes_store_resources_take_the_cache_object(tmp_path: Path) -> None:
    if os.environ.get("CI") != "true":  # in CI the yaml extra is installed: never skip
        pytest.importorskip("yaml")
    path = tmp_path / "ratify.yaml"
    path.write_text(
        """apiVersion: config.ratify.deislabs.io/v1beta1
kind: Verifier
metadata: {name: verifier-cosign}
spec:
  name: cosign
  artifactTypes: application/vnd.dev.cosign.artifact.sig.v1+json
  parameters:
    trustPolicies:
      - {name: all, scopes: ["*"], keys: [{file: k.pub}]}
---
apiVersion: config.ratify.deislabs.io/v1beta1
kind: Store
metadata: {name: store-oras}
spec:
  name: oras
  parameters:
    cosignEnabled: true
    cache: {type: redis, url: "redis://redis.cosign-verify:6379/0", secretEnv: CACHE_SECRET}
"""
    )
    config = load_config(path)
    assert config.store.cache.url == "redis://redis.cosign-verify:6379/0"
    path.write_text(path.read_text().replace("type: redis", "type: dapr"))
    with pytest.raises(ConfigError, match="dapr") as info:
        load_config(path)
    assert info.value.path == f"{path}: document 1: spec.parameters.cache.type"
