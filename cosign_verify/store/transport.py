"""HTTP for registries: base URLs and authentication (basic, bearer tokens) over :class:`HttpClient`.

Tokens are cached until shortly before they expire; a token realm is never
contacted over plain HTTP (except on loopback), and token responses are
read within the same limits as every other answer.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Callable, Mapping

from .._internal.numbers import read_int
from ..errors import StoreError
from .auth import AuthProvider, Credentials, parse_challenge
from .http import HttpClient, Response
from .oci import parse_json
from .options import MiB, RegistryOptions, is_loopback
from .urls import split_url

log = logging.getLogger(__name__)

DOCKER_HUB_API = "registry-1.docker.io"
DEFAULT_TOKEN_TTL = 60.0
MAX_TOKEN_TTL = 24 * 3600  # a token is kept at most this long, whatever it says
MAX_TOKEN_RESPONSE = 1 * MiB

__all__ = ["Response", "Transport"]


class Transport:
    """Authenticated HTTP to OCI registries (internal to the store)."""

    def __init__(
        self,
        options: RegistryOptions,
        auth: AuthProvider | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.options = options
        self.auth = auth
        self.http = HttpClient(options, sleep)
        self._tokens: dict[tuple[str, str], tuple[str, float]] = {}
        self._basic: dict[str, str] = {}
        self._lock = threading.Lock()

    @property
    def requests_sent(self) -> int:
        """How many HTTP requests were sent (redirect hops and token requests included)."""
        return self.http.requests_sent

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
        deadline = self.http.deadline()
        authenticated = False
        while True:
            send_headers = dict(headers or {})
            authorization = self._authorization(registry, scope)
            if authorization:
                send_headers["Authorization"] = authorization
            response = self.http.request(
                method,
                url,
                deadline=deadline,
                headers=send_headers,
                params=params,
                data=data,
                limit=limit,
                what=what,
            )
            if response.status != 401 or authenticated:
                return response
            self._forget(registry, scope)
            self._authenticate(registry, scope, response.headers.get("WWW-Authenticate", ""), deadline)
            authenticated = True

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
        target = split_url(realm, f"{registry}: token realm")
        if target.scheme not in ("http", "https"):
            raise StoreError(f"{registry}: token realm {realm!r} is not an HTTP URL")
        if target.scheme == "http" and not (is_loopback(target.netloc) or self.plain_http(target.netloc)):
            raise StoreError(f"{registry}: refusing to fetch a token from plain-HTTP realm {realm!r}")
        query = {k: v for k, v in (("service", challenge.get("service")), ("scope", scope)) if v}
        headers: dict[str, str] = {}
        form: dict[str, str] | None = None
        method = "GET"
        if credentials is not None and credentials.identity_token:
            method, form = (
                "POST",
                {
                    **query,
                    "grant_type": "refresh_token",
                    "refresh_token": credentials.identity_token,
                    "client_id": "cosign-verify",
                },
            )
        elif credentials is not None:
            pair = f"{credentials.username}:{credentials.password}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        try:
            response = self.http.request(
                method,
                realm,
                deadline=deadline,
                headers=headers,
                params=query if form is None else None,
                data=form,
                limit=MAX_TOKEN_RESPONSE,
                what="token response",
            )
        except StoreError as exc:
            raise StoreError(f"{registry}: token request to {realm} failed: {exc.message}") from None
        if response.status != 200:
            raise StoreError(
                f"{registry}: token request to {realm} answered HTTP {response.status}",
                remediation="check the registry credentials" if response.status in (401, 403) else None,
            )
        return _read_token(response.body, f"{registry}: token response from {realm}")


def _read_token(body: bytes, what: str) -> tuple[str, float]:
    """The token and its lifetime (seconds) in a token endpoint's answer; :class:`StoreError` otherwise.

    The token goes into an ``Authorization`` header, so it must be visible
    ASCII (as OAuth's ``b64token`` and every JWT are); ``expires_in`` is a
    whole number of seconds, at most a day counting (absent: 60 s).
    """
    answer = parse_json(body, what)
    if not isinstance(answer, dict):
        raise StoreError(f"{what} is not a token")
    token = answer.get("token") or answer.get("access_token")
    if not isinstance(token, str) or not token:
        raise StoreError(f"{what} has no token")
    if not (token.isascii() and token.isprintable()) or " " in token:
        raise StoreError(f"{what}: the token holds characters an Authorization header cannot carry")
    lifetime = answer.get("expires_in")
    if lifetime is None:
        return token, DEFAULT_TOKEN_TTL
    seconds = read_int(lifetime, f"{what}: expires_in", StoreError)
    return token, float(min(seconds, MAX_TOKEN_TTL))
