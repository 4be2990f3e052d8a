"""The Gatekeeper provider under load: latency percentiles and errors on a warm cache.

``cosign-verify serve`` (gunicorn, 2 processes x 8 threads) in front of
Debian's docker-registry (the toolkit's RegistryServer when docker-registry is
not installed) with 32 signed images; after one warming request per image,
16 concurrent clients send 50 requests each, every request asking about 4
images (as Gatekeeper does for a pod with 4 containers), on kept-alive
connections. Beside it, the same load on ``/healthz`` measures what HTTP and
the server cost on their own. Writes benchmarks/results/server.json.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cosign_verify.store import OCIRegistryStore
from cosign_verify.testing import RegistryServer, generate_key_pair, push_image, sign_image
from cosign_verify.testing.docker_registry import DockerRegistryProcess, find_docker_registry, free_port

RESULTS = Path(__file__).resolve().parent / "results"
CLIENTS, REQUESTS, KEYS_PER_REQUEST, IMAGES = 16, 50, 4, 32
VERIFY = "/ratify/gatekeeper/v1/verify"


@contextmanager
def registry() -> Iterator[tuple[str, str]]:
    if find_docker_registry() is not None:
        with DockerRegistryProcess() as process:
            yield process.registry, "docker-registry"
    else:
        with RegistryServer() as server:
            yield server.registry, "RegistryServer (docker-registry not installed)"


@contextmanager
def provider(directory: Path, images: list[str]) -> Iterator[int]:
    pair = generate_key_pair()
    (directory / "k.pub").write_text(pair.public_pem())
    store = OCIRegistryStore()
    for image in images:
        sign_image(store, image, pair)
    policy = {"name": "all", "scopes": ["*"], "keys": [{"file": "k.pub"}], "tLogVerify": False}
    config = {
        "store": {"plugins": [{"name": "oras", "cosignEnabled": True}]},
        "verifier": {
            "plugins": [
                {
                    "name": "cosign",
                    "artifactTypes": "application/vnd.dev.cosign.artifact.sig.v1+json",
                    "trustPolicies": [policy],
                }
            ]
        },
    }
    (directory / "config.json").write_text(json.dumps(config))
    port, probes = free_port(), free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "cosign_verify", "serve", "--config", "config.json", "--host", "127.0.0.1",
         "--port", str(port), "--probe-port", str(probes), "--processes", "2", "--threads", "8", "--quiet"],
        cwd=directory, stderr=subprocess.DEVNULL, env={**os.environ, "DOCKER_CONFIG": str(directory)},
    )  # fmt: skip
    try:
        _wait(probes)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/readyz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the provider did not start")


def _request(keys: list[str]) -> bytes:
    body = {
        "apiVersion": "externaldata.gatekeeper.sh/v1beta1",
        "kind": "ProviderRequest",
        "request": {"keys": keys},
    }
    return json.dumps(body).encode()


def load(port: int, images: list[str], path: str) -> dict[str, Any]:
    """CLIENTS threads x REQUESTS requests; latency of each, errors (non-200, or an image not verified)."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()

    def client(seed: int) -> None:
        nonlocal errors
        chooser = random.Random(seed)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for _ in range(REQUESTS):
            keys = chooser.sample(images, KEYS_PER_REQUEST)
            started = time.perf_counter()
            if path == VERIFY:
                connection.request(
                    "POST", path, body=_request(keys), headers={"Content-Type": "application/json"}
                )
            else:
                connection.request("GET", path)
            answer = connection.getresponse()
            data = answer.read()
            elapsed = time.perf_counter() - started
            failed = answer.status != 200 or (
                path == VERIFY
                and not all(item["value"]["isSuccess"] for item in json.loads(data)["response"]["items"])
            )
            with lock:
                latencies.append(elapsed)
                errors += failed
        connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(seed,)) for seed in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "requests": len(ordered),
        "errors": errors,
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p90_ms": round(ordered[int(len(ordered) * 0.90)] * 1000, 2),
        "p99_ms": round(ordered[int(len(ordered) * 0.99)] * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
        "requests_per_second": round(len(ordered) / wall, 1),
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as temporary, registry() as (address, kind):
        store = OCIRegistryStore()
        images = []
        for index in range(IMAGES):
            image = push_image(store, f"{address}/bench/app{index}:v1")
            assert image.digest
            images.append(str(image.with_digest(image.digest)))
        with provider(Path(temporary), images) as port:
            warm = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            for index in range(0, IMAGES, KEYS_PER_REQUEST):
                for _ in range(2):  # each of the 2 processes keeps its own in-memory cache
                    warm.request("POST", VERIFY, body=_request(images[index : index + KEYS_PER_REQUEST]))
                    warm.getresponse().read()
            verify = load(port, images, VERIFY)
            health = load(port, images, "/healthz")
    results = {
        "setup": f"{CLIENTS} clients x {REQUESTS} requests x {KEYS_PER_REQUEST} images, warm cache, "
        f"2 processes x 8 threads, {IMAGES} images on {kind}",
        "verify": verify,
        "healthz": health,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "server.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
