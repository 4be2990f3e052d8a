"""A deadline for the status line and headers of a response, which a per-read timeout cannot give.

A socket timeout bounds each read, so a server that sends its headers one
byte at a time keeps a reader for as long as it likes. While a connection
waits for a response's head, :data:`WATCHDOG` holds its socket and the
deadline; if the head is not in by then, the watchdog's one thread shuts the
socket down, and the blocked read ends at once (``HttpClient`` reports the
deadline). Connections of the pools ``HttpClient`` makes do this for every
request sent within :func:`response_head_by`.
"""

from __future__ import annotations

import contextlib
import contextvars
import heapq
import itertools
import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection

_HEAD_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "cosign_verify_response_head_deadline", default=None
)


class _Watch:
    __slots__ = ("deadline", "done", "order", "sock")

    def __init__(self, deadline: float, order: int, sock: socket.socket) -> None:
        self.deadline = deadline
        self.order = order
        self.sock = sock
        self.done = False

    def __lt__(self, other: _Watch) -> bool:
        return (self.deadline, self.order) < (other.deadline, other.order)


class Watchdog:
    """Shuts down the sockets of responses whose head is not read by their deadline (one thread)."""

    def __init__(self) -> None:
        self._condition = threading.Condition(threading.Lock())
        self._heap: list[_Watch] = []
        self._finished = 0  # watches in the heap that ended in time
        self._order = itertools.count()
        self._thread: threading.Thread | None = None
        self.fired = 0

    @contextlib.contextmanager
    def watch(self, sock: socket.socket, deadline: float) -> Iterator[None]:
        """Shut ``sock`` down at ``deadline`` unless the block ends first."""
        entry = _Watch(deadline, next(self._order), sock)
        with self._condition:
            self._start()
            heapq.heappush(self._heap, entry)
            if self._heap[0] is entry:
                self._condition.notify()
        try:
            yield
        finally:
            with self._condition:
                if not entry.done:  # (else the watchdog fired and dropped it)
                    entry.done = True
                    self._finished += 1
                if self._finished > 64 and self._finished * 2 > len(self._heap):
                    self._heap = [w for w in self._heap if not w.done]
                    heapq.heapify(self._heap)
                    self._finished = 0

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="cosign-verify-watchdog", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        with self._condition:
            while True:
                while self._heap and self._heap[0].done:
                    heapq.heappop(self._heap)
                    self._finished -= 1
                if not self._heap:
                    self._condition.wait()
                    continue
                wait = self._heap[0].deadline - time.monotonic()
                if wait > 0:
                    self._condition.wait(wait)
                    continue
                entry = heapq.heappop(self._heap)
                entry.done = True
                self.fired += 1
                _shut_down(entry.sock)

    def _after_fork(self) -> None:
        self._condition = threading.Condition(threading.Lock())
        self._heap, self._finished, self._thread = [], 0, None


def _shut_down(sock: socket.socket) -> None:
    """End every read on ``sock`` now (below TLS: the reader sees the connection end)."""
    with contextlib.suppress(OSError):  # already closed
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


WATCHDOG = Watchdog()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=WATCHDOG._after_fork)


@contextlib.contextmanager
def response_head_by(deadline: float) -> Iterator[None]:
    """Requests sent inside (on this thread) must have their status line and headers by ``deadline``."""
    token = _HEAD_DEADLINE.set(deadline)
    try:
        yield
    finally:
        _HEAD_DEADLINE.reset(token)


def _get_response(connection: HTTPConnection, get: Any) -> Any:
    deadline = _HEAD_DEADLINE.get()
    sock = connection.sock
    if deadline is None or sock is None:
        return get()
    with WATCHDOG.watch(sock, deadline):
        return get()


class WatchedHTTPConnection(HTTPConnection):
    """An HTTP connection whose response head is read under the deadline of :func:`response_head_by`."""

    def getresponse(self) -> Any:
        return _get_response(self, super().getresponse)


class WatchedHTTPSConnection(HTTPSConnection):
    """An HTTPS connection whose response head is read under the deadline of :func:`response_head_by`."""

    def getresponse(self) -> Any:
        return _get_response(self, super().getresponse)


class _HTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = WatchedHTTPConnection


class _HTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = WatchedHTTPSConnection


def watched(manager: urllib3.PoolManager) -> urllib3.PoolManager:
    """``manager``, making its pools of connections that honour :func:`response_head_by`."""
    manager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
    return manager
