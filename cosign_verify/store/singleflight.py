"""Single-flight: concurrent calls for one key share one execution of the work."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class _Call:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None


class SingleFlight:
    """``do(key, work)`` runs ``work`` once for all threads that ask for ``key`` at the same time.

    The first caller runs it; the others wait and get its result (or its
    exception). Nothing is remembered once the call ends: caching is the
    caller's business.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[str, _Call] = {}

    def do(self, key: str, work: Callable[[], T]) -> T:
        """The result of ``work()``, run by this thread or shared from another running it now."""
        with self._lock:
            call = self._calls.get(key)
            leader = call is None
            if call is None:
                call = self._calls[key] = _Call()
        if not leader:
            call.done.wait()
            if call.error is not None:
                raise call.error
            return call.result  # type: ignore[no-any-return]
        try:
            call.result = work()
            return call.result  # type: ignore[no-any-return]
        except BaseException as exc:
            call.error = exc
            raise
        finally:
            with self._lock:
                del self._calls[key]
            call.done.set()
