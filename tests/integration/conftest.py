"""Real servers for integration tests: Debian's docker-registry and redis-server, started on free loopback ports."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from cosign_verify.testing.docker_registry import DockerRegistryProcess, find_docker_registry
from cosign_verify.testing.redis_process import RedisProcess, find_redis_server

IN_CI = os.environ.get("CI") == "true"
DOCKER_USER, DOCKER_PASSWORD = "alice", "wonderland"


def _require_docker_registry() -> None:
    if find_docker_registry() is not None:
        return
    if IN_CI:
        pytest.fail(
            "Debian's docker-registry is not installed; CI must run the integration tests (.ci/run installs it)"
        )
    pytest.skip("Debian's docker-registry is not installed (apt-get install docker-registry)")


@pytest.fixture(scope="session")
def docker_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``host:port`` of a docker-registry (distribution 2.8; no referrers API), anonymous."""
    _require_docker_registry()
    with DockerRegistryProcess(tmp_path_factory.mktemp("docker-registry")) as registry:
        yield registry.registry


@pytest.fixture(scope="session")
def docker_registry_basic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A docker-registry that requires basic auth (htpasswd) as alice/wonderland."""
    import bcrypt

    _require_docker_registry()
    hashed = bcrypt.hashpw(DOCKER_PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    with DockerRegistryProcess(
        tmp_path_factory.mktemp("docker-basic"), htpasswd=f"{DOCKER_USER}:{hashed}"
    ) as registry:
        yield registry.registry


def _require_redis_server() -> None:
    if find_redis_server() is not None:
        return
    if IN_CI:
        pytest.fail("redis-server is not installed; CI must run the Redis tests (.ci/run installs it)")
    pytest.skip("redis-server is not installed (apt-get install redis-server)")


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisProcess]:
    """A ``redis-server`` of this test's own on a free loopback port (nothing saved: ``--save ''``);
    ``.url`` to connect, ``.kill()``, ``.pause()`` / ``.resume()`` to fail it."""
    _require_redis_server()
    with RedisProcess(tmp_path / "redis") as server:
        yield server
