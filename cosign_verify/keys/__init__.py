"""Trusted public keys: loading, and the providers they come from."""

from __future__ import annotations

from .loading import PublicKey, describe_key, load_public_key, load_public_keys
from .providers import FileKeyProvider, InlineKeyProvider, KeyProvider, KeyProviders, TrustedKey

__all__ = [
    "FileKeyProvider",
    "InlineKeyProvider",
    "KeyProvider",
    "KeyProviders",
    "PublicKey",
    "TrustedKey",
    "describe_key",
    "load_public_key",
    "load_public_keys",
]
