"""``cosign-verify serve``: the Gatekeeper external-data provider, on gunicorn."""

from __future__ import annotations

import argparse
import importlib.util
import logging

from ..config import load_config
from ..errors import ConfigError
from .config_command import config_error
from .console import Console
from .parser import EXIT_OK, EXIT_USAGE
from .verify_command import UsageError


def run_serve(args: argparse.Namespace, console: Console) -> int:
    from ..wiring import build_verifiers

    try:
        _check_tls(args)
        config = load_config(args.config)
        build_verifiers(config)  # every key and trusted root resolves before a worker starts
    except ConfigError as exc:
        return config_error(args, exc, console)
    except UsageError as exc:
        console.failure(exc)
        return EXIT_USAGE
    if not all(importlib.util.find_spec(name) for name in ("gunicorn", "prometheus_client")):
        console.error(
            "serving needs the server extra",
            remediation="pip install 'cosign-verify[server]' (gunicorn, prometheus-client)",
        )
        return EXIT_USAGE
    from ..server.multiprocess import prepare_metrics

    prepare_metrics()  # before prometheus_client is imported by the provider
    from ..server import logs
    from ..server.app import ServerOptions
    from ..server.run import ServeOptions, serve

    logs.configure(logging.DEBUG if args.verbose else logging.WARNING if args.quiet else logging.INFO)
    options = ServeOptions(
        host=args.host,
        port=args.port,
        processes=args.processes,
        threads=args.threads,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        client_ca=args.client_ca,
        probe_port=args.probe_port or None,
        provider=ServerOptions(timeout=args.timeout),
    )
    serve(config, options)
    return EXIT_OK


def _check_tls(args: argparse.Namespace) -> None:
    if bool(args.tls_cert) != bool(args.tls_key):
        raise UsageError("--tls-cert and --tls-key go together")
    if args.client_ca and not args.tls_cert:
        raise UsageError("--client-ca (mTLS) needs --tls-cert and --tls-key")
