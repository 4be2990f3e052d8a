"""The store's cache seam, and the in-memory TTL + LRU cache shipped by default."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Cache(Protocol):
    """A key-value cache with per-entry expiry. Values are whatever the store puts in."""

    def get(self, key: str) -> Any | None:
        """The value for ``key``, or None when absent or expired."""
        ...

    def set(self, key: str, value: Any, ttl: float | None) -> None:
        """Store ``value`` for ``ttl`` seconds (None: until evicted)."""
        ...

    def delete(self, key: str) -> None:
        """Forget ``key`` (a no-op when absent)."""
        ...


class MemoryCache:
    """Thread-safe in-memory cache: entries expire after their TTL, and the least
    recently used go first once ``max_entries`` or ``max_bytes`` (counting
    bytes values only) is reached."""

    def __init__(
        self,
        *,
        max_entries: int = 4096,
        max_bytes: int = 64 << 20,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float | None, Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> Any | None:
        """The live value for ``key``, or None."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires, value, _ = entry
            if expires is not None and self._clock() >= expires:
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return value

    def set(self, key: str, value: Any, ttl: float | None) -> None:
        """Store ``value``; a ``ttl`` of 0 or less stores nothing."""
        if ttl is not None and ttl <= 0:
            return
        size = len(value) if isinstance(value, bytes | bytearray) else 0
        if size > self.max_bytes:
            return
        with self._lock:
            if key in self._entries:
                self._drop(key)
            expires = None if ttl is None else self._clock() + ttl
            self._entries[key] = (expires, value, size)
            self._bytes += size
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def delete(self, key: str) -> None:
        """Forget ``key``."""
        with self._lock:
            if key in self._entries:
                self._drop(key)

    def __len__(self) -> int:
        return len(self._entries)

    def _drop(self, key: str) -> None:
        _, _, size = self._entries.pop(key)
        self._bytes -= size
