"""The provider as a WSGI application: Gatekeeper's verify and mutate endpoints, health, readiness and metrics."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import attrs

from .._internal.deadline import deadline_scope
from ..engine import Executor
from ..errors import CosignVerifyError, InvalidReferenceError
from ..reference import Reference
from ..report import VerificationResult
from . import MUTATE_PATH, VERIFY_PATH, gatekeeper, metrics
from .gatekeeper import BadRequestError, Item

log = logging.getLogger("cosign_verify.server")

MAX_BODY = 1 << 20

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
Environ = dict[str, Any]


@attrs.frozen(kw_only=True)
class ServerOptions:
    """How the provider answers.

    - ``timeout``: seconds for one image (the images of a request are
      verified in parallel, each within it; Gatekeeper waits 3 s by default).
    - ``workers``: threads of the process's pool that verify images, shared
      by every request it serves (threads are reused, not made per request).
    """

    timeout: float = 2.5
    workers: int = 32


@attrs.frozen
class Answer:
    status: str
    body: bytes
    content_type: str = "application/json"


class ProviderApp:
    """A WSGI application answering Gatekeeper with ``executor`` (built on first use by ``build``).

    The executor is built lazily in the process that serves, so that a
    pre-forking server gives each worker its own connections.
    """

    def __init__(self, build: Callable[[], Executor], options: ServerOptions | None = None) -> None:
        self._build = build
        self.options = options or ServerOptions()
        self._executor: Executor | None = None
        self._lock = threading.Lock()
        self._requests: metrics.RequestCounter | None = None
        self._pool: ThreadPoolExecutor | None = None

    @property
    def executor(self) -> Executor:
        if self._executor is None:
            with self._lock:
                if self._executor is None:
                    executor = self._build()
                    store: Any = executor.store
                    if hasattr(store, "cache"):
                        store.cache = metrics.CountingCache(store.cache)
                    if hasattr(store, "requests_sent"):
                        self._requests = metrics.RequestCounter(lambda: store.requests_sent)
                    self._executor = executor
        return self._executor

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        answer, keys = self._route(path, method, environ)
        elapsed = time.perf_counter() - started
        endpoint = path if path in ROUTES else "other"
        metrics.REQUESTS.labels(endpoint, answer.status.split()[0]).observe(elapsed)
        fields = {"method": method, "path": path[:200], "status": int(answer.status.split()[0])}
        fields.update(ms=round(elapsed * 1000, 1), keys=keys)
        log.info("request", extra={"fields": fields})
        headers = [("Content-Type", answer.content_type), ("Content-Length", str(len(answer.body)))]
        start_response(answer.status, headers)
        return [answer.body]

    def _route(self, path: str, method: str, environ: Environ) -> tuple[Answer, int]:
        if path in (VERIFY_PATH, MUTATE_PATH):
            if method != "POST":
                return _error("405 Method Not Allowed", f"{path} takes POST"), 0
            return self._provider(path, environ)
        if method != "GET":
            return _error("405 Method Not Allowed", f"{path} takes GET"), 0
        if path == "/healthz":
            return Answer("200 OK", b'{"status":"ok"}'), 0
        if path == "/readyz":
            return self._ready(), 0
        if path == "/metrics":
            if self._requests is not None:
                self._requests.update()
            body, content_type = metrics.exposition()
            return Answer("200 OK", body, content_type), 0
        return _error("404 Not Found", f"no endpoint {path[:200]!r}"), 0

    def _ready(self) -> Answer:
        try:
            self.executor  # noqa: B018 - building it is the readiness check
        except CosignVerifyError as exc:
            return _error("503 Service Unavailable", f"not ready: {exc}")
        return Answer("200 OK", b'{"status":"ready"}')

    def _provider(self, path: str, environ: Environ) -> tuple[Answer, int]:
        mutation = path == MUTATE_PATH
        try:
            request = gatekeeper.parse_request(_body(environ))
        except BadRequestError as exc:
            body = gatekeeper.response(None, idempotent=mutation, system_error=str(exc))
            return Answer("400 Bad Request", body), 0
        try:
            items = self._mutate(request.keys) if mutation else self._verify(request.keys)
        except CosignVerifyError as exc:  # the executor cannot be built: the whole request fails
            body = gatekeeper.response(None, idempotent=mutation, system_error=str(exc))
            return Answer("500 Internal Server Error", body), len(request.keys)
        finally:
            if self._requests is not None:
                self._requests.update()
        body = gatekeeper.response(items, api_version=request.api_version, idempotent=mutation)
        return Answer("200 OK", body), len(request.keys)

    def _verify(self, keys: tuple[str, ...]) -> list[Item]:
        executor = self.executor
        if len(keys) <= 1:
            results = executor.verify_many(keys, workers=1)
            return [_verified(key, result) for key, result in zip(keys, results, strict=True)]
        pool = self._shared_pool()
        futures = [pool.submit(executor.verify_many, [key], workers=1) for key in keys]
        items = []
        for key, future in zip(keys, futures, strict=True):
            try:
                items.append(_verified(key, future.result(timeout=self.options.timeout + 1.0)[0]))
            except FutureTimeout:  # the pool is saturated: this image waited past its deadline
                future.cancel()
                metrics.VERIFICATIONS.labels("error", "overloaded").inc()
                items.append(Item(key, None, "not verified in time: the provider is overloaded"))
        return items

    def _shared_pool(self) -> ThreadPoolExecutor:
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(self.options.workers, thread_name_prefix="cosign-verify")
        return self._pool

    def _mutate(self, keys: tuple[str, ...]) -> list[Item]:
        """Each key pinned to its digest, all of them within one ``timeout`` (a key past it is an error)."""
        store = self.executor.store
        items = []
        with deadline_scope(self.options.timeout):
            for key in keys:
                try:
                    reference = Reference.parse(key)
                except InvalidReferenceError as exc:
                    items.append(Item(key, key, f"invalid image reference: {exc}"))
                    continue
                try:
                    if reference.digest is None:
                        reference = reference.with_digest(store.resolve(reference).digest)
                    items.append(Item(key, f"{reference.name}@{reference.digest}"))
                except Exception as exc:  # the store is a seam: any failure is this key's error
                    items.append(Item(key, key, f"cannot resolve {key}: {exc}"))
        return items


def _verified(key: str, result: VerificationResult) -> Item:
    reason = result.reason.value if result.reason is not None else "none"
    if result.is_success:
        metrics.VERIFICATIONS.labels("success", "none").inc()
        return Item(key, result.to_dict())
    metrics.VERIFICATIONS.labels("failure", reason).inc()
    if reason == "subject-unresolved" and not result.verifier_reports:
        return Item(key, result.to_dict(), result.message or "cannot resolve the image")
    return Item(key, result.to_dict())


def _body(environ: Environ) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise BadRequestError("Content-Length is not a number") from None
    if length < 0:
        raise BadRequestError("Content-Length is negative")
    if length > MAX_BODY:
        raise BadRequestError(f"request body is {length} bytes (at most {MAX_BODY})")
    data = bytes(environ["wsgi.input"].read(length if length else MAX_BODY + 1))
    if len(data) > MAX_BODY:
        raise BadRequestError(f"request body is over {MAX_BODY} bytes")
    return data


def _error(status: str, message: str) -> Answer:
    return Answer(status, json.dumps({"error": message}).encode())


ROUTES = (VERIFY_PATH, MUTATE_PATH, "/healthz", "/readyz", "/metrics")
