"""One deadline for one verification, seen by every request and every loop made on its behalf.

:class:`~cosign_verify.Executor` opens a scope per subject; the HTTP client,
Rekor lookups and the verifier's loops read :func:`remaining` and stop in
time. Scopes nest: an inner one never extends an outer one.
"""

from __future__ import annotations

import contextvars
import time

from .failure import Failure, FailureReason

_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "cosign_verify_deadline", default=None
)


class deadline_scope:  # noqa: N801 - used like a function: ``with deadline_scope(2.5):``
    """Everything inside must finish within ``seconds`` (None: no limit beyond an enclosing scope's)."""

    __slots__ = ("_seconds", "_token")

    def __init__(self, seconds: float | None) -> None:
        self._seconds = seconds
        self._token: contextvars.Token[float | None] | None = None

    def __enter__(self) -> None:
        if self._seconds is not None:
            outer = _DEADLINE.get()
            at = time.monotonic() + self._seconds
            self._token = _DEADLINE.set(at if outer is None else min(outer, at))

    def __exit__(self, *exc: object) -> None:
        if self._token is not None:
            _DEADLINE.reset(self._token)


def current() -> float | None:
    """The enclosing deadline (``time.monotonic()`` seconds), or None."""
    return _DEADLINE.get()


def bounded(deadline: float) -> float:
    """``deadline``, or the enclosing scope's when that comes first."""
    outer = _DEADLINE.get()
    return deadline if outer is None else min(deadline, outer)


def check(what: str) -> None:
    """Raise a ``DEADLINE_EXCEEDED`` :class:`Failure` if the enclosing deadline has passed."""
    at = _DEADLINE.get()
    if at is not None and time.monotonic() >= at:
        raise Failure(FailureReason.DEADLINE_EXCEEDED, f"{what}: the verification deadline passed")
