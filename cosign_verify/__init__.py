"""Verify cosign signatures on container images against trust policies."""

from __future__ import annotations

from ._version import __version__
from .bundles import BundleVerificationResult, verify_bundle
from .config import (
    Config,
    KeyManagementProviderConfig,
    PolicyConfig,
    StoreConfig,
    VerifierConfig,
    load_config,
)
from .engine import ConfigPolicy, Executor, ExecutorOptions, Verifier, build_key_providers, build_verifiers
from .errors import (
    ConfigError,
    CosignVerifyError,
    ForbiddenError,
    InvalidReferenceError,
    StoreError,
    UnsupportedKeyError,
)
from .keys import FileKeyProvider, InlineKeyProvider, KeyProvider, KeyProviders, TrustedKey
from .policy import Keyless, KeyRef, TrustPolicy
from .reference import Reference
from .report import KeyInformation, KeyVerification, SignatureResult, VerificationResult, VerifierReport
from .scope import Scope, ScopeKind, ScopeMatcher
from .store import Descriptor, MemoryStore, ReferrerStore
from .verifier import CosignVerifier

__all__ = [
    "BundleVerificationResult",
    "verify_bundle",
    "__version__",
    "Config",
    "ConfigError",
    "ConfigPolicy",
    "CosignVerifier",
    "CosignVerifyError",
    "Descriptor",
    "Executor",
    "ExecutorOptions",
    "FileKeyProvider",
    "ForbiddenError",
    "InlineKeyProvider",
    "InvalidReferenceError",
    "KeyInformation",
    "KeyManagementProviderConfig",
    "KeyProvider",
    "KeyProviders",
    "KeyRef",
    "KeyVerification",
    "Keyless",
    "MemoryStore",
    "PolicyConfig",
    "Reference",
    "ReferrerStore",
    "Scope",
    "ScopeKind",
    "ScopeMatcher",
    "SignatureResult",
    "StoreConfig",
    "StoreError",
    "TrustPolicy",
    "TrustedKey",
    "UnsupportedKeyError",
    "VerificationResult",
    "Verifier",
    "VerifierConfig",
    "VerifierReport",
    "build_key_providers",
    "build_verifiers",
    "load_config",
]
