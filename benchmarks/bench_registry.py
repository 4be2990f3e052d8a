"""A cold verification per signature layout, beside a bare http.client replay of the *minimal* requests.

For each layout, the fewest requests the OCI distribution spec allows for a
correct answer are written down here, independently of the store:

- ``sig-tag`` (cosign's ``.sig`` tag, on docker-registry, which has no
  referrers API): referrers API probe (404), referrers tag-schema index
  (404), the ``.sig`` manifest by tag, its payload blob: 4.
- ``referrer-tag-schema`` (an OCI 1.1 referrer on docker-registry): probe
  (404), tag-schema index, the referrer manifest, its blob, the ``.sig`` tag
  (404, looked for because cosign's layout is enabled): 5.
- ``referrer-api`` (an OCI 1.1 referrer on a registry with the referrers API,
  the toolkit's RegistryServer in a process of its own): referrers list, the
  referrer manifest, its blob, the ``.sig`` tag (404): 4.

Each round times a cold ``Executor.verify`` (a new store: empty cache, new
connections, nothing parsed) and a replay of the minimal list over one keep-alive
``http.client`` connection, reading every body; the requests the store sent
are counted and printed beside the minimal count. Writes
benchmarks/results/registry.json. Needs docker-registry installed.
"""

from __future__ import annotations

import http.client
import json
import logging
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
from cosign_verify.store import OCIRegistryStore, cosign_signature_tag
from cosign_verify.store.oci import referrers_tag
from cosign_verify.testing import (
    KeyPair,
    SignOptions,
    generate_key_pair,
    push_image,
    sign_image,
)
from cosign_verify.testing.docker_registry import DockerRegistryProcess, find_docker_registry

RESULTS = Path(__file__).resolve().parent / "results"
ROUNDS = 150
INDEX = "application/vnd.oci.image.index.v1+json"
MANIFESTS = "application/vnd.oci.image.manifest.v1+json"


def minimal_requests(store: OCIRegistryStore, image: Reference, layout: str) -> list[tuple[str, str]]:
    """The minimal (path, Accept) list for ``layout``, from what the registry holds (read with a writer store)."""
    assert image.digest
    base = f"/v2/{image.repository}"
    probe = (f"{base}/referrers/{image.digest}", INDEX)
    schema = (f"{base}/manifests/{referrers_tag(image.digest)}", INDEX)
    sig_tag = (f"{base}/manifests/{cosign_signature_tag(image.digest)}", MANIFESTS)
    [referrer] = store.list_referrers(image.with_digest(image.digest))
    manifest = json.loads(store.fetch_manifest(image, referrer.digest))
    blob = (f"{base}/blobs/{manifest['layers'][0]['digest']}", "")
    by_digest = (f"{base}/manifests/{referrer.digest}", MANIFESTS)
    if layout == "sig-tag":
        return [probe, schema, sig_tag, blob]
    if layout == "referrer-tag-schema":
        return [probe, schema, by_digest, blob, sig_tag]
    return [probe, by_digest, blob, sig_tag]


def replay(host: str, port: int, requests_: list[tuple[str, str]]) -> None:
    connection = http.client.HTTPConnection(host, port)
    for path, accept in requests_:
        connection.request("GET", path, headers={"Accept": accept} if accept else {})
        connection.getresponse().read()
    connection.close()


@contextmanager
def registry(layout: str) -> Iterator[str]:
    """docker-registry, or the toolkit's RegistryServer (referrers API) in a process of its own."""
    if layout != "referrer-api":
        with DockerRegistryProcess() as docker:
            yield docker.registry
        return
    with registry_process() as address:
        yield address


def measure(layout: str, pair: KeyPair, verifier: CosignVerifier) -> dict[str, Any]:
    with registry(layout) as address:
        writer = OCIRegistryStore()
        image = push_image(writer, f"{address}/bench/app:v1")
        sign_image(writer, image, pair, SignOptions(layout="tag" if layout == "sig-tag" else "referrer"))
        subject = image.with_digest(image.digest or "")
        minimal = minimal_requests(writer, image, layout)
        host, _, port = address.rpartition(":")

        def cold() -> OCIRegistryStore:
            forget_everything()  # nothing parsed yet, as in a new process
            store = OCIRegistryStore()
            assert Executor(store, [verifier]).verify(subject).is_success
            return store

        sent = cold().transport.requests_sent
        timings: dict[str, list[float]] = {"cold": [], "replay": []}
        steps: dict[str, Callable[[], object]] = {
            "cold": cold,
            "replay": lambda: replay(host, int(port), minimal),
        }
        for _ in range(ROUNDS):  # interleaved, so both see the same machine
            for name, step in steps.items():
                start = time.perf_counter()
                step()
                timings[name].append(time.perf_counter() - start)
    median = {name: statistics.median(values) for name, values in timings.items()}
    return {
        "requests_sent": sent,
        "requests_minimal": len(minimal),
        "cold_verify_ms": round(median["cold"] * 1e3, 2),
        "replay_minimal_ms": round(median["replay"] * 1e3, 2),
        "cold_over_replay": round(median["cold"] / median["replay"], 2),
    }


def main() -> None:
    if find_docker_registry() is None:
        sys.exit("docker-registry is not installed (apt-get install docker-registry)")
    logging.disable(logging.WARNING)
    pair = generate_key_pair()
    policy = TrustPolicy(name="p", scopes=["*"], keys=[KeyRef(provider="kp")], tlog_verify=False)
    verifier = CosignVerifier([policy], KeyProviders([InlineKeyProvider("kp", pair.public_pem())]))
    results = {
        layout: measure(layout, pair, verifier)
        for layout in ("sig-tag", "referrer-tag-schema", "referrer-api")
    }
    for layout, r in results.items():
        print(
            f"{layout:>20}: {r['requests_sent']} requests sent (minimal {r['requests_minimal']}) | cold Executor.verify "
            f"{r['cold_verify_ms']} ms | http.client replay of the minimal list {r['replay_minimal_ms']} ms | "
            f"{r['cold_over_replay']}x  (medians of {ROUNDS})"
        )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "registry.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
