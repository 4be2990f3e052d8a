"""A Gatekeeper external-data provider: ``create_app()`` for any WSGI server, ``serve()`` on gunicorn.

``POST /ratify/gatekeeper/v1/verify`` answers Gatekeeper's ``ProviderRequest``
with one Ratify-shaped result per image; ``POST /ratify/gatekeeper/v1/mutate``
pins images to their digests; ``/healthz``, ``/readyz`` and ``/metrics``
(Prometheus) are for Kubernetes and monitoring. Needs the ``server`` extra
(``pip install 'cosign-verify[server]'``: gunicorn and prometheus-client).
The modules are imported on first use, so that several worker processes can
choose where their metrics go before ``prometheus_client`` is imported.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import Config, load_config

if TYPE_CHECKING:
    from .app import ProviderApp, ServerOptions

VERIFY_PATH = "/ratify/gatekeeper/v1/verify"
MUTATE_PATH = "/ratify/gatekeeper/v1/mutate"


def create_app(
    config: Config | str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    options: ServerOptions | None = None,
) -> ProviderApp:
    """The provider for a configuration (loaded and checked now; the executor is built where it serves)."""
    from ..engine import Executor, ExecutorOptions
    from ..wiring import build_verifiers
    from .app import ProviderApp, ServerOptions

    loaded = config if isinstance(config, Config) else load_config(_paths(config))
    build_verifiers(loaded)  # every key, file and trusted root resolves, or a ConfigError now
    settings = options or ServerOptions()

    def build() -> Executor:
        return Executor.from_config(loaded, options=ExecutorOptions(deadline=settings.timeout))

    return ProviderApp(build, settings)


def _paths(config: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> Path | list[Path]:
    if isinstance(config, str | os.PathLike):
        return Path(config)
    return [Path(p) for p in config]


def __getattr__(name: str) -> Any:
    if name in ("ProviderApp", "ServerOptions"):
        from . import app

        return getattr(app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["MUTATE_PATH", "VERIFY_PATH", "ProviderApp", "ServerOptions", "create_app"]
