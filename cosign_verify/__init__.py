"""Verify cosign signatures on container images against trust policies."""

from __future__ import annotations

from .config import (
    Config,
    KeyManagementProviderConfig,
    PolicyConfig,
    StoreConfig,
    VerifierConfig,
    load_config,
)
from .errors import (
    ConfigError,
    CosignVerifyError,
    ForbiddenError,
    InvalidReferenceError,
    StoreError,
)
from .policy import Keyless, KeyRef, TrustPolicy
from .reference import Reference
from .scope import Scope, ScopeKind, ScopeMatcher

__version__ = "0.1.0"

__all__ = [
    "Config",
    "ConfigError",
    "CosignVerifyError",
    "ForbiddenError",
    "InvalidReferenceError",
    "KeyManagementProviderConfig",
    "KeyRef",
    "Keyless",
    "PolicyConfig",
    "Reference",
    "Scope",
    "ScopeKind",
    "ScopeMatcher",
    "StoreConfig",
    "StoreError",
    "TrustPolicy",
    "VerifierConfig",
    "load_config",
]
