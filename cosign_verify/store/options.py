"""Registry store settings, kept apart from the HTTP code so that reading them costs no ``requests`` import."""

from __future__ import annotations

from urllib.parse import urlsplit

import attrs

from ..reference import is_loopback_host

MiB = 1 << 20


@attrs.frozen(kw_only=True)
class RegistryOptions:
    """How an :class:`OCIRegistryStore` talks to registries. Defaults are stated here once.

    - ``use_http``: plain HTTP for every registry (Ratify's ``useHttp``);
      ``insecure_registries``: plain HTTP for these hosts only. Loopback
      registries (``localhost``, ``127.0.0.0/8``, ``[::1]``) always use HTTP.
    - ``ca_bundle``: a PEM file of CAs to trust instead of the system's;
      ``tls_verify=False`` accepts any certificate (cosign's
      ``--allow-insecure-registry``: signatures are still verified, but a
      machine in the middle can hide them or answer for the registry).
    - ``connect_timeout`` / ``read_timeout``: per request (seconds);
      ``deadline``: for one operation, retries included.
    - ``max_retries``, ``backoff``, ``max_backoff``: retry policy for 429, 5xx
      and connection errors.
    - ``max_manifest_size`` / ``max_blob_size``: bytes; larger answers are refused unread.
    - ``max_referrer_pages``, ``max_referrers``: pages of a referrers list and
      referrers of one subject; ``max_untyped_referrers``: tag-schema index
      entries without an artifact type, whose manifests are read to learn it.
    - ``max_connections``: kept-alive connections per registry (one per worker thread).
    - ``cosign_enabled``: also look for cosign's ``sha256-<hex>.sig`` tag.
    - ``cache_enabled``, ``cache_ttl`` (referrer lists, tag resolutions) and
      ``content_ttl`` (digest-addressed manifests and blobs; None: until evicted).
    """

    use_http: bool = False
    insecure_registries: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    ca_bundle: str | None = None
    tls_verify: bool = True
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    deadline: float = 60.0
    max_retries: int = 4
    backoff: float = 0.25
    max_backoff: float = 8.0
    max_redirects: int = 5
    max_manifest_size: int = 4 * MiB
    max_blob_size: int = 32 * MiB
    max_referrer_pages: int = 16
    max_referrers: int = 1000
    max_untyped_referrers: int = 32
    max_connections: int = 16

    cosign_enabled: bool = True
    cache_enabled: bool = True
    cache_ttl: float = 10.0
    content_ttl: float | None = 24 * 3600.0


def is_loopback(registry: str) -> bool:
    """Whether ``registry`` (``host[:port]``) names this machine."""
    return is_loopback_host(urlsplit(f"//{registry}").hostname or "")
