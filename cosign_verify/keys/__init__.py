"""Trusted public keys: loading, providers, and resolution for trust policies."""

from __future__ import annotations

from .loading import PublicKey, describe_key, load_public_key, load_public_keys
from .providers import FileKeyProvider, InlineKeyProvider, KeyProvider, KeyProviders, TrustedKey
from .resolve import PolicyKeys, ResolvedKey

__all__ = [
    "FileKeyProvider",
    "InlineKeyProvider",
    "KeyProvider",
    "KeyProviders",
    "PolicyKeys",
    "PublicKey",
    "ResolvedKey",
    "TrustedKey",
    "describe_key",
    "load_public_key",
    "load_public_keys",
]
