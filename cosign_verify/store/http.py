"""Bounded HTTP: pooled keep-alive connections; timeouts, a deadline, retries, redirects and size limits.

Used for registries (under ``transport.py``'s authentication), their token
endpoints, and Rekor. Built on ``urllib3`` (which ``requests`` stands on):
``requests`` costs about a millisecond of Python per request, more than a
registry on the same host takes to answer. 429, 5xx and connection errors
are retried with exponential backoff (``Retry-After`` honoured) within the
deadline. Bodies are read in small steps under the deadline and abandoned as
soon as they pass their size limit; gzip and deflate are decoded here within
that limit. Credentials never follow a redirect to another host, nor from
HTTPS to HTTP. Failures are one line by class (refused, name not resolved,
TLS, timed out, reset, truncated); ``StoreError.detail`` keeps the rest.
"""

from __future__ import annotations

import functools
import json as jsonlib
import logging
import os
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import attrs
import urllib3

from .._internal.deadline import bounded
from .._version import __version__
from ..errors import DeadlineError, StoreError, TooLargeError
from .body import ACCEPT_ENCODING, TruncatedError, read_body
from .options import MiB, RegistryOptions
from .urls import resolve_url, split_url
from .watchdog import response_head_by, watched

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


@attrs.frozen
class Response:
    """A fully read response."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), or None."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, OverflowError):
        return None


def describe(exc: BaseException) -> str:
    """A transport failure in a few words, by class."""
    text = str(exc).lower()
    if "refused" in text:
        return "connection refused"
    if isinstance(exc, urllib3.exceptions.NameResolutionError) or "name or service not known" in text:
        return "the host name does not resolve"
    if isinstance(exc, urllib3.exceptions.SSLError):
        return "TLS failed (certificate or handshake)"
    if isinstance(exc, TruncatedError) or "incompleteread" in text or "incomplete read" in text:
        return "the body was truncated"
    if isinstance(exc, urllib3.exceptions.TimeoutError):
        return "timed out"
    if isinstance(exc, urllib3.exceptions.ProtocolError):
        return "the connection broke off"
    return f"{type(exc).__name__}"


class HttpClient:
    """Retried, size-limited HTTP within a deadline, over one pool of keep-alive connections per host."""

    def __init__(
        self, options: RegistryOptions | None = None, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.options = options if options is not None else RegistryOptions()
        self._pools: dict[str, urllib3.PoolManager] = {}
        self._pools_lock = threading.Lock()
        self._ca_file = self.options.ca_bundle or _environment_ca_bundle() or _default_ca_file()
        self._headers = {"User-Agent": f"cosign-verify/{__version__}", "Accept-Encoding": ACCEPT_ENCODING}
        self._sleep = sleep
        self._counter_lock = threading.Lock()
        self.requests_sent = 0

    def deadline(self) -> float:
        """A deadline (``time.monotonic()``) for one operation starting now."""
        return time.monotonic() + self.options.deadline

    def request(
        self,
        method: str,
        url: str,
        *,
        deadline: float,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        data: bytes | Mapping[str, str] | None = None,
        json: Any = None,
        limit: int = 4 * MiB,
        what: str = "response",
    ) -> Response:
        """Send one request (redirects and retries included) and read its body up to ``limit`` bytes.

        Any status is returned; transport failures, the deadline and the size
        limit raise :class:`StoreError` (:class:`DeadlineError`, :class:`TooLargeError`).
        """
        deadline = bounded(deadline)
        body, send_headers = _encode(headers, data, json)
        target = f"{url}?{urlencode(params)}" if params else url
        attempt = 0
        while True:
            if deadline - time.monotonic() <= 0:
                raise DeadlineError(f"{method} {url}: no answer within the deadline")
            try:
                response, final_url = self._send(method, target, send_headers, body, deadline)
                if response.status in RETRY_STATUSES and attempt < self.options.max_retries:
                    delay = retry_after(response.headers.get("Retry-After"))
                    response.release_conn()
                    attempt = self._back_off(
                        attempt, delay, deadline, f"{method} {url}: HTTP {response.status}"
                    )
                    continue
                content = self._read(response, method, final_url, limit, deadline, what)
            except (urllib3.exceptions.HTTPError, TruncatedError, OSError) as exc:
                if time.monotonic() >= deadline:
                    raise DeadlineError(f"{method} {url}: no answer within the deadline") from None
                if attempt < self.options.max_retries:
                    attempt = self._back_off(attempt, None, deadline, f"{method} {url}: {describe(exc)}")
                    continue
                error = StoreError(f"{method} {url}: {describe(exc)}")
                error.detail = f"{type(exc).__name__}: {exc}"
                raise error from None
            return Response(status=response.status, headers=response.headers, body=content, url=final_url)

    def _back_off(self, attempt: int, delay: float | None, deadline: float, reason: str) -> int:
        wait = min(
            delay if delay is not None else self.options.backoff * (2**attempt), self.options.max_backoff
        )
        if time.monotonic() + wait >= deadline:
            raise DeadlineError(f"{reason}; giving up: a retry would pass the deadline")
        log.info("%s; retrying in %.2fs", reason, wait)
        self._sleep(wait)
        return attempt + 1

    def _send(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None, deadline: float
    ) -> tuple[urllib3.BaseHTTPResponse, str]:
        origin = split_url(url, f"{method} {url[:200]}")
        for _ in range(self.options.max_redirects + 1):
            remaining = max(deadline - time.monotonic(), 0.001)
            with self._counter_lock:
                self.requests_sent += 1
            with response_head_by(deadline):  # a read timeout bounds each read, not the whole head
                response = self._pool(url).urlopen(
                    method,
                    url,
                    body=body,
                    headers={**self._headers, **headers},
                    redirect=False,
                    retries=False,
                    preload_content=False,
                    decode_content=False,
                    timeout=urllib3.Timeout(
                        connect=min(self.options.connect_timeout, remaining),
                        read=min(self.options.read_timeout, remaining),
                    ),
                )
            location = response.headers.get("Location")
            if response.status not in REDIRECT_STATUSES or not location:
                return response, url
            _discard(response)
            target = resolve_url(url, location, f"{method} {url}: redirect")
            if target.scheme not in ("http", "https"):
                raise StoreError(f"{method} {url}: redirect to unsupported URL {location[:200]!r}")
            if origin.scheme == "https" and target.scheme == "http":
                raise StoreError(
                    f"{method} {url}: refusing redirect from HTTPS to plain HTTP ({target.netloc})"
                )
            if target.netloc != origin.netloc:
                headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
            if response.status == 303:
                method, body = "GET", None
            url = target.geturl()
        raise StoreError(f"{method} {url}: more than {self.options.max_redirects} redirects")

    def _pool(self, url: str) -> urllib3.PoolManager:
        """The pool manager for ``url``: direct, or through the environment's proxy (read once per host)."""
        parts = urlsplit(url)
        proxy = _proxy_for(parts.scheme, parts.hostname or "")
        with self._pools_lock:
            pool = self._pools.get(proxy)
            if pool is None:
                settings: dict[str, Any] = {
                    "num_pools": 32,
                    "maxsize": self.options.max_connections,
                    "cert_reqs": "CERT_REQUIRED" if self.options.tls_verify else "CERT_NONE",
                    "ca_certs": self._ca_file,
                }
                if not self.options.tls_verify:
                    settings["assert_hostname"] = False
                pool = watched(
                    urllib3.ProxyManager(proxy, **settings) if proxy else urllib3.PoolManager(**settings)
                )
                self._pools[proxy] = pool
        return pool

    def _read(
        self,
        response: urllib3.BaseHTTPResponse,
        method: str,
        url: str,
        limit: int,
        deadline: float,
        what: str,
    ) -> bytes:
        """The body, decoded; the connection goes back to the pool once the body is read to its end."""
        if method == "HEAD":
            _discard(response)
            return b""
        try:
            body = read_body(response, limit, deadline, self.options.read_timeout, f"{what} from {url}")
        except BaseException:
            response.close()
            raise
        response.release_conn()
        return body


def _encode(
    headers: Mapping[str, str] | None, data: bytes | Mapping[str, str] | None, json: Any
) -> tuple[bytes | None, dict[str, str]]:
    out = dict(headers or {})
    if json is not None:
        out["Content-Type"] = "application/json"
        return jsonlib.dumps(json).encode(), out
    if isinstance(data, Mapping):
        out["Content-Type"] = "application/x-www-form-urlencoded"
        return urlencode(data).encode(), out
    return data, out


def _discard(response: urllib3.BaseHTTPResponse) -> None:
    """Drop a response whose body is not wanted: back to the pool when it is empty, closed otherwise."""
    if response.headers.get("Content-Length", "0").strip() == "0" and not response.headers.get(
        "Transfer-Encoding"
    ):
        response.release_conn()
    else:
        response.close()


@functools.lru_cache(maxsize=256)
def _proxy_for(scheme: str, host: str) -> str:
    """The environment's proxy for ``scheme://host`` (empty: none), read once per host for the process."""
    proxies = urllib.request.getproxies()
    if not proxies or urllib.request.proxy_bypass(host):
        return ""
    return proxies.get(scheme, "")


def _environment_ca_bundle() -> str | None:
    """The CA bundle ``requests`` users expect from the environment (read once per client)."""
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or None


def _default_ca_file() -> str | None:
    """The CA bundle ``requests`` uses (certifi), or None for the system's."""
    try:
        import certifi
    except ImportError:  # pragma: no cover - certifi comes with requests
        return None
    return str(certifi.where())


__all__ = ["HttpClient", "Response", "TooLargeError", "describe", "retry_after"]
