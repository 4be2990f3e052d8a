"""Bounded HTTP: one pooled session; timeouts, a deadline, retries, redirects and size limits on every request.

Used for registries (under ``transport.py``'s authentication), their token
endpoints, and Rekor. 429, 5xx and connection errors are retried with
exponential backoff (``Retry-After`` honoured) within the deadline. Bodies
are streamed and abandoned as soon as they pass their size limit.
Credentials never follow a redirect to another host, nor from HTTPS to HTTP.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import zlib
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import attrs
import requests
import requests.adapters
import urllib3

from .._internal.deadline import bounded
from .._version import __version__
from ..errors import DeadlineError, StoreError, TooLargeError
from .options import MiB, RegistryOptions

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
    except (TypeError, ValueError):
        return None


class HttpClient:
    """Retried, size-limited HTTP within a deadline, over one pooled ``requests`` session."""

    def __init__(
        self,
        options: RegistryOptions | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.options = options if options is not None else RegistryOptions()
        self.session = session or _pooled_session(self.options.max_connections)
        self.session.headers["User-Agent"] = f"cosign-verify/{__version__}"
        self.session.headers["Accept-Encoding"] = ACCEPT_ENCODING
        # The environment (proxies, CA bundle) is read once per host, not on every request.
        self.session.trust_env = False
        self._verify: str | bool = self.options.ca_bundle or _environment_ca_bundle() or True
        self._proxies: dict[str, dict[str, str]] = {}
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

        Any status is returned; only transport failures, the deadline and
        the size limit raise :class:`StoreError`.
        """
        deadline = bounded(deadline)
        attempt = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DeadlineError(f"{method} {url}: no answer within the deadline")
            try:
                response = self._send(method, url, dict(headers or {}), params, data, json, remaining)
                status = response.status_code
                if status in RETRY_STATUSES and attempt < self.options.max_retries:
                    delay = retry_after(response.headers.get("Retry-After"))
                    response.close()
                    attempt = self._back_off(attempt, delay, deadline, f"{method} {url}: HTTP {status}")
                    continue
                body = self._read(response, method, url, limit, deadline, what)
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
            ) as exc:
                if attempt < self.options.max_retries:
                    attempt = self._back_off(attempt, None, deadline, f"{method} {url}: {exc}")
                    continue
                if isinstance(exc, requests.exceptions.ChunkedEncodingError):
                    raise StoreError(f"{method} {url}: response body truncated ({exc})") from None
                raise StoreError(f"{method} {url}: {type(exc).__name__}: {exc}") from None
            except requests.RequestException as exc:
                raise StoreError(f"{method} {url}: {type(exc).__name__}: {exc}") from None
            return Response(status=status, headers=response.headers, body=body, url=response.url)

    def _back_off(self, attempt: int, delay: float | None, deadline: float, reason: str) -> int:
        wait = min(
            delay if delay is not None else self.options.backoff * (2**attempt), self.options.max_backoff
        )
        if time.monotonic() + wait >= deadline:
            raise StoreError(
                f"{reason}; giving up: a retry would pass the {self.options.deadline:g}s deadline"
            )
        log.info("%s; retrying in %.2fs", reason, wait)
        self._sleep(wait)
        return attempt + 1

    def _send(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        params: Mapping[str, str] | None,
        data: bytes | Mapping[str, str] | None,
        json: Any,
        remaining: float,
    ) -> requests.Response:
        origin = urlsplit(url)
        for _ in range(self.options.max_redirects + 1):
            with self._counter_lock:
                self.requests_sent += 1
            response = self.session.request(
                method,
                url,
                headers=headers,
                params=params,
                data=data,
                json=json,
                allow_redirects=False,
                stream=True,
                timeout=(
                    min(self.options.connect_timeout, remaining),
                    min(self.options.read_timeout, remaining),
                ),
                verify=self._verify,
                proxies=self._proxies_for(url),
            )
            location = response.headers.get("Location")
            if response.status_code not in REDIRECT_STATUSES or not location:
                return response
            response.close()
            target = urlsplit(urljoin(url, location))
            if target.scheme not in ("http", "https"):
                raise StoreError(f"{method} {url}: redirect to unsupported URL {location!r}")
            if origin.scheme == "https" and target.scheme == "http":
                raise StoreError(
                    f"{method} {url}: refusing redirect from HTTPS to plain HTTP ({target.netloc})"
                )
            if target.netloc != origin.netloc:
                headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
            if response.status_code == 303:
                method, data, json = "GET", None, None
            url, params = target.geturl(), None
        raise StoreError(f"{method} {url}: more than {self.options.max_redirects} redirects")

    def _proxies_for(self, url: str) -> dict[str, str]:
        netloc = urlsplit(url).netloc
        found = self._proxies.get(netloc)
        if found is None:
            found = self._proxies[netloc] = dict(requests.utils.get_environ_proxies(url))
        return found

    def _read(
        self, response: requests.Response, method: str, url: str, limit: int, deadline: float, what: str
    ) -> bytes:
        """The body, decoded, read in small steps so that the deadline and ``limit`` hold mid-body."""
        if method == "HEAD":
            _release(response)
            return b""
        try:
            decoder = _decoder(response.headers.get("Content-Encoding", ""))
            declared = _content_length(response.headers.get("Content-Length"))
            if declared is not None and decoder is None and declared > limit:
                raise TooLargeError(f"{what} from {url} is {declared} bytes, over the {limit}-byte limit")
            body, received = self._read_body(response, decoder, limit, deadline, f"{what} from {url}")
        except BaseException:
            response.close()
            raise
        _release(response)
        if declared is not None and received != declared:
            raise requests.exceptions.ChunkedEncodingError(
                f"{what} truncated: {received} of {declared} bytes received"
            )
        return body

    def _read_body(
        self, response: requests.Response, decoder: Any, limit: int, deadline: float, what: str
    ) -> tuple[bytes, int]:
        raw = response.raw
        chunks: list[bytes] = []
        total = received = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DeadlineError(f"{what}: not read within the deadline")
            _read_timeout(raw, min(self.options.read_timeout, remaining))
            try:
                data = raw.read1(READ_STEP, decode_content=False)
            except urllib3.exceptions.HTTPError as exc:
                if time.monotonic() >= deadline:
                    raise DeadlineError(f"{what}: not read within the deadline") from None
                raise requests.exceptions.ChunkedEncodingError(f"{what}: {exc}") from None
            if not data:
                break
            received += len(data)
            if decoder is not None:
                data = _decode(decoder, data, limit - total + 1, what)
            total += len(data)
            if total > limit:
                raise TooLargeError(f"{what} is over the {limit}-byte limit")
            chunks.append(data)
        return b"".join(chunks), received


READ_STEP = 16 * 1024
# Only what we decode ourselves, with a bound on the decoded size.
ACCEPT_ENCODING = "gzip, deflate"


def _pooled_session(connections: int) -> requests.Session:
    """A session whose pools keep ``connections`` connections per host (one per worker thread)."""
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_connections=16, pool_maxsize=connections, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _environment_ca_bundle() -> str | None:
    """The CA bundle ``requests`` would read from the environment (read once, here)."""
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or None


def _release(response: requests.Response) -> None:
    """Give a fully read response's connection back to the pool (closing it would end keep-alive)."""
    try:
        response.raw.read()  # nothing is left; this lets http.client mark the response complete
        response.raw.release_conn()
    except Exception:  # the connection is unusable: drop it
        response.close()


def _content_length(value: str | None) -> int | None:
    return int(value) if value is not None and value.strip().isdigit() else None


def _decoder(encoding: str) -> Any:
    """A bounded decompressor for the response's ``Content-Encoding`` (None for identity)."""
    name = encoding.strip().lower()
    if name in ("", "identity"):
        return None
    if name in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if name == "deflate":
        return zlib.decompressobj()
    raise StoreError(f"unsupported Content-Encoding {encoding[:40]!r}")


def _decode(decoder: Any, data: bytes, room: int, what: str) -> bytes:
    """Decompress ``data`` producing at most ``room`` bytes (a gzip bomb stops there, never in memory)."""
    try:
        out: bytes = decoder.decompress(data, room)
    except zlib.error as exc:
        raise StoreError(f"{what}: corrupt compressed body ({exc})") from None
    if decoder.unconsumed_tail:  # more output than room: over the limit
        return out + b"\0"
    return out


def _read_timeout(raw: Any, seconds: float) -> None:
    """Bound the next socket read by ``seconds`` (requests' read timeout is per read, not per body)."""
    connection = getattr(raw, "connection", None)
    sock = getattr(connection, "sock", None)
    if sock is not None:
        sock.settimeout(max(seconds, 0.001))
