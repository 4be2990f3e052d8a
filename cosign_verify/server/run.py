"""Serving the provider on gunicorn: worker processes, threads, TLS and client certificates (mTLS)."""

from __future__ import annotations

import os
import ssl
from typing import Any

import attrs

from ..config import Config
from .app import ServerOptions


@attrs.frozen(kw_only=True)
class ServeOptions:
    """Where and how to serve.

    - ``processes`` worker processes of ``threads`` threads each;
    - ``tls_cert``/``tls_key``: serve HTTPS; ``client_ca``: require a client
      certificate signed by this CA (mTLS, as Gatekeeper calls providers).
    - ``probe_port``: plain HTTP for ``/healthz``, ``/readyz`` and ``/metrics``
      (every worker's), served by the master process; None for none.
    """

    host: str = "0.0.0.0"
    port: int = 6001
    processes: int = 2
    threads: int = 8
    tls_cert: str | None = None
    tls_key: str | None = None
    client_ca: str | None = None
    probe_port: int | None = 9099
    provider: ServerOptions = attrs.field(factory=ServerOptions)


def gunicorn_settings(options: ServeOptions) -> dict[str, Any]:
    """gunicorn's settings for ``options``."""
    host = f"[{options.host}]" if ":" in options.host else options.host
    settings: dict[str, Any] = {
        "bind": [f"{host}:{options.port}"],
        "workers": options.processes,
        "worker_class": "gthread",
        "threads": options.threads,
        "timeout": max(30, int(options.provider.timeout * 4)),
        "graceful_timeout": 10,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
    }
    if options.tls_cert:
        settings.update(certfile=options.tls_cert, keyfile=options.tls_key)
        if options.client_ca:
            settings.update(ca_certs=options.client_ca, cert_reqs=ssl.CERT_REQUIRED)
    return settings


def serve(config: Config, options: ServeOptions) -> None:
    """Serve ``config`` until stopped (SIGTERM or Ctrl-C); the configuration was checked by the caller.

    With several processes, set ``PROMETHEUS_MULTIPROC_DIR`` before
    ``prometheus_client`` is first imported (:func:`prepare_metrics`).
    """
    from gunicorn.app.base import BaseApplication  # type: ignore[import-untyped]

    metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")

    class Provider(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in gunicorn_settings(options).items():
                self.cfg.set(key, value)
            if metrics_dir is not None:
                self.cfg.set("child_exit", _child_exit)
            if options.probe_port is not None:
                self.cfg.set("when_ready", _probes(options.host, options.probe_port))

        def load(self) -> Any:
            from . import create_app

            return create_app(config, options.provider)

    Provider().run()


def _probes(host: str, port: int) -> Any:
    def when_ready(server: Any) -> None:
        from .probes import start_probes

        start_probes(host, port, lambda: bool(server.WORKERS))

    return when_ready


def _child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
