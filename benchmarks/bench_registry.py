"""A cold verification against Debian's docker-registry, beside a bare http.client replay.

Pushes an image to a fresh docker-registry and signs it twice (cosign's
``.sig`` tag, and an OCI 1.1 referrer kept in the referrers tag-schema
index). Then, in one run:
- counts the HTTP requests a cold ``Executor.verify`` sends (new store: empty
  cache, new connection pool) and times it;
- replays exactly those requests (same methods, paths and Accept headers)
  over one keep-alive ``http.client`` connection, reading every body, and
  times that: the floor the store stands on;
- times a warm verification (cache filled).
Writes benchmarks/results/registry.json. Needs docker-registry installed.
"""

from __future__ import annotations

import http.client
import json
import logging
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from cosign_verify import (
    ConfigPolicy,
    CosignVerifier,
    Executor,
    InlineKeyProvider,
    KeyProviders,
    KeyRef,
    TrustPolicy,
)
from cosign_verify.mediatypes import COSIGN_SIGNATURE_ARTIFACT_TYPE
from cosign_verify.store import OCIRegistryStore
from cosign_verify.testing import SignOptions, generate_key_pair, push_image, sign_image
from cosign_verify.testing.docker_registry import DockerRegistryProcess, find_docker_registry

RESULTS = Path(__file__).resolve().parent / "results"
ROUNDS = 200


def main() -> None:
    if find_docker_registry() is None:
        sys.exit("docker-registry is not installed (apt-get install docker-registry)")
    logging.disable(logging.WARNING)
    with DockerRegistryProcess() as registry:
        writer = OCIRegistryStore()
        pair = generate_key_pair()
        image = push_image(writer, f"{registry.registry}/bench/app:v1")
        sign_image(writer, image, pair)
        sign_image(writer, image, pair, SignOptions(layout="referrer"))
        assert image.digest
        subject = image.with_digest(image.digest)
        policy = TrustPolicy(name="p", scopes=["*"], keys=[KeyRef(provider="kp")], tlog_verify=False)
        verifier = CosignVerifier([policy], KeyProviders([InlineKeyProvider("kp", pair.public_pem())]))
        rules = ConfigPolicy({COSIGN_SIGNATURE_ARTIFACT_TYPE: "all"})

        recorded: list[tuple[str, str, str]] = []

        def record(response: requests.Response, *args: Any, **kwargs: Any) -> None:
            request = response.request
            recorded.append(
                (str(request.method), str(request.path_url), str(request.headers.get("Accept", "")))
            )

        probe = OCIRegistryStore()
        probe.transport.session.hooks["response"].append(record)
        assert Executor(probe, [verifier], rules).verify(subject).is_success
        requests_per_cold = len(recorded)

        def cold() -> None:
            result = Executor(OCIRegistryStore(), [verifier], rules).verify(subject)
            assert result.is_success

        host = urlsplit(f"http://{registry.registry}")

        def replay() -> None:
            connection = http.client.HTTPConnection(host.hostname or "127.0.0.1", host.port)
            for method, path, accept in recorded:
                connection.request(method, path, headers={"Accept": accept} if accept else {})
                response = connection.getresponse()
                response.read()
            connection.close()

        warm_store = OCIRegistryStore()
        warm_executor = Executor(warm_store, [verifier], rules)
        warm_executor.verify(subject)

        timings: dict[str, list[float]] = {"cold": [], "replay": [], "warm": []}
        for _ in range(ROUNDS):  # interleaved, so both see the same machine
            for name, func in (
                ("cold", cold),
                ("replay", replay),
                ("warm", lambda: warm_executor.verify(subject)),
            ):
                start = time.perf_counter()
                func()
                timings[name].append(time.perf_counter() - start)

    median = {name: statistics.median(values) for name, values in timings.items()}
    lines = [f"{m} {p}" for m, p, _ in recorded]
    results: dict[str, Any] = {
        "requests_per_cold_verification": requests_per_cold,
        "requests": lines,
        "cold_verify_ms": round(median["cold"] * 1e3, 2),
        "http_client_replay_ms": round(median["replay"] * 1e3, 2),
        "cold_over_replay": round(median["cold"] / median["replay"], 2),
        "warm_verify_ms": round(median["warm"] * 1e3, 3),
        "rounds": ROUNDS,
    }
    print(f"cold verification: {requests_per_cold} HTTP requests")
    for line in lines:
        print(f"  {line}")
    print(
        f"cold Executor.verify {results['cold_verify_ms']} ms | http.client replay of the same requests "
        f"{results['http_client_replay_ms']} ms | ratio {results['cold_over_replay']}x | "
        f"warm (cached) verify {results['warm_verify_ms']} ms  (medians of {ROUNDS})"
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "registry.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
