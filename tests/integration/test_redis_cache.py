"""``RedisCache`` against a real redis-server: replicas share fetches, a dead or slow Redis costs one
warning and no latency, and nothing tampered in Redis is ever accepted."""

from __future__ import annotations

import collections
import json
import logging
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from cosign_verify import (
    CosignVerifier,
    Executor,
    InlineKeyProvider,
    KeyProviders,
    KeyRef,
    OCIRegistryStore,
    RedisCache,
    Reference,
    TrustPolicy,
    load_config,
)
from cosign_verify._internal.memo import forget_everything
from cosign_verify.testing import KeyPair, RedisProcess, RegistryServer, SignOptions, push_image, sign_image
from cosign_verify.wiring import build_store

from ..conftest import ROOT

WORKER = ROOT / "tests" / "redis_worker.py"
SECRET = "a-secret-of-at-least-sixteen-bytes"
LOGGER = "cosign_verify.store.redis_cache"
pytestmark = pytest.mark.integration


def executor(store: OCIRegistryStore, pair: KeyPair) -> Executor:
    policy = TrustPolicy(name="team", scopes=["*"], keys=[KeyRef(provider="kp")], tlog_verify=False)
    providers = KeyProviders([InlineKeyProvider("kp", pair.public_pem())])
    return Executor(store, [CosignVerifier([policy], providers)])


def sign_many(server: RegistryServer, pair: KeyPair, count: int) -> list[Reference]:
    """``count`` images, signed as a .sig tag or as a referrer in turn; every tenth is left unsigned."""
    writer = OCIRegistryStore()
    images = []
    for index in range(count):
        image = push_image(writer, f"{server.registry}/shared/app{index}:v1")
        if index % 10 != 9:
            sign_image(writer, image, pair, SignOptions(layout="referrer" if index % 2 else "tag"))
        images.append(image)
    return images


def by_tag(image: Reference) -> str:
    return str(Reference(registry=image.registry, repository=image.repository, tag=image.tag))


def by_digest(image: Reference) -> str:
    return str(image.with_digest(image.digest or ""))


def without_redis(subjects: Sequence[str], pair: KeyPair) -> list[dict[str, Any]]:
    return [executor(OCIRegistryStore(), pair).verify(subject).to_dict() for subject in subjects]


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno == logging.WARNING]


def run_replicas(jobs: Sequence[dict[str, Any]], tmp_path: Path) -> list[dict[str, Any]]:
    """Run one worker process per job, all at once; their outputs, in order."""
    processes = []
    for index, job in enumerate(jobs):
        path = tmp_path / f"job{index}.json"
        path.write_text(json.dumps(job))
        processes.append(
            subprocess.Popen(
                [sys.executable, str(WORKER), str(path)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        )
    outputs = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode(errors="replace")[-2000:]
        outputs.append(json.loads(out))
    return outputs


@pytest.mark.parametrize("tagged", [False, True], ids=["by-digest", "by-tag-with-secret"])
def test_two_processes_share_one_redis(
    tagged: bool, redis_server: RedisProcess, key_pair: Callable[..., KeyPair], tmp_path: Path
) -> None:
    pair = key_pair()
    with RegistryServer() as server:
        images = sign_many(server, pair, 100)
        subjects = [by_tag(i) if tagged else by_digest(i) for i in images]
        job = {
            "redis_url": redis_server.url,
            "secret": SECRET if tagged else None,  # without one, tag resolutions stay in each process
            "public_key": pair.public_pem(),
            "workers": 4,
        }
        server.clear()
        first, second = run_replicas(
            [{**job, "subjects": subjects}, {**job, "subjects": subjects[::-1]}], tmp_path
        )
        gets = collections.Counter(path for method, path, _ in server.log if method == "GET")
        assert sum(1 for path in gets if "/referrers/" in path) == len(images)
        # Each referrer list, manifest and blob about once for both processes (they cross halfway).
        assert sum(gets.values()) <= 1.1 * len(gets), sorted(p for p, n in gets.items() if n > 1)
        assert max(gets.values()) <= 2
        assert first["stats"]["hits"] > 0 and second["stats"]["hits"] > 0
        assert first["stats"]["refused"] == second["stats"]["refused"] == 0
        expected = without_redis(subjects, pair)
    assert first["results"] == expected
    assert second["results"] == expected[::-1]
    assert [r["isSuccess"] for r in expected].count(False) == 10


def test_redis_killed_mid_run(
    redis_server: RedisProcess, key_pair: Callable[..., KeyPair], caplog: pytest.LogCaptureFixture
) -> None:
    pair = key_pair()
    caplog.set_level(logging.INFO, logger=LOGGER)
    with RegistryServer() as server:
        subjects = [by_digest(i) for i in sign_many(server, pair, 40)]
        cache = RedisCache(redis_server.url, retry_after=1.0)
        verifying = executor(OCIRegistryStore(cache=cache), pair)
        before = [verifying.verify(s).to_dict() for s in subjects[:20]]
        assert cache.stats()["hits"] > 0 and cache.stats()["errors"] == 0
        redis_server.kill()
        started = time.monotonic()
        after = [verifying.verify(s).to_dict() for s in subjects]
        elapsed = time.monotonic() - started
        expected = without_redis(subjects, pair)
    assert before == expected[:20]
    assert after == expected
    assert not cache.available
    found = warnings(caplog)
    assert len(found) == 1 and "unreachable" in found[0], found  # one warning, not one per request
    assert cache.stats()["errors"] <= 2 + elapsed / cache.retry_after
    assert cache.stats()["skipped"] > 40


def test_a_redis_that_stops_answering_costs_one_timeout(
    redis_server: RedisProcess, key_pair: Callable[..., KeyPair], caplog: pytest.LogCaptureFixture
) -> None:
    pair = key_pair()
    caplog.set_level(logging.INFO, logger=LOGGER)
    with RegistryServer() as server:
        subjects = [by_digest(i) for i in sign_many(server, pair, 30)]
        expected = without_redis(subjects, pair)
        cache = RedisCache(redis_server.url, timeout=0.25, retry_after=0.5)
        verifying = executor(OCIRegistryStore(cache=cache), pair)
        assert [verifying.verify(s).to_dict() for s in subjects[:10]] == expected[:10]
        redis_server.pause()
        started = time.monotonic()
        assert [verifying.verify(s).to_dict() for s in subjects[10:20]] == expected[10:20]
        paused = time.monotonic() - started
        redis_server.resume()
        time.sleep(0.6)  # past retry_after: the next call tries Redis again
        hits = cache.stats()["hits"]
        fresh = executor(
            OCIRegistryStore(cache=cache), pair
        )  # nothing of its own: what it reads comes from Redis
        assert [fresh.verify(s).to_dict() for s in subjects[:10]] == expected[:10]
    # Ten verifications of about ten cache calls each: one timed out, the rest skipped Redis or tried it
    # once per retry_after, so far less than a timeout each.
    assert paused < 10 * 0.25, paused
    assert len(warnings(caplog)) == 1
    assert cache.available and cache.stats()["hits"] > hits
    assert any("answers again" in r.getMessage() for r in caplog.records if r.name == LOGGER)


def redis_keys(cache: RedisCache, pattern: str) -> list[bytes]:
    return sorted(cache._client.keys(cache.prefix + pattern))


def test_tampered_manifests_and_blobs_are_refused_and_fetched_again(
    redis_server: RedisProcess, key_pair: Callable[..., KeyPair], caplog: pytest.LogCaptureFixture
) -> None:
    pair = key_pair()
    with RegistryServer() as server:
        first, second = sign_many(server, pair, 2)
        cache = RedisCache(redis_server.url)
        verifying = executor(OCIRegistryStore(cache=cache), pair)
        assert (
            verifying.verify(by_digest(first)).is_success and verifying.verify(by_digest(second)).is_success
        )
        # The other image's signature manifest and payload, each served under this image's keys.
        swapped = 0
        for kind in ("manifest", "blob"):
            mine, theirs = (
                redis_keys(cache, f"{kind}:{first.name}@*"),
                redis_keys(cache, f"{kind}:{second.name}@*"),
            )
            assert len(mine) == len(theirs) == 1
            cache._client.set(mine[0], cache._client.get(theirs[0]))
            swapped += 1
        server.clear()
        forget_everything()  # as another replica would start: nothing parsed yet
        result = executor(OCIRegistryStore(cache=RedisCache(redis_server.url)), pair).verify(by_digest(first))
        assert server.count("GET", f"/v2/{first.repository}/(manifests|blobs)/sha256:") == swapped  # again
        assert result.to_dict() == without_redis([by_digest(first)], pair)[0]
    assert any("does not match the digest in its key" in w for w in warnings(caplog))


def test_a_poisoned_referrer_list_cannot_make_an_unsigned_image_pass(
    redis_server: RedisProcess, key_pair: Callable[..., KeyPair], caplog: pytest.LogCaptureFixture
) -> None:
    pair = key_pair()
    with RegistryServer() as server:
        images = sign_many(server, pair, 10)
        signed, unsigned = images[0], images[9]
        cache = RedisCache(redis_server.url)
        verifying = executor(OCIRegistryStore(cache=cache), pair)
        assert verifying.verify(by_digest(signed)).is_success
        assert not verifying.verify(by_digest(unsigned)).is_success
        (signed_list,) = redis_keys(cache, f"referrers:{signed.name}@*")
        (unsigned_list,) = redis_keys(cache, f"referrers:{unsigned.name}@*")
        # The signed image's referrers, served as the unsigned one's (no secret: lists carry no MAC).
        cache._client.set(unsigned_list, cache._client.get(signed_list))
        poisoned = executor(OCIRegistryStore(cache=RedisCache(redis_server.url)), pair)
        result = poisoned.verify(by_digest(unsigned))
        assert not result.is_success  # the signature names the other image's digest
        # A list that is not one: refused, and the registry asked again.
        cache._client.set(signed_list, b"cv1 - {not json")
        assert poisoned.verify(by_digest(signed)).is_success
    assert any("refused the value of referrers:" in w for w in warnings(caplog))


def test_tag_resolutions_stay_in_the_process_without_a_secret(
    redis_server: RedisProcess, key_pair: Callable[..., KeyPair]
) -> None:
    pair = key_pair()
    with RegistryServer() as server:
        images = sign_many(server, pair, 10)
        signed, unsigned = images[0], images[9]
        cache = RedisCache(redis_server.url)
        assert executor(OCIRegistryStore(cache=cache), pair).verify(by_tag(signed)).is_success
        assert redis_keys(cache, "resolve:*") == []
        # A resolution planted in Redis (the unsigned tag -> the signed digest) is never read.
        signed_cache = RedisCache(redis_server.url, secret=SECRET)
        signed_cache.set(f"resolve:{unsigned.name}:{unsigned.tag}", OCIRegistryStore().resolve(signed), 60)
        result = executor(OCIRegistryStore(cache=RedisCache(redis_server.url)), pair).verify(by_tag(unsigned))
        assert not result.is_success and result.subject == by_digest(unsigned)


def test_forged_tag_resolutions_are_refused_with_a_secret(
    redis_server: RedisProcess, key_pair: Callable[..., KeyPair], caplog: pytest.LogCaptureFixture
) -> None:
    pair = key_pair()
    with RegistryServer() as server:
        images = sign_many(server, pair, 10)
        signed, unsigned = images[0], images[9]
        cache = RedisCache(redis_server.url, secret=SECRET)
        verifying = executor(OCIRegistryStore(cache=cache), pair)
        assert verifying.verify(by_tag(signed)).is_success
        assert not verifying.verify(by_tag(unsigned)).is_success
        signed_key = cache.prefix + f"resolve:{signed.name}:v1"
        unsigned_key = cache.prefix + f"resolve:{unsigned.name}:v1"
        genuine = cache._client.get(signed_key)
        forger = RedisCache(redis_server.url, secret="another-secret-of-sixteen-bytes")
        forgeries = {
            "moved": genuine,  # a genuine MAC, under another key
            "other secret": None,  # written below by a cache with another secret
            "no MAC": genuine.replace(genuine.split(b" ")[1], b"-", 1),
        }
        for name, forged in forgeries.items():
            if forged is None:
                forger.set(f"resolve:{unsigned.name}:v1", OCIRegistryStore().resolve(signed), 60)
            else:
                cache._client.set(unsigned_key, forged)
            replica = executor(OCIRegistryStore(cache=RedisCache(redis_server.url, secret=SECRET)), pair)
            result = replica.verify(by_tag(unsigned))
            assert not result.is_success and result.subject == by_digest(unsigned), name
        assert redis_keys(cache, "resolve:*")  # shared, with the secret
    refused = [w for w in warnings(caplog) if "refused the value of resolve:" in w]
    assert len(refused) == 3 and "MAC" in refused[0]


def test_the_configuration_file_builds_a_store_over_redis(
    redis_server: RedisProcess,
    key_pair: Callable[..., KeyPair],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pair = key_pair()
    (tmp_path / "cache.key").write_text(SECRET + "\n")
    with RegistryServer() as server:
        (image,) = sign_many(server, pair, 1)
        config = {
            "store": {
                "version": "1.0.0",
                "plugins": [
                    {
                        "name": "oras",
                        "cosignEnabled": True,
                        "ttl": 30,
                        "cache": {
                            "type": "redis",
                            "url": redis_server.url,
                            "prefix": "replicas:",
                            "secretFile": "cache.key",
                            "contentTTL": 600,
                        },
                    }
                ],
            },
            "verifier": {
                "version": "1.0.0",
                "plugins": [
                    {
                        "name": "cosign",
                        "artifactTypes": "application/vnd.dev.cosign.artifact.sig.v1+json",
                        "trustPolicies": [
                            {
                                "name": "all",
                                "scopes": ["*"],
                                "keys": [{"provider": "kp"}],
                                "tLogVerify": False,
                            }
                        ],
                    }
                ],
            },
            "keyManagementProviders": [
                {
                    "name": "kp",
                    "type": "inline",
                    "parameters": {"contentType": "key", "value": pair.public_pem()},
                }
            ],
        }
        path = tmp_path / "config.json"
        path.write_text(json.dumps(config))
        loaded = load_config(path)
        store = build_store(loaded)
        assert isinstance(store.cache, RedisCache)
        assert store.cache.prefix == "replicas:" and store.cache.shares_tag_resolutions
        assert store.options.content_ttl == 600 and store.options.cache_ttl == 30
        assert Executor.from_config(loaded).verify(by_tag(image)).is_success
        assert redis_keys(store.cache, "resolve:*") and redis_keys(store.cache, "referrers:*")
        ttl = store.cache._client.pttl(redis_keys(store.cache, "manifest:*")[0])
        assert 590_000 < ttl <= 600_000
