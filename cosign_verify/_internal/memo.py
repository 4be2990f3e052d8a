"""Parsed content kept by digest: content-addressed bytes parse to the same value every time.

Only for bytes already checked against the digest they are filed under (the
store is untrusted): a value found by :meth:`KeyedMemo.get` was parsed from
bytes that hashed to its digest, so a warm verification need not fetch and
hash those bytes again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class KeyedMemo(Generic[T]):
    """A bounded, thread-safe memo of values computed once per key; the oldest is forgotten first.

    Reads take no lock (one dict lookup is atomic); writes do.
    """

    def __init__(self, size: int = 2048) -> None:
        self._size = size
        self._values: dict[str, T] = {}
        self._lock = threading.Lock()
        _EVERY.append(self)

    def clear(self) -> None:
        """Forget every value."""
        with self._lock:
            self._values.clear()

    def get(self, key: str) -> T | None:
        """The value remembered under ``key``, if any."""
        return self._values.get(key)

    def __call__(self, key: str, verified: bytes, compute: Callable[[], T]) -> T:
        """The value remembered under ``key``, else ``compute()`` (remembered unless it raises)."""
        found = self._values.get(key)
        if found is not None:
            return found
        value = compute()  # a Failure is not remembered: the next call raises it again
        with self._lock:
            self._values[key] = value
            if len(self._values) > self._size:
                del self._values[next(iter(self._values))]
        return value


_EVERY: list[KeyedMemo[Any]] = []  # the process's memos (a few, module-level)


def forget_everything() -> None:
    """Empty every memo of the process (as a new process starts: tests of what stores serve use it)."""
    for memo in _EVERY:
        memo.clear()


class DigestMemo(Generic[T]):
    """``parse(bytes)`` remembered under the digest the bytes were checked against."""

    def __init__(self, parse: Callable[[bytes], T], size: int = 2048) -> None:
        self._parse = parse
        self._memo: KeyedMemo[T] = KeyedMemo(size)

    def get(self, digest: str) -> T | None:
        """What bytes of ``digest`` parsed to, if they have been parsed."""
        return self._memo.get(digest)

    def __call__(self, digest: str, verified: bytes) -> T:
        """``parse(verified)``, remembered under ``digest`` (which ``verified`` must hash to)."""
        return self._memo(digest, verified, lambda: self._parse(verified))
