"""``Executor.verify_many`` with 16 workers beside one-by-one verification, and beside a bare threaded client.

Two setups, each measured in one run:

- **latency**: the toolkit's RegistryServer (in a process of its own) adds
  5 ms to every request; 64 signed images. Times sequential
  ``Executor.verify`` over them, ``verify_many(workers=16)``, and a bare
  ``http.client`` replay of the same requests, sequential and on 16 threads
  (one connection per thread): the speed-up our batch gets, against the
  speed-up the bare client gets on the same machine.
- **docker-registry**: 200 signed images on Debian's docker-registry (no
  injected latency; the registry's own CPU is the limit on 2 cores):
  sequential against ``verify_many(workers=16)``.

Every run starts with a fresh store (empty cache). Writes
benchmarks/results/batch.json. Needs docker-registry installed.
"""

from __future__ import annotations

import http.client
import json
import logging
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from registry_process import registry_process

from cosign_verify import (
    CosignVerifier,
    Executor,
    InlineKeyProvider,
    KeyProviders,
    KeyRef,
    Reference,
    TrustPolicy,
)
from cosign_verify._internal.memo import forget_everything
from cosign_verify.store import OCIRegistryStore
from cosign_verify.testing import (
    KeyPair,
    SignOptions,
    generate_key_pair,
    push_image,
    sign_image,
)
from cosign_verify.testing.docker_registry import DockerRegistryProcess, find_docker_registry

RESULTS = Path(__file__).resolve().parent / "results"
WORKERS = 16
LATENCY = 0.005


def signed_images(address: str, pair: KeyPair, count: int) -> list[Reference]:
    writer = OCIRegistryStore()
    images = []
    for index in range(count):
        image = push_image(writer, f"{address}/batch/app{index}:v1")
        sign_image(writer, image, pair, SignOptions(layout="referrer" if index % 2 else "tag"))
        images.append(image.with_digest(image.digest or ""))
    return images


def timed(func: Callable[[], object]) -> float:
    """Seconds ``func`` takes from cold: nothing parsed yet, as in a new process."""
    forget_everything()
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def recorded_requests(executor: Executor, images: list[Reference]) -> list[str]:
    """The paths one sequential run asks for (recorded on the store's pool), for the bare client to replay."""
    paths: list[str] = []
    store = executor.store
    assert isinstance(store, OCIRegistryStore)
    original = store.transport.http._send

    def record(method: str, url: str, *args: Any) -> Any:
        paths.append(url.split("/", 3)[3])
        return original(method, url, *args)

    store.transport.http._send = record  # type: ignore[method-assign, assignment]
    forget_everything()
    for image in images:
        executor.verify(image)
    return paths


def bare_replay(address: str, paths: list[str], threads: int) -> None:
    host, _, port = address.rpartition(":")
    share = [paths[i::threads] for i in range(threads)]

    def worker(mine: list[str]) -> None:
        connection = http.client.HTTPConnection(host, int(port))
        for path in mine:
            connection.request("GET", "/" + path)
            connection.getresponse().read()
        connection.close()

    running = [threading.Thread(target=worker, args=(mine,)) for mine in share if mine]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()


def latency_case(verifier: CosignVerifier, pair: KeyPair) -> dict[str, float]:
    with registry_process(LATENCY) as address:
        images = signed_images(address, pair, 64)
        paths = recorded_requests(Executor(OCIRegistryStore(), [verifier]), images)
        one_store = Executor(OCIRegistryStore(), [verifier])
        sequential = timed(lambda: [one_store.verify(i) for i in images])
        batch = timed(lambda: Executor(OCIRegistryStore(), [verifier]).verify_many(images, workers=WORKERS))
        bare_sequential = timed(lambda: bare_replay(address, paths, 1))
        bare_threads = timed(lambda: bare_replay(address, paths, WORKERS))
    ours, bare = sequential / batch, bare_sequential / bare_threads
    return {
        "images": len(images),
        "requests": len(paths),
        "sequential_s": round(sequential, 3),
        "verify_many_s": round(batch, 3),
        "speedup": round(ours, 2),
        "bare_sequential_s": round(bare_sequential, 3),
        "bare_16_threads_s": round(bare_threads, 3),
        "bare_speedup": round(bare, 2),
        "share_of_bare_speedup": round(ours / bare, 2),
    }


def docker_case(verifier: CosignVerifier, pair: KeyPair) -> dict[str, float]:
    with DockerRegistryProcess() as registry:
        images = signed_images(registry.registry, pair, 200)
        paths = recorded_requests(Executor(OCIRegistryStore(), [verifier]), images)
        one_store = Executor(OCIRegistryStore(), [verifier])
        sequential = timed(lambda: [one_store.verify(i) for i in images])
        forget_everything()
        results = Executor(OCIRegistryStore(), [verifier]).verify_many(images, workers=WORKERS)
        batch = timed(lambda: Executor(OCIRegistryStore(), [verifier]).verify_many(images, workers=WORKERS))
        bare_sequential = timed(lambda: bare_replay(registry.registry, paths, 1))
        bare_threads = timed(lambda: bare_replay(registry.registry, paths, WORKERS))
    assert all(r.is_success for r in results)
    return {
        "images": len(images),
        "requests": len(paths),
        "sequential_s": round(sequential, 3),
        "verify_many_s": round(batch, 3),
        "speedup": round(sequential / batch, 2),
        "bare_speedup": round(bare_sequential / bare_threads, 2),
    }


def main() -> None:
    if find_docker_registry() is None:
        sys.exit("docker-registry is not installed (apt-get install docker-registry)")
    logging.disable(logging.WARNING)
    pair = generate_key_pair()
    policy = TrustPolicy(name="p", scopes=["*"], keys=[KeyRef(provider="kp")], tlog_verify=False)
    verifier = CosignVerifier([policy], KeyProviders([InlineKeyProvider("kp", pair.public_pem())]))
    results = {"latency_5ms": latency_case(verifier, pair), "docker_registry": docker_case(verifier, pair)}
    slow, docker = results["latency_5ms"], results["docker_registry"]
    print(
        f"5 ms per request, {slow['images']} images ({slow['requests']} requests): sequential {slow['sequential_s']} s, "
        f"verify_many({WORKERS}) {slow['verify_many_s']} s: {slow['speedup']}x | bare http.client: "
        f"{slow['bare_sequential_s']} s -> {slow['bare_16_threads_s']} s on {WORKERS} threads: {slow['bare_speedup']}x "
        f"| ours is {slow['share_of_bare_speedup']:.0%} of the bare speed-up"
    )
    print(
        f"docker-registry, {docker['images']} images: sequential {docker['sequential_s']} s, "
        f"verify_many({WORKERS}) {docker['verify_many_s']} s: {docker['speedup']}x | bare http.client on "
        f"{WORKERS} threads: {docker['bare_speedup']}x (the registry's CPU is the limit on this machine)"
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "batch.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
