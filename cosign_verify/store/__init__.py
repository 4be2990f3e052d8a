"""Referrer stores: where signatures are found."""

from __future__ import annotations

from .auth import AuthProvider, Credentials, DockerConfigAuthProvider, StaticAuthProvider
from .base import Descriptor, ReferrerStore, check_content, compute_digest, cosign_signature_tag
from .cache import Cache, MemoryCache
from .memory import MemoryStore
from .registry import OCIRegistryStore
from .transport import RegistryOptions

__all__ = [
    "AuthProvider",
    "Cache",
    "Credentials",
    "Descriptor",
    "DockerConfigAuthProvider",
    "MemoryCache",
    "MemoryStore",
    "OCIRegistryStore",
    "ReferrerStore",
    "RegistryOptions",
    "StaticAuthProvider",
    "check_content",
    "compute_digest",
    "cosign_signature_tag",
]
