"""HTTP for registries: one pooled session, auth challenges, redirects, retries, size limits.

Every request has a timeout and every operation a deadline; 429, 5xx and
connection errors are retried with exponential backoff (``Retry-After``
honoured) within both. Bodies are streamed and abandoned as soon as they
pass their size limit. Credentials never follow a redirect to another host,
and never go to a token realm over plain HTTP (except on loopback).
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import attrs
import requests

from .._version import __version__
from ..errors import StoreError
from .auth import AuthProvider, Credentials, parse_challenge
from .options import MiB, RegistryOptions, is_loopback

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
DOCKER_HUB_API = "registry-1.docker.io"
DEFAULT_TOKEN_TTL = 60.0


@attrs.frozen
class Response:
    """A fully read response."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str


def _retry_after(value: str | None) -> float | None:
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


class Transport:
    """Authenticated, retried, size-limited HTTP to OCI registries (internal to the store)."""

    def __init__(
        self,
        options: RegistryOptions,
        auth: AuthProvider | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.options = options
        self.auth = auth
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = f"cosign-verify/{__version__}"
        self._sleep = sleep
        self._tokens: dict[tuple[str, str], tuple[str, float]] = {}
        self._basic: dict[str, str] = {}
        self._lock = threading.Lock()
        self.requests_sent = 0

    # --- addressing ---------------------------------------------------------

    def plain_http(self, registry: str) -> bool:
        """Whether ``registry`` is spoken to over plain HTTP."""
        return self.options.use_http or registry in self.options.insecure_registries or is_loopback(registry)

    def base_url(self, registry: str) -> str:
        """``https://host/v2`` (or ``http://`` for insecure and loopback registries)."""
        host = DOCKER_HUB_API if registry == "docker.io" else registry
        return f"{'http' if self.plain_http(registry) else 'https'}://{host}/v2"

    # --- requests -------------------------------------------------------------

    def request(
        self,
        method: str,
        registry: str,
        path: str,
        *,
        scope: str,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        data: bytes | None = None,
        limit: int = 4 * MiB,
        what: str = "response",
    ) -> Response:
        """Send one logical request: auth, redirects and retries included; the body read up to ``limit``."""
        url = f"{self.base_url(registry)}{path}"
        deadline = time.monotonic() + self.options.deadline
        attempt = 0
        authenticated = False
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise StoreError(f"{method} {url}: no answer within the {self.options.deadline:g}s deadline")
            send_headers = dict(headers or {})
            authorization = self._authorization(registry, scope)
            if authorization:
                send_headers["Authorization"] = authorization
            try:
                response = self._send(method, url, send_headers, params, data, remaining)
                status = response.status_code
                if status == 401 and not authenticated:
                    challenge = response.headers.get("WWW-Authenticate", "")
                    response.close()
                    self._forget(registry, scope)
                    self._authenticate(registry, scope, challenge, deadline)
                    authenticated = True
                    continue
                if status in RETRY_STATUSES and attempt < self.options.max_retries:
                    delay = _retry_after(response.headers.get("Retry-After"))
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

    def _back_off(self, attempt: int, retry_after: float | None, deadline: float, reason: str) -> int:
        delay = retry_after if retry_after is not None else self.options.backoff * (2**attempt)
        delay = min(delay, self.options.max_backoff)
        if time.monotonic() + delay >= deadline:
            raise StoreError(
                f"{reason}; giving up: a retry would pass the {self.options.deadline:g}s deadline"
            )
        log.info("%s; retrying in %.2fs", reason, delay)
        self._sleep(delay)
        return attempt + 1

    def _send(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        params: Mapping[str, str] | None,
        data: bytes | None,
        remaining: float,
    ) -> requests.Response:
        origin = urlsplit(url)
        for _ in range(self.options.max_redirects + 1):
            self.requests_sent += 1
            response = self.session.request(
                method,
                url,
                headers=headers,
                params=params,
                data=data,
                allow_redirects=False,
                stream=True,
                timeout=(
                    min(self.options.connect_timeout, remaining),
                    min(self.options.read_timeout, remaining),
                ),
                verify=self.options.ca_bundle or True,
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
                method, data = "GET", None
            url, params = target.geturl(), None
        raise StoreError(f"{method} {url}: more than {self.options.max_redirects} redirects")

    def _read(
        self, response: requests.Response, method: str, url: str, limit: int, deadline: float, what: str
    ) -> bytes:
        if method == "HEAD":
            response.close()
            return b""
        declared = response.headers.get("Content-Length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            response.close()
            raise StoreError(f"{what} from {url} is {declared} bytes, over the {limit}-byte limit")
        chunks: list[bytes] = []
        total = 0
        try:
            for chunk in response.iter_content(64 * 1024):
                total += len(chunk)
                if total > limit:
                    raise StoreError(f"{what} from {url} is over the {limit}-byte limit")
                if time.monotonic() > deadline:
                    raise StoreError(
                        f"{what} from {url}: not read within the {self.options.deadline:g}s deadline"
                    )
                chunks.append(chunk)
        finally:
            response.close()
        if declared is not None and declared.isdigit() and total != int(declared):
            raise requests.exceptions.ChunkedEncodingError(
                f"{what} truncated: {total} of {declared} bytes received"
            )
        return b"".join(chunks)

    # --- auth -----------------------------------------------------------------

    def _authorization(self, registry: str, scope: str) -> str | None:
        with self._lock:
            token = self._tokens.get((registry, scope))
            if token is not None:
                value, expires = token
                if time.monotonic() < expires:
                    return f"Bearer {value}"
                del self._tokens[registry, scope]
            return self._basic.get(registry)

    def _forget(self, registry: str, scope: str) -> None:
        with self._lock:
            self._tokens.pop((registry, scope), None)

    def _credentials(self, registry: str) -> Credentials | None:
        return self.auth.credentials(registry) if self.auth is not None else None

    def _authenticate(self, registry: str, scope: str, challenge: str, deadline: float) -> None:
        if not challenge:
            raise StoreError(f"{registry} answered 401 without a WWW-Authenticate challenge")
        scheme, params = parse_challenge(challenge)
        credentials = self._credentials(registry)
        if scheme == "basic":
            if credentials is None or not (credentials.username or credentials.password):
                raise StoreError(
                    f"{registry} requires basic authentication and no credentials are configured for it",
                    remediation="configure credentials (docker login, or an AuthProvider)",
                )
            pair = f"{credentials.username}:{credentials.password}".encode()
            with self._lock:
                self._basic[registry] = "Basic " + base64.b64encode(pair).decode()
            return
        if scheme != "bearer" or "realm" not in params:
            raise StoreError(f"{registry}: unsupported authentication challenge {challenge[:100]!r}")
        token, ttl = self._fetch_token(registry, params, params.get("scope") or scope, credentials, deadline)
        with self._lock:
            self._tokens[registry, scope] = (token, time.monotonic() + max(ttl - 5.0, 1.0))

    def _fetch_token(
        self,
        registry: str,
        challenge: Mapping[str, str],
        scope: str,
        credentials: Credentials | None,
        deadline: float,
    ) -> tuple[str, float]:
        realm = challenge["realm"]
        target = urlsplit(realm)
        if target.scheme not in ("http", "https"):
            raise StoreError(f"{registry}: token realm {realm!r} is not an HTTP URL")
        if target.scheme == "http" and not (is_loopback(target.netloc) or self.plain_http(target.netloc)):
            raise StoreError(f"{registry}: refusing to fetch a token from plain-HTTP realm {realm!r}")
        remaining = max(deadline - time.monotonic(), 0.1)
        timeout = (min(self.options.connect_timeout, remaining), min(self.options.read_timeout, remaining))
        query = {k: v for k, v in (("service", challenge.get("service")), ("scope", scope)) if v}
        self.requests_sent += 1
        try:
            if credentials is not None and credentials.identity_token:
                response = self.session.post(
                    realm,
                    data={
                        **query,
                        "grant_type": "refresh_token",
                        "refresh_token": credentials.identity_token,
                        "client_id": "cosign-verify",
                    },
                    timeout=timeout,
                    allow_redirects=False,
                    verify=self.options.ca_bundle or True,
                )
            else:
                basic = (credentials.username, credentials.password) if credentials else None
                response = self.session.get(
                    realm,
                    params=query,
                    auth=basic,
                    timeout=timeout,
                    allow_redirects=False,
                    verify=self.options.ca_bundle or True,
                )
        except requests.RequestException as exc:
            raise StoreError(f"{registry}: token request to {realm} failed: {exc}") from None
        if response.status_code != 200:
            raise StoreError(
                f"{registry}: token request to {realm} answered HTTP {response.status_code}",
                remediation="check the registry credentials" if response.status_code in (401, 403) else None,
            )
        try:
            answer: Any = response.json()
            token = answer.get("token") or answer.get("access_token")
            ttl = float(answer.get("expires_in") or DEFAULT_TOKEN_TTL)
        except (ValueError, AttributeError, TypeError):
            raise StoreError(f"{registry}: token response from {realm} is not a token") from None
        if not isinstance(token, str) or not token:
            raise StoreError(f"{registry}: token response from {realm} has no token")
        return token, ttl
