"""``RegistryServer``: an in-process OCI registry on a free loopback port, for tests.

It speaks enough of the distribution API to push and pull, serves the
referrers API (switchable off, to act like registries without it), can
require basic or bearer auth, and injects faults: status codes, delays,
truncated or corrupted bodies, wrong digests, redirects. Content is held in
a :class:`~cosign_verify.MemoryStore` (``server.store``), the library's one storage model.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import threading
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

import attrs

from ..errors import CosignVerifyError
from ..mediatypes import OCI_IMAGE_INDEX, OCI_IMAGE_MANIFEST
from ..reference import Reference
from ..store.memory import MemoryStore
from ._background import BackgroundServer

_ROUTE = re.compile(r"^/v2/(?P<name>.+?)/(?P<kind>manifests|blobs|referrers)/(?P<ref>[^/]+)$")
_UPLOAD = re.compile(r"^/v2/(?P<name>.+?)/blobs/uploads/(?P<uuid>[^/]*)$")
_TAGS = re.compile(r"^/v2/(?P<name>.+?)/tags/list$")


@attrs.define(kw_only=True)
class Fault:
    """One injected fault: requests whose method and path match get it, ``times`` times (-1: always).

    - ``status``: answer with this status instead (``headers`` and ``body`` added);
    - ``delay``: sleep this many seconds first;
    - ``redirect``: answer 307 to this URL;
    - ``truncate``: send only this many bytes of the real body (Content-Length stays whole);
    - ``corrupt``: flip the last byte of the real body;
    - ``headers``: extra or replaced headers on the real answer (a wrong ``Docker-Content-Digest``).
    """

    path: str
    method: str | None = None
    times: int = 1
    status: int | None = None
    delay: float = 0.0
    redirect: str | None = None
    truncate: int | None = None
    corrupt: bool = False
    headers: dict[str, str] = attrs.field(factory=dict)
    body: bytes = b""

    def matches(self, method: str, path: str) -> bool:
        return self.times != 0 and (self.method in (None, method)) and re.search(self.path, path) is not None


_STORE_REGISTRY = (
    "registry.test"  # the registry part of the references the server's MemoryStore files content under
)


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _reference(name: str, *, tag: str | None = None, digest: str | None = None) -> Reference:
    """``name`` as a reference into the server's store (raises InvalidReferenceError for a bad name)."""
    return Reference.parse(f"{_STORE_REGISTRY}/{name}" + (f"@{digest}" if digest else f":{tag or 'latest'}"))


class RegistryServer(BackgroundServer):
    """An OCI registry in a background thread on ``127.0.0.1:<free port>``.

    ``auth``: None, ``"basic"`` or ``"bearer"``; ``users`` maps user names to
    passwords (bearer with no users issues anonymous tokens), and
    ``refresh_tokens`` holds identity tokens the token endpoint accepts. ``page_size``
    paginates referrer lists with ``Link`` headers. Use it as a context
    manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(
        self,
        *,
        referrers_api: bool = True,
        auth: str | None = None,
        users: Mapping[str, str] | None = None,
        page_size: int = 0,
        token_ttl: int = 300,
    ) -> None:
        if auth not in (None, "basic", "bearer"):
            raise ValueError("auth must be None, 'basic' or 'bearer'")
        self.referrers_api = referrers_api
        self.auth = auth
        self.users = dict(users or {})
        self.page_size = page_size
        self.token_ttl = token_ttl
        self.refresh_tokens: set[str] = set()
        self.faults: list[Fault] = []
        self.log: list[tuple[str, str, dict[str, str]]] = []
        self.tokens_issued = 0
        self._tokens: dict[str, float] = {}
        self.store = MemoryStore(cosign_enabled=False)
        self._uploads: dict[str, bytearray] = {}
        self._lock = threading.RLock()
        super().__init__()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        return _handler_for(self)

    @property
    def registry(self) -> str:
        """``127.0.0.1:<port>``, the registry part of references to this server."""
        return self.address

    # --- test controls ----------------------------------------------------------

    def fail(self, path: str, **fault: Any) -> Fault:
        """Inject a :class:`Fault` for requests whose path matches the regular expression ``path``."""
        added = Fault(path=path, **fault)
        with self._lock:
            self.faults.append(added)
        return added

    def clear(self) -> None:
        """Forget faults and the request log."""
        with self._lock:
            self.faults.clear()
            self.log.clear()

    def count(self, method: str | None = None, path: str = "") -> int:
        """How many logged requests match ``method`` and the regular expression ``path``."""
        with self._lock:
            return sum(1 for m, p, _ in self.log if method in (None, m) and re.search(path, p))

    # --- request handling (called from handler threads) -------------------------

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.matches(method, path):
                    if fault.times > 0:
                        fault.times -= 1
                    return fault
        return None

    def _authorized(self, headers: Mapping[str, str]) -> bool:
        if self.auth is None:
            return True
        value = headers.get("Authorization", "")
        if self.auth == "basic":
            return value.startswith("Basic ") and self._check_basic(value[6:])
        token = value[7:] if value.startswith("Bearer ") else ""
        with self._lock:
            expires = self._tokens.get(token)
        return expires is not None and time.monotonic() < expires

    def _check_basic(self, encoded: str) -> bool:
        try:
            user, _, password = base64.b64decode(encoded).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return user in self.users and secrets.compare_digest(self.users[user], password)

    def _issue_token(
        self, method: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        if method == "POST":  # OAuth2 refresh-token grant, as clients with an identity token use
            form = parse_qs(body.decode(errors="replace"))
            granted = form.get("grant_type") == ["refresh_token"] and form.get("refresh_token", [""])[0] in (
                self.refresh_tokens
            )
        else:
            value = headers.get("Authorization", "")
            granted = not self.users or (value.startswith("Basic ") and self._check_basic(value[6:]))
        if not granted:
            return 401, {}, b'{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}'
        token = secrets.token_urlsafe(16)
        with self._lock:
            self._tokens[token] = time.monotonic() + self.token_ttl
            self.tokens_issued += 1
        key = "access_token" if method == "POST" else "token"
        answer = json.dumps({key: token, "expires_in": self.token_ttl}).encode()
        return 200, {"Content-Type": "application/json"}, answer

    def _challenge(self, name: str) -> dict[str, str]:
        if self.auth == "basic":
            return {"WWW-Authenticate": 'Basic realm="cosign-verify test registry"'}
        scope = f"repository:{name}:pull" if name else ""
        return {
            "WWW-Authenticate": f'Bearer realm="{self.url}/token",service="cosign-verify-test"'
            + (f',scope="{scope}"' if scope else "")
        }

    def handle(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """Answer one request: ``(status, headers, body)``."""
        split = urlsplit(target)
        path, query = split.path, parse_qs(split.query)
        if path == "/token":
            return self._issue_token(method, headers, body)
        route = _ROUTE.match(path) or _UPLOAD.match(path) or _TAGS.match(path)
        name = route.group("name") if route else ""
        if not self._authorized(headers):
            return (
                401,
                self._challenge(name),
                b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}',
            )
        if path in ("/v2/", "/v2"):
            return 200, {"Content-Type": "application/json"}, b"{}"
        try:
            with self._lock:
                return self._route(method, path, name, route, query, headers, body)
        except CosignVerifyError as exc:  # a malformed name or digest, or content the store refuses
            return _error(400, "NAME_INVALID", str(exc))

    def _route(
        self,
        method: str,
        path: str,
        name: str,
        route: re.Match[str] | None,
        query: Mapping[str, list[str]],
        headers: Mapping[str, str],
        body: bytes,
    ) -> tuple[int, dict[str, str], bytes]:
        if (upload := _UPLOAD.match(path)) is not None:
            return self._upload(method, upload.group("name"), upload.group("uuid"), query, body)
        if _TAGS.match(path) is not None:
            listed = self.store.tags(_reference(name))
            return (
                200,
                {"Content-Type": "application/json"},
                json.dumps({"name": name, "tags": listed}).encode(),
            )
        if route is None:
            return _error(404, "NAME_UNKNOWN", f"no route for {path}")
        kind, ref = route.group("kind"), route.group("ref")
        if kind == "manifests":
            return self._manifest(method, name, ref, headers, body)
        if kind == "blobs":
            return self._blob(method, name, ref)
        return self._referrers(method, name, ref, query)

    def _manifest(
        self, method: str, name: str, ref: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        by_digest = ref.startswith("sha256:")
        if method == "PUT":
            digest = _digest(body)
            if by_digest and ref != digest:
                return _error(400, "DIGEST_INVALID", "manifest digest does not match")
            media_type = headers.get("Content-Type", OCI_IMAGE_MANIFEST)
            try:
                self.store.push_manifest(_reference(name), body, media_type, tag=None if by_digest else ref)
                document = json.loads(body)
            except (CosignVerifyError, ValueError):
                return _error(400, "MANIFEST_INVALID", "not JSON")
            answer = {"Location": f"/v2/{name}/manifests/{digest}", "Docker-Content-Digest": digest}
            if (
                self.referrers_api
                and isinstance(document, dict)
                and isinstance(document.get("subject"), dict)
            ):
                answer["OCI-Subject"] = str(document["subject"].get("digest"))
            return 201, answer, b""
        if method not in ("GET", "HEAD"):
            return _error(405, "UNSUPPORTED", method)
        try:
            wanted = _reference(name, digest=ref) if by_digest else _reference(name, tag=ref)
            found = self.store.resolve(wanted)
            data = self.store.fetch_manifest(wanted, found.digest)
        except CosignVerifyError:
            return _error(404, "MANIFEST_UNKNOWN", f"{name}:{ref}")
        return 200, {"Content-Type": found.media_type, "Docker-Content-Digest": found.digest}, data

    def _blob(self, method: str, name: str, digest: str) -> tuple[int, dict[str, str], bytes]:
        try:
            data = self.store.fetch_blob(_reference(name), digest)
        except CosignVerifyError:
            return _error(404, "BLOB_UNKNOWN", digest)
        if method not in ("GET", "HEAD"):
            return _error(405, "UNSUPPORTED", method)
        return 200, {"Content-Type": "application/octet-stream", "Docker-Content-Digest": digest}, data

    def _upload(
        self, method: str, name: str, uuid: str, query: Mapping[str, list[str]], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        if method == "POST" and not uuid:
            if "digest" in query:
                return self._finish(name, bytes(body), query["digest"][0])
            uuid = secrets.token_hex(8)
            self._uploads[uuid] = bytearray()
            return 202, {"Location": f"/v2/{name}/blobs/uploads/{uuid}", "Range": "0-0"}, b""
        if uuid not in self._uploads:
            return _error(404, "BLOB_UPLOAD_UNKNOWN", uuid)
        self._uploads[uuid].extend(body)
        if method == "PATCH":
            size = len(self._uploads[uuid])
            return (
                202,
                {"Location": f"/v2/{name}/blobs/uploads/{uuid}", "Range": f"0-{max(size - 1, 0)}"},
                b"",
            )
        if method == "PUT" and "digest" in query:
            return self._finish(name, bytes(self._uploads.pop(uuid)), query["digest"][0])
        return _error(400, "BLOB_UPLOAD_INVALID", "PUT needs ?digest=")

    def _finish(self, name: str, data: bytes, digest: str) -> tuple[int, dict[str, str], bytes]:
        if _digest(data) != digest:
            return _error(400, "DIGEST_INVALID", "blob digest does not match")
        self.store.push_blob(_reference(name), data)
        return 201, {"Location": f"/v2/{name}/blobs/{digest}", "Docker-Content-Digest": digest}, b""

    def _referrers(
        self, method: str, name: str, digest: str, query: Mapping[str, list[str]]
    ) -> tuple[int, dict[str, str], bytes]:
        if not self.referrers_api or method not in ("GET", "HEAD"):
            return _error(404, "NOT_FOUND", "referrers API disabled")
        referrers = sorted(self.store.list_referrers(_reference(name, digest=digest)), key=lambda d: d.digest)
        entries = [{**r.to_dict(), "artifactType": r.artifact_type} for r in referrers]
        headers = {"Content-Type": OCI_IMAGE_INDEX}
        wanted = query.get("artifactType", [""])[0]
        if wanted:
            entries = [e for e in entries if e["artifactType"] == wanted]
            headers["OCI-Filters-Applied"] = "artifactType"
        if self.page_size:
            last = query.get("last", [""])[0]
            entries = [e for e in entries if e["digest"] > last]
            if len(entries) > self.page_size:
                entries = entries[: self.page_size]
                headers["Link"] = f'</v2/{name}/referrers/{digest}?last={entries[-1]["digest"]}>; rel="next"'
        body = json.dumps({"schemaVersion": 2, "mediaType": OCI_IMAGE_INDEX, "manifests": entries}).encode()
        return 200, headers, body


def _error(status: int, code: str, message: str) -> tuple[int, dict[str, str], bytes]:
    body = json.dumps({"errors": [{"code": code, "message": message}]}).encode()
    return status, {"Content-Type": "application/json"}, body


def _handler_for(server: RegistryServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body leave at once, not a delayed ACK apart

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k: v for k, v in self.headers.items()}
            path = urlsplit(self.path).path
            with server._lock:
                server.log.append((self.command, path, headers))
            fault = server._take_fault(self.command, path)
            if fault is not None and fault.delay:
                time.sleep(fault.delay)
            if fault is not None and fault.redirect:
                self._reply(307, {"Location": fault.redirect, **fault.headers}, b"")
                return
            if fault is not None and fault.status is not None:
                self._reply(fault.status, fault.headers, fault.body)
                return
            status, answer, data = server.handle(self.command, self.path, headers, body)
            if fault is not None:
                answer = {**answer, **fault.headers}
                if fault.corrupt and data:
                    data = data[:-1] + bytes([data[-1] ^ 0x01])
                if fault.truncate is not None or "Content-Length" in fault.headers:
                    cut = data if fault.truncate is None else data[: fault.truncate]
                    self._reply(status, answer, data, send=cut)
                    self.close_connection = True
                    return
            self._reply(status, answer, data)

        def _reply(
            self, status: int, headers: Mapping[str, str], body: bytes, send: bytes | None = None
        ) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            if "Content-Length" not in headers:  # a fault may declare a length of its own
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body if send is None else send)

        do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = _serve  # noqa: N815

    return Handler
