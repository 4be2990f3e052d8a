"""Registry credentials: the ``AuthProvider`` seam, static credentials, and Docker's config.json.

Credentials are looked up per registry host. A provider returns a username
and password, or an identity token (an OAuth2 refresh token, as
``docker login`` stores for some registries).
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol, runtime_checkable

import attrs

from .._internal.files import MAX_KEY_FILE, read_regular_file
from ..errors import ConfigError, StoreError

DOCKER_HUB_KEYS = ("https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io")
HELPER_TIMEOUT = 10.0


@attrs.frozen(kw_only=True)
class Credentials:
    """Basic credentials, or an identity token (``username`` is then informative only)."""

    username: str = ""
    password: str = attrs.field(default="", repr=False)
    identity_token: str | None = attrs.field(default=None, repr=False)


@runtime_checkable
class AuthProvider(Protocol):
    """Gives credentials for a registry host (``ghcr.io``, ``localhost:5000``), or None for anonymous."""

    def credentials(self, registry: str) -> Credentials | None: ...


class StaticAuthProvider:
    """Fixed credentials per registry host."""

    def __init__(self, credentials: Mapping[str, Credentials]) -> None:
        self._credentials = dict(credentials)

    def credentials(self, registry: str) -> Credentials | None:
        """The credentials configured for ``registry``."""
        return self._credentials.get(registry)


def _registry_keys(registry: str) -> list[str]:
    if registry in DOCKER_HUB_KEYS:
        return list(DOCKER_HUB_KEYS)
    return [
        registry,
        f"https://{registry}",
        f"http://{registry}",
        f"https://{registry}/v1/",
        f"https://{registry}/v2/",
    ]


class DockerConfigAuthProvider:
    """Credentials from Docker's ``config.json`` (``auths``, ``credHelpers``, ``credsStore``).

    ``path`` defaults to ``$DOCKER_CONFIG/config.json`` or ``~/.docker/config.json``;
    a missing file means anonymous access. Credential helpers are run as
    ``docker-credential-<name> get`` with the registry on standard input.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        if path is None:
            base = os.environ.get("DOCKER_CONFIG")
            path = Path(base) / "config.json" if base else Path.home() / ".docker" / "config.json"
        self.path = Path(path)
        self._config: dict[str, object] = {}
        if self.path.exists():
            data = read_regular_file(self.path, MAX_KEY_FILE, "Docker config")
            try:
                loaded = json.loads(data)
            except ValueError as exc:
                raise ConfigError(
                    f"cannot read Docker config {str(self.path)!r}: not valid JSON: {exc}"
                ) from None
            if not isinstance(loaded, dict):
                raise ConfigError(f"Docker config {str(self.path)!r} is not a JSON object")
            self._config = loaded

    def credentials(self, registry: str) -> Credentials | None:
        """Credentials for ``registry``: its credential helper, then ``auths``, then ``credsStore``."""
        helpers = self._config.get("credHelpers")
        if isinstance(helpers, dict):
            for key in _registry_keys(registry):
                if isinstance(helpers.get(key), str):
                    return run_credential_helper(helpers[key], key)
        auths = self._config.get("auths")
        if isinstance(auths, dict):
            for key in _registry_keys(registry):
                entry = auths.get(key)
                if isinstance(entry, dict):
                    found = _from_auth_entry(entry, registry)
                    if found is not None:
                        return found
        store = self._config.get("credsStore")
        if isinstance(store, str) and store:
            for key in _registry_keys(registry)[:2]:
                found = run_credential_helper(store, key, missing_ok=True)
                if found is not None:
                    return found
        return None


def _from_auth_entry(entry: Mapping[str, object], registry: str) -> Credentials | None:
    token = entry.get("identitytoken")
    username, password = entry.get("username"), entry.get("password")
    encoded = entry.get("auth")
    if isinstance(encoded, str) and encoded:
        try:
            username, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            raise StoreError(f"Docker config: 'auth' for {registry} is not base64 of user:password") from None
    if isinstance(token, str) and token:
        return Credentials(username=str(username or ""), identity_token=token)
    if isinstance(username, str) and isinstance(password, str) and (username or password):
        return Credentials(username=username, password=password)
    return None


_HELPER_NAME_RE = re.compile(r"[A-Za-z0-9._-]+")


def run_credential_helper(helper: str, server: str, *, missing_ok: bool = False) -> Credentials | None:
    """Ask ``docker-credential-<helper>`` for ``server``'s credentials."""
    import subprocess

    if not _HELPER_NAME_RE.fullmatch(helper):
        raise StoreError(f"invalid credential helper name {helper!r}")
    program = f"docker-credential-{helper}"
    try:
        result = subprocess.run(
            [program, "get"], input=server.encode(), capture_output=True, timeout=HELPER_TIMEOUT, check=False
        )
    except FileNotFoundError:
        if missing_ok:
            return None
        raise StoreError(f"credential helper {program} is not installed") from None
    except subprocess.TimeoutExpired:
        raise StoreError(f"credential helper {program} did not answer within {HELPER_TIMEOUT:.0f}s") from None
    if result.returncode != 0:
        message = (
            result.stdout.decode(errors="replace").strip() or result.stderr.decode(errors="replace").strip()
        )
        if "credentials not found" in message.lower():
            return None
        raise StoreError(f"credential helper {program} failed: {message[:200]}")
    try:
        answer = json.loads(result.stdout)
        username, secret = answer["Username"], answer["Secret"]
    except (ValueError, KeyError, TypeError):
        raise StoreError(f"credential helper {program} gave an unreadable answer") from None
    if username == "<token>":
        return Credentials(identity_token=secret)
    return Credentials(username=username, password=secret)


# WWW-Authenticate, read in one pass: each regular expression is matched at one place (never searched from
# every position of a long run, which took time quadratic in the header).
_NAME = re.compile(r"\w+")
_QUOTED = re.compile(r'((?:[^"\\]|\\.)*)"', re.DOTALL)  # after the opening quote, up to the closing one
_UNQUOTED = re.compile(r"[^\s,]+")
_QUOTED_PAIR = re.compile(r"\\(.)", re.DOTALL)


def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    """``Bearer realm="https://auth",service="reg"`` -> ``("bearer", {"realm": ..., "service": ...})``.

    Parameters are ``name=token`` or ``name="quoted string"`` (backslash
    escapes undone); anything else between them is skipped. Linear in the
    header's length, whatever it holds.
    """
    scheme, _, rest = header.strip().partition(" ")
    params: dict[str, str] = {}
    at, closed = 0, True  # closed: every quoted string so far had its closing quote
    while (name := _NAME.search(rest, at)) is not None:
        at = name.end()
        if not rest.startswith("=", at):
            continue
        quoted = _QUOTED.match(rest, at + 2) if closed and rest.startswith('"', at + 1) else None
        if quoted is not None:
            params[name.group().lower()] = _QUOTED_PAIR.sub(r"\1", quoted.group(1))
            at = quoted.end()
            continue
        # An opening quote without its closing one: no later quoted string can end either (every quote
        # after it was escaped), so none is looked for again; the value is read as a token.
        closed = closed and not rest.startswith('"', at + 1)
        value = _UNQUOTED.match(rest, at + 1)
        if value is not None:
            params[name.group().lower()] = value.group()
            at = value.end()
    return scheme.lower(), params
