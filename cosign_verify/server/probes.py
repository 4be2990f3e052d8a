"""Probes and metrics on their own plain-HTTP port, served by gunicorn's master process.

With mTLS on the provider port, the kubelet's probes and Prometheus's scrape
present no client certificate; they use this port instead. The master sees
every worker's metrics (through the multiprocess directory) and knows when
workers are up.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from . import metrics

Environ = dict[str, Any]
StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def probe_app(ready: Callable[[], bool]) -> Callable[[Environ, StartResponse], Iterable[bytes]]:
    """``/healthz`` (the process answers), ``/readyz`` (``ready()``), ``/metrics`` (every worker's)."""

    def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            body, content_type = metrics.exposition()
            status = "200 OK"
        elif path == "/healthz":
            body, content_type, status = b'{"status":"ok"}', "application/json", "200 OK"
        elif path == "/readyz":
            up = ready()
            body = b'{"status":"ready"}' if up else b'{"status":"starting"}'
            content_type, status = "application/json", "200 OK" if up else "503 Service Unavailable"
        else:
            body, content_type, status = b'{"error":"no such endpoint"}', "application/json", "404 Not Found"
        start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
        return [body]

    return app


def start_probes(host: str, port: int, ready: Callable[[], bool]) -> None:
    """Serve :func:`probe_app` on ``host:port`` in a daemon thread."""
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    from prometheus_client.exposition import ThreadingWSGIServer

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = make_server(host, port, probe_app(ready), ThreadingWSGIServer, handler_class=Quiet)
    threading.Thread(target=server.serve_forever, name="cosign-verify-probes", daemon=True).start()
