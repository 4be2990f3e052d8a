"""``RekorServer``: the two Rekor v1 endpoints an online lookup needs, over a :class:`FakeSigstore` log."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .fake_sigstore import FakeSigstore


class RekorServer:
    """Serves ``POST /api/v1/index/retrieve`` and ``GET /api/v1/log/entries/{uuid}`` on a free loopback port.

    ``url`` is what a trust policy's ``rekorURL`` should say. ``requests``
    counts the requests served.
    """

    def __init__(self, sigstore: FakeSigstore) -> None:
        self.sigstore = sigstore
        self.requests = 0
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        assert self._server is not None, "server not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> RekorServer:
        """Start serving in a background thread."""
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="RekorServer", daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> RekorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, Any]:
        """``(status, JSON document)`` for one request."""
        self.requests += 1
        if method == "POST" and path == "/api/v1/index/retrieve":
            try:
                wanted = json.loads(body)["hash"].removeprefix("sha256:")
            except (ValueError, KeyError, TypeError, AttributeError):
                return 400, {"message": 'expected {"hash": "sha256:<hex>"}'}
            return 200, [r.uuid for r in self.sigstore.records if r.payload_sha256 == wanted]
        prefix = "/api/v1/log/entries/"
        if method == "GET" and path.startswith(prefix):
            uuid = path[len(prefix) :]
            for record in self.sigstore.records:
                if record.uuid == uuid:
                    return 200, self.sigstore.entry_document(record)
            return 404, {"message": "entry not found"}
        return 404, {"message": "not found"}


def _handler(server: RekorServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            status, document = server.answer(
                self.command, self.path, self.rfile.read(length) if length else b""
            )
            data = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _serve  # noqa: N815

    return Handler
