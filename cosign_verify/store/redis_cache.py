"""``RedisCache``: the registry store's :class:`Cache` shared through Redis by many processes (extra ``redis``).

What goes where (keys are the :class:`OCIRegistryStore`'s; see ``docs/caching.md``):

- manifests and blobs (digest-addressed): Redis, as raw bytes, hashed again on every read;
- referrer lists: Redis, as JSON (with an HMAC when the cache has a ``secret``);
- tag resolutions, which decide what gets verified: Redis only when the cache has a ``secret`` (each
  value then carries an HMAC-SHA256 under it), else this process's memory;
- anything else: this process's memory.

A value that does not check out is a warning and a miss, never a result. Redis down or slow is one
warning and then this process's memory cache, without trying Redis again for ``retry_after`` seconds:
every call is bounded by ``timeout``, nothing raises out of ``get``/``set``/``delete``.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from ..errors import ConfigError
from .cache import Cache, MemoryCache
from .cache_codec import CONTENT, REFERRERS, RESOLVE, Codec, RefusedError, kind_of, secret_bytes

log = logging.getLogger(__name__)

MiB = 1 << 20
DEFAULT_PREFIX = "cosign-verify:"
STATS = ("hits", "misses", "refused", "errors", "skipped", "too_large")

__all__ = ["DEFAULT_PREFIX", "RedisCache", "redact"]


class RedisCache:
    """The :class:`Cache` protocol over Redis (redis-py), for replicas that share what they fetch.

    ``url``: ``redis://[[user]:password@]host:port/db``, ``rediss://`` (TLS) or ``unix:///path``;
    ``password`` overrides the URL's. ``prefix`` starts every key (one Redis can serve several
    deployments). ``secret`` (at least 16 bytes; the same on every replica) authenticates what is
    shared: tag resolutions are shared only with one. ``timeout`` bounds connecting and each answer
    (seconds); after a failure Redis is left alone for ``retry_after`` seconds. Values larger than
    ``max_value_size`` bytes stay out of Redis. ``local`` is the in-process cache for what is not
    shared, and for everything while Redis is unreachable (default: a :class:`MemoryCache`).
    Warnings of one kind are logged at most once per ``warn_interval`` seconds.
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = DEFAULT_PREFIX,
        secret: bytes | str | None = None,
        password: str | None = None,
        timeout: float = 0.25,
        retry_after: float = 5.0,
        max_value_size: int = 4 * MiB,
        local: Cache | None = None,
        warn_interval: float = 60.0,
    ) -> None:
        try:
            codec = Codec(secret_bytes(secret) if secret is not None else None)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        if timeout <= 0:
            raise ConfigError(f"the Redis timeout must be positive, not {timeout}")
        self._client, self._response_error = _connect(url, timeout, password)
        self.url = redact(url)
        self.prefix = prefix
        self.timeout = timeout
        self.retry_after = retry_after
        self.max_value_size = max_value_size
        self.warn_interval = warn_interval
        self.local: Cache = local if local is not None else MemoryCache()
        self._codec = codec
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._retry_at = 0.0
        self._warned: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}
        self._counts = dict.fromkeys(STATS, 0)

    def __repr__(self) -> str:
        secret = "set" if self._codec.signed else None
        return f"RedisCache({self.url!r}, prefix={self.prefix!r}, secret={secret})"

    @property
    def shares_tag_resolutions(self) -> bool:
        """Whether tag resolutions go to Redis (only with a secret)."""
        return self._codec.signed

    # --- the Cache protocol -------------------------------------------------------

    def get(self, key: str) -> Any | None:
        """The value for ``key``, checked; None when absent, expired, refused, or Redis cannot answer."""
        if not self._shared(key) or not self._may_call():
            return self.local.get(key)
        try:
            data = self._client.get(self.prefix + key)
        except Exception as exc:  # whatever Redis or the network does, a cache only misses
            self._failed("reading", exc)
            return self.local.get(key)
        self._answered()
        if data is None:
            self._count("misses")
            return None
        try:
            value = self._codec.decode(key, data)
        except RefusedError as exc:
            self._count("refused")
            self._warn(
                "refused",
                "Redis cache %s: refused the value of %s: %s; fetching it again (is something else "
                "writing under prefix %r, or with another secret?)",
                self.url,
                key[:300],
                exc,
                self.prefix,
            )
            return None
        self._count("hits" if value is not None else "misses")
        return value

    def set(self, key: str, value: Any, ttl: float | None) -> None:
        """Store ``value`` for ``ttl`` seconds (None: until Redis evicts it); a ``ttl`` of 0 or less stores nothing."""
        if ttl is not None and ttl <= 0:
            return
        data = self._codec.encode(key, value, ttl) if self._shared(key) else None
        if data is None:
            self.local.set(key, value, ttl)
            return
        if len(data) > self.max_value_size:
            self._count("too_large")
            self.local.set(key, value, ttl)
            return
        if not self._may_call():
            self.local.set(key, value, ttl)
            return
        expiry = None if ttl is None else max(1, int(ttl * 1000))
        try:
            self._client.set(self.prefix + key, data, px=expiry)
        except Exception as exc:  # as in get: never an error out of a cache
            self._failed("writing", exc)
            self.local.set(key, value, ttl)
            return
        self._answered()

    def delete(self, key: str) -> None:
        """Forget ``key`` here and in Redis."""
        self.local.delete(key)
        if not self._shared(key) or not self._may_call():
            return
        try:
            self._client.delete(self.prefix + key)
        except Exception as exc:  # as in get
            self._failed("deleting", exc)
            return
        self._answered()

    # --- for operators --------------------------------------------------------------

    def stats(self) -> dict[str, int]:
        """Counts since start: Redis ``hits`` and ``misses``, values ``refused``, Redis ``errors``,
        calls ``skipped`` while Redis was left alone, values ``too_large`` for Redis."""
        with self._lock:
            return dict(self._counts)

    @property
    def available(self) -> bool:
        """Whether Redis answered the last call (False during an outage)."""
        return self._down_since is None

    def ping(self) -> bool:
        """Whether Redis answers now (one bounded round trip; no warning either way)."""
        try:
            return bool(self._client.ping())
        except Exception:  # an answer of "no", whatever the reason
            return False

    def close(self) -> None:
        """Close the connections to Redis."""
        self._client.close()

    # --- machinery --------------------------------------------------------------------

    def _shared(self, key: str) -> bool:
        kind = kind_of(key)
        return kind in (CONTENT, REFERRERS) or (kind == RESOLVE and self._codec.signed)

    def _count(self, name: str) -> None:
        with self._lock:
            self._counts[name] += 1

    def _may_call(self) -> bool:
        """True while Redis is healthy; during an outage, for one caller every ``retry_after`` seconds."""
        if self._down_since is None:
            return True
        with self._lock:
            now = time.monotonic()
            if self._down_since is None:
                return True
            if now < self._retry_at:
                self._counts["skipped"] += 1
                return False
            self._retry_at = now + self.retry_after
            return True

    def _failed(self, action: str, exc: Exception) -> None:
        self._count("errors")
        detail = f"{type(exc).__name__}: {str(exc)[:200]}"
        if isinstance(exc, self._response_error):  # Redis answered with an error (out of memory, ...)
            self._warn("answer", "Redis cache %s: %s failed: %s", self.url, action, detail)
            return
        now = time.monotonic()
        with self._lock:
            if self._down_since is None:
                self._down_since = now
            self._retry_at = now + self.retry_after
        self._warn(
            "down",
            "Redis cache %s is unreachable or too slow (%s while %s): using this process's memory "
            "and the registries directly, and trying Redis again every %g s",
            self.url,
            detail,
            action,
            self.retry_after,
        )

    def _answered(self) -> None:
        if self._down_since is None:
            return
        with self._lock:
            since, self._down_since = self._down_since, None
        if since is not None:
            log.info("Redis cache %s answers again (after %.1f s)", self.url, time.monotonic() - since)

    def _warn(self, topic: str, message: str, *args: Any) -> None:
        now = time.monotonic()
        with self._lock:
            last = self._warned.get(topic)
            if last is not None and now - last < self.warn_interval:
                self._suppressed[topic] = self._suppressed.get(topic, 0) + 1
                return
            self._warned[topic] = now
            suppressed = self._suppressed.pop(topic, 0)
        if suppressed:
            message += " (%d more like this since the last warning)"
            args = (*args, suppressed)
        log.warning(message, *args)


def _connect(url: str, timeout: float, password: str | None) -> tuple[Any, type[Exception]]:
    """A redis-py client that connects lazily, waits at most ``timeout`` and never retries by itself."""
    try:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry
    except ImportError:
        raise ConfigError(
            "a Redis cache needs redis-py", remediation="pip install 'cosign-verify[redis]'"
        ) from None
    extra: dict[str, Any] = {} if password is None else {"password": password}
    try:
        client = redis.Redis.from_url(
            url,
            socket_connect_timeout=timeout,
            socket_timeout=timeout,
            retry=Retry(NoBackoff(), 0),
            retry_on_timeout=False,
            health_check_interval=0,
            **extra,
        )
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            f"invalid Redis URL {redact(url)!r}: {exc}",
            remediation="redis://[:password@]host:port/db, rediss://... for TLS, or unix:///path/to/socket",
        ) from None
    return client, redis.exceptions.ResponseError


def redact(url: str) -> str:
    """``url`` without its credentials or query (what logs and reprs show)."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{host}{parts.path}"
