"""Verify cosign signatures on container images against trust policies.

The names here are what you compose: trust policies and their scopes, key
providers, a referrer store, the verifier and executor, and the results
they return. Submodules hold the rest: ``cosign_verify.store`` (auth,
caches, descriptors), ``cosign_verify.report`` (every report type),
``cosign_verify.transparency`` (the transparency-log seam),
``cosign_verify.config`` (configuration values), ``cosign_verify.wiring``
(building parts from a configuration) and ``cosign_verify.testing`` (the
toolkit for tests). ``OCIRegistryStore`` is imported on first use, so code
that never talks to a registry does not pay for ``requests``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__
from .attestations import AttestationVerifier
from .bundles import verify_bundle
from .config import load_config
from .engine import ConfigPolicy, Executor, ExecutorOptions
from .errors import ConfigError, CosignVerifyError, InvalidReferenceError, StoreError
from .keys import FileKeyProvider, InlineKeyProvider, KeyProvider, KeyProviders
from .policy import Keyless, KeyRef, TrustPolicy
from .reasons import FailureReason
from .reference import Reference
from .report import VerificationResult, VerifierReport
from .scope import ScopeMatcher
from .store.base import ReferrerStore
from .store.memory import MemoryStore
from .store.options import RegistryOptions
from .trusted_root import TrustedRoot
from .verifier import CosignVerifier

if TYPE_CHECKING:
    from .store.redis_cache import RedisCache
    from .store.registry import OCIRegistryStore


def __getattr__(name: str) -> Any:
    if name == "OCIRegistryStore":
        from .store.registry import OCIRegistryStore

        return OCIRegistryStore
    if name == "RedisCache":
        from .store.redis_cache import RedisCache

        return RedisCache
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AttestationVerifier",
    "ConfigError",
    "ConfigPolicy",
    "CosignVerifier",
    "CosignVerifyError",
    "Executor",
    "ExecutorOptions",
    "FailureReason",
    "FileKeyProvider",
    "InlineKeyProvider",
    "InvalidReferenceError",
    "KeyProvider",
    "KeyProviders",
    "KeyRef",
    "Keyless",
    "MemoryStore",
    "OCIRegistryStore",
    "RedisCache",
    "Reference",
    "ReferrerStore",
    "RegistryOptions",
    "ScopeMatcher",
    "StoreError",
    "TrustPolicy",
    "TrustedRoot",
    "VerificationResult",
    "VerifierReport",
    "__version__",
    "load_config",
    "verify_bundle",
]
