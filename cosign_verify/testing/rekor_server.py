"""``RekorServer``: the two Rekor v1 endpoints an online lookup needs, over a :class:`FakeSigstore` log."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from typing import Any

from ._background import BackgroundServer
from .fake_sigstore import FakeSigstore


class RekorServer(BackgroundServer):
    """Serves ``POST /api/v1/index/retrieve`` and ``GET /api/v1/log/entries/{uuid}`` on a free loopback port.

    ``url`` is what a trust policy's ``rekorURL`` should say. ``requests``
    counts the requests served.
    """

    def __init__(self, sigstore: FakeSigstore) -> None:
        self.sigstore = sigstore
        self.requests = 0
        super().__init__()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        return _handler(self)

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
        disable_nagle_algorithm = True  # headers and body leave at once, not a delayed ACK apart

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
