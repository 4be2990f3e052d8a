"""Prometheus metrics of the provider: verifications by outcome and reason, latency, cache hits, registry requests.

With several worker processes, set ``PROMETHEUS_MULTIPROC_DIR`` (``cosign-verify
serve`` does) and ``/metrics`` adds up every worker's counts.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from ..store.cache import Cache

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

VERIFICATIONS = Counter(
    "cosign_verify_verifications",
    "Images verified, by outcome (success, failure, error) and failure reason.",
    ["outcome", "reason"],
)
REQUESTS = Histogram(
    "cosign_verify_request_duration_seconds",
    "Time to answer one provider request, by endpoint and HTTP status.",
    ["endpoint", "status"],
    buckets=LATENCY_BUCKETS,
)
CACHE = Counter("cosign_verify_cache_lookups", "Store cache lookups, by result (hit, miss).", ["result"])
REGISTRY = Counter(
    "cosign_verify_registry_requests", "HTTP requests sent to registries (and token endpoints)."
)


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus's text format, every worker's when multiprocess."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST


class CountingCache:
    """A :class:`Cache` that counts its hits and misses."""

    def __init__(self, inner: Cache) -> None:
        self.inner = inner

    def get(self, key: str) -> Any | None:
        value = self.inner.get(key)
        CACHE.labels("miss" if value is None else "hit").inc()
        return value

    def set(self, key: str, value: Any, ttl: float | None) -> None:
        self.inner.set(key, value, ttl)

    def delete(self, key: str) -> None:
        self.inner.delete(key)


class RequestCounter:
    """Adds a store's requests since the last look to the registry-requests counter."""

    def __init__(self, read: Any) -> None:
        self._read = read
        self._seen = 0
        self._lock = threading.Lock()

    def update(self) -> None:
        with self._lock:
            now = int(self._read())
            if now > self._seen:
                REGISTRY.inc(now - self._seen)
            self._seen = now
