"""The toolkit's RegistryServer in a process of its own, so that its work does not share our interpreter."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from cosign_verify.testing import RegistryServer


def _serve(addresses: multiprocessing.Queue[str], stop: Any, latency: float) -> None:
    with RegistryServer() as server:
        if latency:
            server.fail(r".*", times=-1, delay=latency)  # every request, then the real answer
        addresses.put(server.registry)
        stop.wait()


@contextmanager
def registry_process(latency: float = 0.0) -> Iterator[str]:
    """``host:port`` of a RegistryServer (referrers API) in another process, ``latency`` seconds per request."""
    addresses: multiprocessing.Queue[str] = multiprocessing.Queue()
    stop = multiprocessing.Event()
    process = multiprocessing.Process(target=_serve, args=(addresses, stop, latency), daemon=True)
    process.start()
    try:
        yield addresses.get(timeout=30)
    finally:
        stop.set()
        process.join(timeout=10)
