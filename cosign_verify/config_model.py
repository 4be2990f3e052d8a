"""The values a loaded configuration is made of: store, policy, verifiers and key management providers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from .errors import ConfigError
from .policy import TrustPolicy
from .scope import ScopeMatcher

COSIGN_VERIFIER_TYPE = "cosign"
ATTESTATION_VERIFIER_TYPE = "cosign-attestation"  # our extension: cosign verify-attestation
ORAS_STORE = "oras"
CONFIG_POLICY = "configpolicy"
DEFAULT_POLICY = "default"
DEFAULT_CACHE_TTL = 10  # seconds; Ratify's default for the oras store's caches
MEMORY_CACHE = "memory"  # Ratify's "ristretto": each process its own
REDIS_CACHE = "redis"  # Ratify's "dapr" (over a Redis state store): shared by replicas


@attrs.frozen(kw_only=True)
class CacheConfig:
    """The ``oras`` store plugin's ``cache`` object (our extension; see docs/caching.md).

    ``type`` ``memory`` (the default) or ``redis``; for Redis, ``url``, the key ``prefix``, the HMAC
    secret from the environment variable ``secret_env`` or the file ``secret_file``, the password from
    ``password_env``, ``timeout`` (seconds) and ``max_value_size`` (bytes). ``content_ttl`` (seconds) is
    how long manifests and blobs are kept; ``size_mb`` bounds this process's memory cache.
    """

    type: str = MEMORY_CACHE
    url: str | None = None
    prefix: str | None = None
    secret_env: str | None = None
    secret_file: str | None = None
    password_env: str | None = None
    timeout: float | None = None
    max_value_size: int | None = None
    content_ttl: int | None = None
    size_mb: int | None = None


@attrs.frozen(kw_only=True)
class StoreConfig:
    """The ``oras`` store plugin's settings (Ratify's defaults when unset)."""

    name: str = ORAS_STORE
    use_http: bool = False
    cosign_enabled: bool = False
    cache_enabled: bool = True
    ttl: int = DEFAULT_CACHE_TTL
    auth_provider: Mapping[str, Any] | None = None
    configured: bool = True  # False when the configuration has no store section (these are defaults)
    cache: CacheConfig = attrs.field(factory=CacheConfig)


@attrs.frozen(kw_only=True)
class PolicyConfig:
    """The ``configPolicy`` plugin: ``any`` or ``all`` per artifact type, and ``default``."""

    name: str = "configPolicy"
    artifact_verification_policies: Mapping[str, str] = attrs.field(factory=dict)

    @property
    def default(self) -> str:
        """The rule for artifact types not named (``all`` unless configured)."""
        return self.artifact_verification_policies.get(DEFAULT_POLICY, "all")


@attrs.frozen(kw_only=True)
class VerifierConfig:
    """One cosign verifier plugin: the artifact types it handles and its trust policies.

    ``type`` is ``cosign``, or ``cosign-attestation`` for an attestation
    verifier (our extension; ``predicate_types`` then says which).
    """

    name: str
    artifact_types: tuple[str, ...]
    trust_policies: tuple[TrustPolicy, ...] = ()
    key: str | None = None
    rekor_url: str | None = None
    trusted_root: str | None = None
    type: str = COSIGN_VERIFIER_TYPE
    index: int = 0  # its place among verifier.plugins, for error paths
    predicate_types: tuple[str, ...] = ()  # attestation verifiers: the predicate types wanted

    @property
    def legacy(self) -> bool:
        """Whether this verifier uses Ratify's legacy mode (``key`` / ``rekorURL``, no trust policies)."""
        return not self.trust_policies

    @property
    def matcher(self) -> ScopeMatcher:
        """The scope matcher over this verifier's trust policies."""
        return ScopeMatcher(self.trust_policies)


@attrs.frozen(kw_only=True)
class KeyManagementProviderConfig:
    """A key management provider declared in the config (``inline`` or ``file``)."""

    name: str
    type: str
    parameters: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class Config:
    """A loaded, validated configuration.

    ``base_dir`` is the directory of the config file (or the working directory
    for a dict): relative key ``file`` paths are resolved against it.
    """

    store: StoreConfig = attrs.field(factory=StoreConfig)
    policy: PolicyConfig = attrs.field(factory=PolicyConfig)
    verifiers: tuple[VerifierConfig, ...] = ()
    ignored_verifiers: tuple[str, ...] = ()
    key_management_providers: tuple[KeyManagementProviderConfig, ...] = ()
    base_dir: Path = attrs.field(factory=Path.cwd)
    source: str = "<dict>"
    skipped: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    # where each section came from when loaded from Kubernetes resources: "verifier.plugins[0]" -> its document
    origins: Mapping[str, ResourceOrigin] = attrs.field(factory=dict)

    def locate(self, error: ConfigError) -> ConfigError:
        """``error`` with its path in the file the user wrote (a resource's document), where that differs."""
        return relocate(error, self.origins)


@attrs.frozen
class ResourceOrigin:
    """The Kubernetes resource a configuration section was made from, and where its fields live in it."""

    where: str  # "file.yaml: document 0"
    fields: Mapping[
        str, str
    ]  # config field -> path in the resource ("artifactTypes" -> "spec.artifactTypes")
    rest: str  # where the other fields live ("spec.parameters")

    def path(self, tail: str) -> str:
        field = re.match(r"[^.\[]*", tail)
        name = field.group() if field else ""
        if name in self.fields:
            inside = self.fields[name] + tail[len(name) :]
        else:
            inside = f"{self.rest}.{tail}" if tail and not tail.startswith("[") else self.rest + tail
        return f"{self.where}: {inside}"


def relocate(error: ConfigError, origins: Mapping[str, ResourceOrigin]) -> ConfigError:
    """``error`` with a configuration path (``verifier.plugins[0].keys``) turned into its resource's path."""
    if not error.path:
        return error
    for prefix, origin in origins.items():
        if error.path == prefix or error.path.startswith((f"{prefix}.", f"{prefix}[")):
            tail = error.path[len(prefix) :].removeprefix(".")
            return ConfigError(error.reason, path=origin.path(tail), remediation=error.remediation)
    return error
