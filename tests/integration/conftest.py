"""Real servers for integration tests: Debian's docker-registry, started on a free loopback port."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

IN_CI = os.environ.get("CI") == "true"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _binary() -> str:
    found = shutil.which("docker-registry") or (
        "/usr/bin/docker-registry" if Path("/usr/bin/docker-registry").exists() else None
    )
    if found:
        return found
    if IN_CI:
        pytest.fail(
            "Debian's docker-registry is not installed; CI must run the integration tests (.ci/run installs it)"
        )
    pytest.skip("Debian's docker-registry is not installed (apt-get install docker-registry)")


def _start(tmp: Path, auth: str = "") -> Iterator[str]:
    port = free_port()
    config = tmp / "config.yml"
    config.write_text(
        "version: 0.1\n"
        "log:\n  level: error\n"
        f"storage:\n  filesystem:\n    rootdirectory: {tmp / 'data'}\n  delete:\n    enabled: true\n"
        f"http:\n  addr: 127.0.0.1:{port}\n" + auth
    )
    process = subprocess.Popen(
        [_binary(), "serve", str(config)], stdout=subprocess.DEVNULL, stderr=(tmp / "registry.log").open("wb")
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                requests.get(f"http://127.0.0.1:{port}/v2/", timeout=1)
                break
            except requests.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"docker-registry did not start: {(tmp / 'registry.log').read_text()}"
                    ) from None
                time.sleep(0.05)
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def docker_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``host:port`` of a docker-registry (distribution 2.8; no referrers API), anonymous."""
    yield from _start(tmp_path_factory.mktemp("docker-registry"))


DOCKER_USER, DOCKER_PASSWORD = "alice", "wonderland"


@pytest.fixture(scope="session")
def docker_registry_basic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A docker-registry that requires basic auth (htpasswd) as alice/wonderland."""
    import bcrypt

    tmp = tmp_path_factory.mktemp("docker-registry-basic")
    hashed = bcrypt.hashpw(DOCKER_PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    (tmp / "htpasswd").write_text(f"{DOCKER_USER}:{hashed}\n")
    yield from _start(tmp, f"auth:\n  htpasswd:\n    realm: test\n    path: {tmp / 'htpasswd'}\n")
