"""Single-flight: concurrent calls for one key share one execution of the work, each within its own deadline."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from .._internal import deadline as deadlines
from .._internal.failure import Failure, FailureReason
from ..errors import DeadlineError

T = TypeVar("T")


class _Call:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None


def _waited_too_long() -> BaseException:
    return DeadlineError(
        "the deadline passed while waiting for another verification's fetch of the same content"
    )


def _out_of_time(error: BaseException) -> bool:
    """Whether ``error`` says that its caller's deadline passed (not that the work cannot be done)."""
    return isinstance(error, DeadlineError) or (
        isinstance(error, Failure) and error.reason is FailureReason.DEADLINE_EXCEEDED
    )


class SingleFlight:
    """``do(key, work)`` runs ``work`` once for all threads that ask for ``key`` at the same time.

    The first caller runs it; the others wait and get its result (or its
    exception). A waiter honours its own deadline, not the runner's: it waits
    at most until the enclosing verification's deadline (see
    ``_internal/deadline.py``) or ``patience`` seconds, then raises
    ``expired()`` (a :class:`DeadlineError` by default); and when the runner
    failed because *its* deadline passed, a waiter with time left runs the
    work itself. Nothing is remembered once the call ends: caching is the
    caller's business.
    """

    def __init__(
        self, *, patience: float | None = None, expired: Callable[[], BaseException] = _waited_too_long
    ) -> None:
        self._lock = threading.Lock()
        self._calls: dict[str, _Call] = {}
        self._patience = patience
        self._expired = expired

    def do(self, key: str, work: Callable[[], T]) -> T:
        """The result of ``work()``, run by this thread or shared from another running it now."""
        until = self._until()
        while True:
            with self._lock:
                call = self._calls.get(key)
                if call is None:
                    call = self._calls[key] = _Call()
                    break
            if not call.done.wait(None if until is None else max(until - time.monotonic(), 0.0)):
                raise self._expired()
            if call.error is None:
                return call.result  # type: ignore[no-any-return]
            if not (_out_of_time(call.error) and (until is None or time.monotonic() < until)):
                raise call.error
        return self._run(key, call, work)

    def _until(self) -> float | None:
        """When a waiter stops waiting (``time.monotonic()``), or None for never."""
        if self._patience is None:
            return deadlines.current()
        return deadlines.bounded(time.monotonic() + self._patience)

    def _run(self, key: str, call: _Call, work: Callable[[], T]) -> T:
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
