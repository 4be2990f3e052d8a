"""A hostile loopback HTTP server for tests: an OCI registry, a token endpoint and Rekor that misbehave on cue.

The server holds real content: images pushed with the toolkit into its
:class:`MemoryStore` (``server.store``, under ``server.registry``) are served
as the OCI distribution API serves them (``/v2/``, manifests, blobs, the
referrers API), ``/token`` issues bearer tokens (with ``auth=True`` every
``/v2/...`` request needs one, and a 401 challenge names ``realm``), and,
given a :class:`FakeSigstore`, ``POST /api/v1/index/retrieve`` and
``GET /api/v1/log/entries/<uuid>`` answer as Rekor v1 does.

Each test then scripts misbehaviours per path: :meth:`HostileServer.misbehave`
takes a regular expression for the request path and an :data:`Action`, which
gets the client's socket, the request and the honest answer, and writes
whatever it likes (see the factories below: slow, endless and bomb bodies,
huge headers, looping links and redirects, absurd ``Retry-After``, one JSON
field of the honest answer replaced, ...). Raw sockets are used so that
every byte, header and delay is exactly what the test asked for. Every
misbehaviour gives up after ``give_up`` seconds, so a verifier that fails to
stop cannot hang the test suite.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import socket
import socketserver
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs, urlsplit

import attrs

from cosign_verify import MemoryStore, Reference
from cosign_verify.errors import CosignVerifyError
from cosign_verify.mediatypes import OCI_IMAGE_INDEX
from cosign_verify.testing import FakeSigstore

__all__ = [
    "Action",
    "Answer",
    "Connection",
    "HostileServer",
    "JsonPath",
    "Raw",
    "Request",
    "Rule",
    "declared_length",
    "delay",
    "dumps",
    "endless_body",
    "get_path",
    "gzip_bomb",
    "gzip_bomb_bytes",
    "huge_header",
    "json_paths",
    "link",
    "many_headers",
    "mutate_json",
    "redirect",
    "redirect_loop",
    "replace",
    "retry_after",
    "rewrite",
    "send",
    "set_path",
    "slow_body",
    "slow_headers",
    "stall",
]

_ROUTE = re.compile(r"^/v2/(?P<name>.+?)/(?P<kind>manifests|blobs|referrers)/(?P<ref>[^/]+)$")
MAX_REQUEST_HEAD = 64 * 1024


# --- requests and answers ------------------------------------------------------------------------


@attrs.frozen
class Request:
    """One request as received: ``headers`` with lower-case names."""

    method: str
    target: str
    headers: Mapping[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.target).query)


@attrs.define
class Answer:
    """The honest answer to a request, which a misbehaviour may send, change or ignore."""

    status: int
    headers: list[tuple[str, str]] = attrs.field(factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def without(self, *names: str) -> list[tuple[str, str]]:
        lowered = {n.lower() for n in names}
        return [(k, v) for k, v in self.headers if k.lower() not in lowered]


def _json_answer(status: int, document: Any, *headers: tuple[str, str]) -> Answer:
    body = json.dumps(document).encode()
    return Answer(status, [("Content-Type", "application/json"), *headers], body)


def _error(status: int, code: str, message: str) -> Answer:
    return _json_answer(status, {"errors": [{"code": code, "message": message}]})


# --- the connection a misbehaviour writes to -----------------------------------------------------


class Connection:
    """The client's socket; writes report False once the client has gone or the misbehaviour must give up."""

    def __init__(self, sock: socket.socket, stop: threading.Event, give_up_at: float) -> None:
        self.sock = sock
        self.stop = stop
        self.give_up_at = give_up_at
        self.gone = False

    @property
    def alive(self) -> bool:
        return not self.gone and not self.stop.is_set() and time.monotonic() < self.give_up_at

    def write(self, data: bytes) -> bool:
        """Send ``data`` whole (retrying while the client's buffers are full); False if that cannot be."""
        view = memoryview(data)
        while view and self.alive:
            try:
                sent = self.sock.send(view)
            except TimeoutError:
                continue
            except OSError:
                self.gone = True
                return False
            view = view[sent:]
        return not view

    def sleep(self, seconds: float) -> bool:
        """Wait (in short steps, so that stopping the server is quick); False if the connection is done."""
        end = time.monotonic() + seconds
        while self.alive and time.monotonic() < end:
            time.sleep(min(0.05, max(0.0, end - time.monotonic())))
        return self.alive

    def trickle(self, data: bytes, rate: float, step: int = 1) -> bool:
        """Send ``data`` at ``rate`` bytes per second, ``step`` bytes at a time."""
        for start in range(0, len(data), step):
            if not self.sleep(step / rate) or not self.write(data[start : start + step]):
                return False
        return True

    def wait_for_close(self) -> None:
        """Hold the connection open, answering nothing, until the client closes it or time is up."""
        self.sock.settimeout(0.05)
        while self.alive:
            try:
                if self.sock.recv(4096) == b"":
                    return
            except TimeoutError:
                continue
            except OSError:
                return


Action = Callable[[Connection, Request, Answer], None]
"""A misbehaviour: write anything to the connection, given the request and the honest answer."""


def head_bytes(status: int, headers: Iterable[tuple[str, str]]) -> bytes:
    lines = [f"HTTP/1.1 {status} Hostile"] + [f"{k}: {v}" for k, v in headers] + ["", ""]
    return "\r\n".join(lines).encode("latin-1")


def framed_headers(answer: Answer, framing: str, length: int | None = None) -> list[tuple[str, str]]:
    """The answer's headers for a body framed by ``length`` (Content-Length), ``close`` or ``chunked``."""
    headers = answer.without("Content-Length", "Transfer-Encoding", "Connection")
    if framing == "length":
        headers.append(("Content-Length", str(len(answer.body) if length is None else length)))
    elif framing == "chunked":
        headers.append(("Transfer-Encoding", "chunked"))
    elif framing != "close":
        raise ValueError(f"unknown framing {framing!r}")
    headers.append(("Connection", "close"))
    return headers


def chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def send(conn: Connection, request: Request, answer: Answer, framing: str = "length") -> None:
    """Send ``answer`` honestly (no body for HEAD)."""
    if not conn.write(head_bytes(answer.status, framed_headers(answer, framing))):
        return
    if request.method == "HEAD" or not answer.body:
        if framing == "chunked" and request.method != "HEAD":
            conn.write(b"0\r\n\r\n")
        return
    if framing == "chunked":
        conn.write(chunk(answer.body) + b"0\r\n\r\n")
    else:
        conn.write(answer.body)


# --- misbehaviours ---------------------------------------------------------------------------------


def rewrite(change: Callable[[Answer], Answer], framing: str = "length") -> Action:
    """Send the honest answer once ``change`` has rewritten it."""

    def action(conn: Connection, request: Request, answer: Answer) -> None:
        send(conn, request, change(answer), framing)

    return action


def replace(status: int, headers: Sequence[tuple[str, str]] = (), body: bytes = b"") -> Action:
    """Answer this instead of the honest answer."""
    return rewrite(lambda _: Answer(status, list(headers), body))


def delay(seconds: float) -> Action:
    """The honest answer, after ``seconds``."""

    def action(conn: Connection, request: Request, answer: Answer) -> None:
        if conn.sleep(seconds):
            send(conn, request, answer)

    return action


def slow_body(rate: float = 10.0, framing: str = "length") -> Action:
    """Headers at once, then the honest body at ``rate`` bytes per second (one byte, or one chunk, at a time)."""

    def action(conn: Connection, request: Request, answer: Answer) -> None:
        if not conn.write(head_bytes(answer.status, framed_headers(answer, framing))):
            return
        if framing == "chunked":
            for byte in answer.body:
                if not conn.sleep(1 / rate) or not conn.write(chunk(bytes([byte]))):
                    return
            conn.write(b"0\r\n\r\n")
        else:
            conn.trickle(answer.body, rate)

    return action


def slow_headers(rate: float = 20.0) -> Action:
    """The status line and headers at ``rate`` bytes per second, each byte on its own (then the body)."""

    def action(conn: Connection, request: Request, answer: Answer) -> None:
        padded = [*answer.headers, ("X-Padding", "p" * 2000)]
        head = head_bytes(answer.status, framed_headers(attrs.evolve(answer, headers=padded), "length"))
        if conn.trickle(head, rate):
            conn.write(answer.body)

    return action


def endless_body(framing: str = "close", rate: float | None = None, piece: bytes = b" " * 16384) -> Action:
    """A body without end: framed by connection close, chunked, or a Content-Length of a terabyte.

    ``rate`` (bytes per second) sends it slowly instead of as fast as the client reads.
    """

    def action(conn: Connection, request: Request, answer: Answer) -> None:
        headers = framed_headers(answer, framing, length=1 << 40)
        if not conn.write(head_bytes(answer.status, headers)):
            return
        data = piece if rate is None else piece[:1]
        while conn.alive:
            if rate is not None and not conn.sleep(len(data) / rate):
                return
            if not conn.write(chunk(data) if framing == "chunked" else data):
                return

    return action


def declared_length(value: str) -> Action:
    """The honest body under ``Content-Length: value`` (too short, too long, or not a number), then close."""

    def action(conn: Connection, request: Request, answer: Answer) -> None:
        headers = [*answer.without("Content-Length", "Transfer-Encoding", "Connection")]
        headers += [("Content-Length", value), ("Connection", "close")]
        if conn.write(head_bytes(answer.status, headers)) and request.method != "HEAD":
            conn.write(answer.body)

    return action


def stall() -> Action:
    """Read the request, then answer nothing at all."""

    def action(conn: Connection, request: Request, answer: Answer) -> None:
        conn.wait_for_close()

    return action


def huge_header(name: str = "Link", size: int = 60_000, value: str | None = None) -> Action:
    """The honest answer with one header of ``size`` characters (``value`` repeated, or filler)."""
    text = (value or "x") * (size // len(value or "x") + 1)

    def change(answer: Answer) -> Answer:
        return attrs.evolve(answer, headers=[*answer.without(name), (name, text[:size])])

    return rewrite(change)


def many_headers(count: int = 10_000) -> Action:
    """The honest answer with ``count`` extra headers."""
    extra = [(f"X-Hostile-{i}", "v") for i in range(count)]
    return rewrite(lambda answer: attrs.evolve(answer, headers=[*answer.headers, *extra]))


def link(target: Callable[[Request], str] | str) -> Action:
    """The honest answer with ``Link: <target>; rel="next"`` (``target`` may depend on the request)."""

    def action(conn: Connection, request: Request, answer: Answer) -> None:
        url = target(request) if callable(target) else target
        headers = [*answer.without("Link"), ("Link", f'<{url}>; rel="next"')]
        send(conn, request, attrs.evolve(answer, headers=headers))

    return action


def retry_after(value: str, status: int = 429) -> Action:
    """``status`` with ``Retry-After: value`` (seconds, an HTTP date, or garbage)."""
    return replace(status, [("Retry-After", value), ("Content-Type", "application/json")], b"{}")


def redirect(location: str, status: int = 307) -> Action:
    """A redirect to ``location``."""
    return replace(status, [("Location", location)])


def redirect_loop(status: int = 302) -> Action:
    """A redirect to the very URL asked for."""

    def action(conn: Connection, request: Request, answer: Answer) -> None:
        send(conn, request, Answer(status, [("Location", request.target)]))

    return action


@lru_cache(maxsize=4)
def gzip_bomb_bytes(mebibytes: int = 2048) -> bytes:
    """A gzip stream of ``mebibytes`` MiB of zeros (about 1 KiB compressed per MiB), trailer and all.

    Built quickly: after a full flush every further MiB of zeros compresses
    to the same bytes, so the stream is one block repeated.
    """
    mib = bytes(1 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    first = compressor.compress(mib) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeated = compressor.compress(mib) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(mebibytes):
        crc = zlib.crc32(mib, crc)
    trailer = crc.to_bytes(4, "little") + ((mebibytes << 20) & 0xFFFFFFFF).to_bytes(4, "little")
    final = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS).flush()  # an empty last deflate block
    return first + repeated * (mebibytes - 1) + final + trailer


def gzip_bomb(mebibytes: int = 2048, content_length: bool = True) -> Action:
    """``Content-Encoding: gzip`` over a body of about 2 MiB that expands to ``mebibytes`` MiB (2 GiB)."""
    body = gzip_bomb_bytes(mebibytes)

    def action(conn: Connection, request: Request, answer: Answer) -> None:
        headers = [*answer.without("Content-Encoding", "Docker-Content-Digest"), ("Content-Encoding", "gzip")]
        bomb = Answer(answer.status if answer.status < 300 else 200, headers, body)
        send(conn, request, bomb, "length" if content_length else "close")

    return action


# --- JSON documents, one field at a time -------------------------------------------------------------


@attrs.frozen
class Raw:
    """JSON text put as is where a value goes (``Raw("1e400")``: a number no float can hold)."""

    text: str


JsonPath = tuple[str | int, ...]


def json_paths(document: Any, prefix: JsonPath = ()) -> list[JsonPath]:
    """Every path to a value inside ``document`` (objects' members and arrays' items), outermost first."""
    found: list[JsonPath] = []
    items: Iterable[tuple[str | int, Any]] = ()
    if isinstance(document, dict):
        items = document.items()
    elif isinstance(document, list):
        items = enumerate(document)
    for key, value in items:
        found.append((*prefix, key))
        found.extend(json_paths(value, (*prefix, key)))
    return found


def get_path(document: Any, path: JsonPath) -> Any:
    for key in path:
        document = document[key if key != "*" else next(iter(document))]
    return document


def set_path(document: Any, path: JsonPath, value: Any) -> Any:
    """A deep copy of ``document`` with the value at ``path`` replaced (``"*"``: an object's first key)."""
    if not path:
        return value
    copy = json.loads(json.dumps(document))
    parent = get_path(copy, path[:-1])
    key = path[-1] if path[-1] != "*" else next(iter(parent))
    parent[key] = value
    return copy


def dumps(document: Any) -> bytes:
    """JSON text of ``document``, with every :class:`Raw` written as its text."""
    raws: list[str] = []

    def placeholder(value: Any) -> Any:
        if isinstance(value, Raw):
            raws.append(value.text)
            return f"\u0000raw{len(raws) - 1}\u0000"
        raise TypeError(f"cannot encode {type(value).__name__}")

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return placeholder(value) if isinstance(value, Raw) else value

    text = json.dumps(walk(document))
    for index, raw in enumerate(raws):
        text = text.replace(json.dumps(f"\u0000raw{index}\u0000"), raw)
    return text.encode()


def mutate_json(path: JsonPath, value: Any) -> Action:
    """The honest JSON answer with the value at ``path`` replaced by ``value`` (a :class:`Raw` for odd numbers)."""

    def change(answer: Answer) -> Answer:
        return attrs.evolve(answer, body=dumps(set_path(json.loads(answer.body), path, value)))

    return rewrite(change)


# --- the server ------------------------------------------------------------------------------------------


@attrs.define
class Rule:
    """Requests whose path matches ``path`` (and ``method``) get ``action``, ``times`` times (-1: always)."""

    path: str
    action: Action
    method: str | None = None
    times: int = -1

    def take(self, request: Request) -> bool:
        if self.times == 0 or self.method not in (None, request.method):
            return False
        if re.search(self.path, request.path) is None:
            return False
        if self.times > 0:
            self.times -= 1
        return True


class HostileServer:
    """A registry, token endpoint and Rekor on ``127.0.0.1:<free port>`` whose answers tests script.

    ``auth``: every ``/v2/...`` request needs a bearer token from ``realm``
    (default: this server's ``/token``). ``sigstore``: the log Rekor's
    endpoints serve. ``referrers_api``: False answers 404 there, as
    registries that know only the referrers tag schema do. ``give_up``:
    seconds after which any misbehaviour stops.
    """

    def __init__(
        self,
        *,
        sigstore: FakeSigstore | None = None,
        auth: bool = False,
        realm: str | None = None,
        referrers_api: bool = True,
        give_up: float = 8.0,
    ) -> None:
        self.store = MemoryStore(cosign_enabled=False)
        self.sigstore = sigstore
        self.auth = auth
        self.referrers_api = referrers_api
        self._realm = realm
        self.give_up = give_up
        self.rules: list[Rule] = []
        self.requests: list[tuple[str, str]] = []
        self.tokens: set[str] = set()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._server: socketserver.ThreadingTCPServer | None = None

    # --- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> HostileServer:
        owner = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                owner._handle(self.request)

        server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self._server = server
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.005}, name="HostileServer", daemon=True
        ).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def registry(self) -> str:
        """``127.0.0.1:<port>``: the registry part of references to this server."""
        assert self._server is not None, "server not started"
        return f"127.0.0.1:{self._server.server_address[1]}"

    @property
    def url(self) -> str:
        return f"http://{self.registry}"

    @property
    def realm(self) -> str:
        return self._realm or f"{self.url}/token"

    # --- scripting ----------------------------------------------------------------------------------

    def misbehave(self, path: str, action: Action, *, method: str | None = None, times: int = -1) -> Rule:
        """Requests whose path matches the regular expression ``path`` get ``action`` (first rule wins)."""
        rule = Rule(path=path, action=action, method=method, times=times)
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()
            self.requests.clear()

    def count(self, method: str | None = None, path: str = "") -> int:
        """How many requests matching ``method`` and the regular expression ``path`` were received."""
        with self._lock:
            return sum(1 for m, t in self.requests if method in (None, m) and re.search(path, t))

    # --- serving ------------------------------------------------------------------------------------

    def _handle(self, sock: socket.socket) -> None:
        sock.settimeout(2.0)
        try:
            request = _read_request(sock)
        except (OSError, ValueError):
            return
        if request is None:
            return
        with self._lock:
            self.requests.append((request.method, request.target))
            rule = next((r for r in self.rules if r.take(request)), None)
        sock.settimeout(0.5)
        conn = Connection(sock, self._stop, time.monotonic() + self.give_up)
        answer = self.answer(request)
        with contextlib.suppress(OSError):
            (rule.action if rule is not None else send)(conn, request, answer)
            sock.shutdown(socket.SHUT_WR)

    def answer(self, request: Request) -> Answer:
        """The honest answer to ``request``."""
        path = request.path
        if path == "/token":
            return self._token()
        if path.startswith("/api/v1/"):
            return self._rekor(request)
        if not path.startswith("/v2"):
            return _error(404, "NOT_FOUND", path)
        route = _ROUTE.match(path)
        if self.auth and request.headers.get("authorization", "")[7:] not in self.tokens:
            scope = f',scope="repository:{route.group("name")}:pull"' if route else ""
            challenge = f'Bearer realm="{self.realm}",service="hostile"{scope}'
            answer = _error(401, "UNAUTHORIZED", "authentication required")
            answer.headers.append(("WWW-Authenticate", challenge))
            return answer
        if path in ("/v2", "/v2/"):
            return _json_answer(200, {})
        if route is None or request.method not in ("GET", "HEAD"):
            return _error(404, "NAME_UNKNOWN", path)
        name, kind, ref = route.group("name", "kind", "ref")
        try:
            if kind == "manifests":
                return self._manifest(name, ref)
            if kind == "blobs":
                data = self.store.fetch_blob(self._reference(name), ref)
                return Answer(
                    200, [("Content-Type", "application/octet-stream"), ("Docker-Content-Digest", ref)], data
                )
            if not self.referrers_api:
                return _error(404, "NOT_FOUND", "no referrers API here: use the referrers tag schema")
            return self._referrers(name, ref, request.query.get("artifactType", [""])[0])
        except CosignVerifyError as exc:
            return _error(404, "UNKNOWN", str(exc))

    def _reference(self, name: str, tag: str | None = None, digest: str | None = None) -> Reference:
        suffix = f"@{digest}" if digest else f":{tag or 'latest'}"
        return Reference.parse(f"{self.registry}/{name}{suffix}")

    def _manifest(self, name: str, ref: str) -> Answer:
        by_digest = ":" in ref
        wanted = self._reference(name, digest=ref) if by_digest else self._reference(name, tag=ref)
        found = self.store.resolve(wanted)
        data = self.store.fetch_manifest(wanted, found.digest)
        headers = [("Content-Type", found.media_type), ("Docker-Content-Digest", found.digest)]
        return Answer(200, headers, data)

    def _referrers(self, name: str, digest: str, artifact_type: str) -> Answer:
        listed = self.store.list_referrers(self._reference(name, digest=digest))
        entries = [d.to_dict() for d in sorted(listed, key=lambda d: d.digest)]
        headers = [("Content-Type", OCI_IMAGE_INDEX)]
        if artifact_type:
            entries = [e for e in entries if e.get("artifactType") == artifact_type]
            headers.append(("OCI-Filters-Applied", "artifactType"))
        index = {"schemaVersion": 2, "mediaType": OCI_IMAGE_INDEX, "manifests": entries}
        return Answer(200, headers, json.dumps(index).encode())

    def _token(self) -> Answer:
        token = secrets.token_urlsafe(16)
        with self._lock:
            self.tokens.add(token)
        return _json_answer(200, {"token": token, "expires_in": 300})

    def _rekor(self, request: Request) -> Answer:
        if self.sigstore is None:
            return _json_answer(404, {"message": "no log here"})
        if request.method == "POST" and request.path == "/api/v1/index/retrieve":
            try:
                wanted = json.loads(request.body)["hash"]
            except (ValueError, KeyError, TypeError):
                return _json_answer(400, {"message": "bad query"})
            algorithm, _, digest = str(wanted).partition(":")
            records = self.sigstore.records
            if algorithm == "sha256":
                return _json_answer(200, [r.uuid for r in records if r.payload_sha256 == digest])
            return _json_answer(200, [])
        prefix = "/api/v1/log/entries/"
        if request.method == "GET" and request.path.startswith(prefix):
            uuid = request.path[len(prefix) :]
            for record in self.sigstore.records:
                if record.uuid == uuid:
                    return _json_answer(200, self.sigstore.entry_document(record))
        return _json_answer(404, {"message": "entry not found"})


def _read_request(sock: socket.socket) -> Request | None:
    """Read one request (head, then a body of Content-Length bytes); None if the client sent nothing."""
    data = b""
    while b"\r\n\r\n" not in data:
        piece = sock.recv(65536)
        if not piece:
            return None
        data += piece
        if len(data) > MAX_REQUEST_HEAD:
            raise ValueError("request head too large")
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        key, _, value = line.partition(":")
        headers[key.strip().lower()] = value.strip()
    length = int(headers.get("content-length") or 0)
    while len(body) < length:
        piece = sock.recv(65536)
        if not piece:
            break
        body += piece
    return Request(method=method, target=target, headers=headers, body=body[:length])
