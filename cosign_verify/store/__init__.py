"""Referrer stores: where signatures are found.

``OCIRegistryStore`` and the HTTP machinery are imported on first use, so
that code using only :class:`MemoryStore` does not pay for ``requests``;
``RedisCache`` too, so that only its users need redis-py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .auth import AuthProvider, Credentials, DockerConfigAuthProvider, StaticAuthProvider
from .base import Descriptor, ReferrerStore, check_content, compute_digest, cosign_signature_tag
from .cache import Cache, MemoryCache
from .memory import MemoryStore
from .options import RegistryOptions

if TYPE_CHECKING:
    from .redis_cache import RedisCache
    from .registry import OCIRegistryStore


def __getattr__(name: str) -> Any:
    if name == "OCIRegistryStore":
        from .registry import OCIRegistryStore

        return OCIRegistryStore
    if name == "RedisCache":
        from .redis_cache import RedisCache

        return RedisCache
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AuthProvider",
    "Cache",
    "Credentials",
    "Descriptor",
    "DockerConfigAuthProvider",
    "MemoryCache",
    "MemoryStore",
    "OCIRegistryStore",
    "RedisCache",
    "ReferrerStore",
    "RegistryOptions",
    "StaticAuthProvider",
    "check_content",
    "compute_digest",
    "cosign_signature_tag",
]
