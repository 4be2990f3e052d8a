"""``RedisCache`` without a Redis: what it writes and refuses to read back, and how it behaves when Redis
is unreachable or silent (one warning, bounded waits, this process's memory instead)."""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from cosign_verify import ConfigError
from cosign_verify.store import Descriptor, MemoryCache
from cosign_verify.store.cache_codec import CONTENT, OTHER, REFERRERS, RESOLVE, Codec, RefusedError, kind_of

if os.environ.get("CI") == "true":
    import redis  # noqa: F401  # in CI the redis extra is installed: never skip
else:
    pytest.importorskip("redis", reason="redis-py is not installed (pip install 'cosign-verify[redis]')")

from cosign_verify import RedisCache

SECRET = b"0123456789abcdef0123456789abcdef"
LOGGER = "cosign_verify.store.redis_cache"
BODY = b'{"schemaVersion":2}'
DIGEST = "sha256:" + hashlib.sha256(BODY).hexdigest()
OTHER_DIGEST = "sha256:" + "1" * 64
NAME = "registry.example:5000/team/app"
DESCRIPTOR = Descriptor(
    media_type="application/vnd.oci.image.manifest.v1+json",
    digest=DIGEST,
    size=len(BODY),
    artifact_type="application/vnd.dev.cosign.artifact.sig.v1+json",
    annotations={"a": "b"},
)


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def test_keys_say_what_their_values_are() -> None:
    assert kind_of(f"manifest:{NAME}@{DIGEST}") == CONTENT
    assert kind_of(f"blob:{NAME}@{DIGEST}") == CONTENT
    assert kind_of(f"referrers:{NAME}@{DIGEST}:1:") == REFERRERS
    assert kind_of(f"resolve:{NAME}:v1") == RESOLVE
    assert kind_of("rekor:entry") == kind_of("manifest:no-digest") == kind_of("plain") == OTHER


@pytest.mark.parametrize("secret", [None, SECRET], ids=["plain", "with-secret"])
def test_values_round_trip(secret: bytes | None) -> None:
    codec = Codec(secret)
    values = {
        f"manifest:{NAME}@{DIGEST}": BODY,
        f"referrers:{NAME}@{OTHER_DIGEST}:1:": (DESCRIPTOR, DESCRIPTOR),
        f"referrers:{NAME}@{OTHER_DIGEST}:0:x": (),
        f"resolve:{NAME}:v1": DESCRIPTOR,
        f"resolve:{NAME}:{DIGEST}": DESCRIPTOR,
    }
    for key, value in values.items():
        data = codec.encode(key, value, 10)
        assert data is not None
        assert codec.decode(key, data) == value
    assert data is not None and data.startswith(b"cv1 ") and b"pickle" not in data


def test_what_is_not_shared_is_not_encoded() -> None:
    codec = Codec(None)
    assert codec.encode("rekor:entry", b"x", 10) is None
    assert codec.encode(f"resolve:{NAME}:v1", "not a descriptor", 10) is None
    assert codec.encode(f"referrers:{NAME}@{DIGEST}:1:", ("nope",), 10) is None
    assert codec.encode(f"manifest:{NAME}@{DIGEST}", DESCRIPTOR, 10) is None


def test_content_must_match_the_digest_in_its_key() -> None:
    codec = Codec(None)
    with pytest.raises(RefusedError, match="does not match the digest in its key"):
        codec.decode(f"manifest:{NAME}@{DIGEST}", BODY + b" ")
    with pytest.raises(RefusedError):
        codec.decode(f"blob:{NAME}@sha256:not-a-digest", BODY)


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"{}", "unknown format"),
        (b"cv1 - ", "unknown format"),
        (b"cv1 - {not json", "not valid JSON"),
        (b'cv1 - {"kind":"descriptor","expires":null,"value":{}}', "not a cached descriptors"),
        (b'cv1 - {"kind":"descriptors","expires":"soon","value":[]}', "expiry is not a number"),
        (b'cv1 - {"kind":"descriptors","expires":null,"value":{}}', "not a list"),
        (b'cv1 - {"kind":"descriptors","expires":null,"value":[{"digest":"sha256:12","size":1}]}', "digest"),
        (b'cv1 - {"kind":"descriptors","expires":null,"value":[{"digest":1}],"value":[]}', "duplicate"),
    ],
)
def test_malformed_descriptors_are_refused(data: bytes, why: str) -> None:
    with pytest.raises(RefusedError, match=why):
        Codec(None).decode(f"referrers:{NAME}@{DIGEST}:1:", data)


def test_a_digest_resolution_must_name_its_digest() -> None:
    codec = Codec(None)
    data = codec.encode(f"resolve:{NAME}:{OTHER_DIGEST}", DESCRIPTOR, None)
    assert data is not None
    with pytest.raises(RefusedError, match="not the digest in its key"):
        codec.decode(f"resolve:{NAME}:{OTHER_DIGEST}", data)


def test_a_mac_binds_the_value_to_its_key_secret_and_expiry() -> None:
    clock = Clock()
    codec = Codec(SECRET, clock=clock)
    key, elsewhere = f"resolve:{NAME}:v1", f"resolve:{NAME}:v2"
    data = codec.encode(key, DESCRIPTOR, 10)
    assert data is not None
    with pytest.raises(RefusedError, match="MAC does not verify"):
        codec.decode(elsewhere, data)  # moved to another key
    with pytest.raises(RefusedError, match="MAC does not verify"):
        Codec(SECRET[::-1]).decode(key, data)  # another secret
    with pytest.raises(RefusedError, match="MAC does not verify"):
        codec.decode(key, data.replace(b'"expires":', b'"expires": ', 1))  # edited, even harmlessly
    unsigned = Codec(None, clock=clock).encode(key, DESCRIPTOR, 10)
    assert unsigned is not None
    with pytest.raises(RefusedError, match="carries no MAC"):
        codec.decode(key, unsigned)
    assert Codec(None, clock=clock).decode(key, data) == DESCRIPTOR  # a MAC is not checked without a secret
    clock.now += 11
    assert codec.decode(key, data) is None  # expired: a miss, not a refusal


def test_secrets_must_be_long_enough() -> None:
    with pytest.raises(ConfigError, match="at least 16"):
        RedisCache("redis://127.0.0.1:1/0", secret="short")


@pytest.mark.parametrize("url", ["http://127.0.0.1/", "redis://127.0.0.1:notaport/0"])
def test_bad_urls_are_config_errors(url: str) -> None:
    with pytest.raises(ConfigError, match="invalid Redis URL"):
        RedisCache(url)


def test_logs_and_reprs_hide_the_password() -> None:
    cache = RedisCache("redis://user:hunter2@127.0.0.1:1/0?password=hunter2", secret=SECRET)
    assert "hunter2" not in repr(cache) and cache.url == "redis://127.0.0.1:1/0"
    assert "secret=set" in repr(cache)


def test_an_unreachable_redis_warns_once_and_works_as_a_memory_cache(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER)
    cache = RedisCache("redis://127.0.0.1:1/0", retry_after=30)
    key = f"manifest:{NAME}@{DIGEST}"
    started = time.monotonic()
    for _ in range(200):
        cache.set(key, BODY, 60)
        assert cache.get(key) == BODY  # from this process's memory while Redis is away
        cache.delete(f"blob:{NAME}@{DIGEST}")
    assert time.monotonic() - started < 1.0
    assert [r.levelno for r in caplog.records if r.name == LOGGER] == [logging.WARNING]
    assert "unreachable" in caplog.records[0].getMessage()
    assert not cache.available and cache.stats()["errors"] == 1 and cache.stats()["skipped"] == 599
    assert cache.ping() is False


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A Redis URL whose server accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"


def test_a_silent_redis_costs_one_timeout_per_retry(
    silent_server: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER)
    cache = RedisCache(silent_server, timeout=0.2, retry_after=0.5)
    key = f"referrers:{NAME}@{DIGEST}:1:"
    started = time.monotonic()
    assert cache.get(key) is None
    first = time.monotonic() - started
    for _ in range(100):
        cache.set(key, (DESCRIPTOR,), 10)
        assert cache.get(key) == (DESCRIPTOR,)
    assert 0.15 < first < 1.0
    assert time.monotonic() - started < first + 0.5  # the rest skipped Redis
    time.sleep(0.6)
    started = time.monotonic()
    with_retry = [cache.get(key) for _ in range(20)]  # one of them tries Redis again, and waits
    assert 0.15 < time.monotonic() - started < 1.0 and with_retry[-1] == (DESCRIPTOR,)
    assert len([r for r in caplog.records if r.name == LOGGER]) == 1
    assert cache.stats()["errors"] == 2


def test_what_is_not_shared_never_reaches_redis(caplog: pytest.LogCaptureFixture) -> None:
    local = MemoryCache()
    cache = RedisCache("redis://127.0.0.1:1/0", local=local, max_value_size=8)
    cache.set(f"resolve:{NAME}:v1", DESCRIPTOR, 10)  # no secret: tag resolutions stay here
    cache.set("rekor:entry", {"any": "thing"}, 10)  # not the registry store's: stays here
    cache.set(f"manifest:{NAME}@{DIGEST}", BODY, 10)  # larger than max_value_size
    assert cache.get(f"resolve:{NAME}:v1") == DESCRIPTOR and cache.get("rekor:entry") == {"any": "thing"}
    assert local.get(f"manifest:{NAME}@{DIGEST}") == BODY
    assert cache.stats()["errors"] == 0 and cache.stats()["too_large"] == 1
    assert not caplog.records
    cache.set(f"resolve:{NAME}:v2", DESCRIPTOR, 0)  # a TTL of 0 stores nothing
    assert cache.get(f"resolve:{NAME}:v2") is None
    assert not RedisCache("redis://127.0.0.1:1/0").shares_tag_resolutions
    assert RedisCache("redis://127.0.0.1:1/0", secret=SECRET).shares_tag_resolutions


def test_importing_the_package_needs_no_redis() -> None:
    code = "import sys, cosign_verify, cosign_verify.store, cosign_verify.wiring; assert 'redis' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
