"""From a loaded configuration to working parts: key providers, cosign verifiers, the registry store.

``Executor.from_config`` uses these; call them yourself to swap one part
(your own store, your own key providers) and keep the rest as configured.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import attrs

from ._internal.files import read_regular_file
from .attestations import AttestationVerifier
from .config import Config
from .config_model import ATTESTATION_VERIFIER_TYPE, REDIS_CACHE
from .errors import ConfigError
from .keys import FileKeyProvider, InlineKeyProvider, KeyProviders
from .policy import DEFAULT_REKOR_URL, Keyless, KeyRef, TrustPolicy
from .report import ReportShape
from .store.auth import AuthProvider, DockerConfigAuthProvider
from .store.cache import Cache, MemoryCache
from .store.options import MiB, RegistryOptions
from .verifier import CosignVerifier

if TYPE_CHECKING:
    from .store.registry import OCIRegistryStore


LEGACY_POLICY = "legacy"

__all__ = [
    "LEGACY_POLICY",
    "build_cache",
    "build_key_providers",
    "build_store",
    "build_verifiers",
    "legacy_policy",
]
_CACHE_PATH = "store.plugins[0].cache"
MAX_SECRET_FILE = 64 * 1024


def build_key_providers(config: Config) -> KeyProviders:
    """Key providers from a configuration's ``keyManagementProviders``."""
    providers = KeyProviders()
    for index, entry in enumerate(config.key_management_providers):
        try:
            if entry.type == "inline":
                provider: InlineKeyProvider | FileKeyProvider = InlineKeyProvider(
                    entry.name, entry.parameters["value"], content_type=entry.parameters["contentType"]
                )
            else:
                provider = FileKeyProvider(entry.name, config.base_dir / entry.parameters["path"])
            providers.add(provider)
        except ConfigError as exc:
            raise config.locate(exc.under(f"keyManagementProviders[{index}]")) from None
    return providers


def legacy_policy(key: str | None, rekor_url: str | None) -> TrustPolicy:
    """The trust policy Ratify's legacy cosign configuration stands for.

    ``key``: that public key for every image, without the transparency log
    (as Ratify). No key: keyless, any Fulcio identity, checked against Rekor
    at ``rekor_url``.
    """
    if key is not None:
        return TrustPolicy(name=LEGACY_POLICY, scopes=["*"], keys=[KeyRef(file=key)], tlog_verify=False)
    return TrustPolicy(
        name=LEGACY_POLICY,
        scopes=["*"],
        keyless=Keyless(certificate_identity_regexp=".*", certificate_oidc_issuer_regexp=".*"),
        rekor_url=rekor_url or DEFAULT_REKOR_URL,
    )


def build_verifiers(config: Config, key_providers: KeyProviders | None = None) -> list[CosignVerifier]:
    """The cosign verifiers a configuration describes (trust policies, or Ratify's legacy ``key``/``rekorURL``)."""
    providers = key_providers if key_providers is not None else build_key_providers(config)
    verifiers: list[CosignVerifier] = []
    for entry in config.verifiers:
        policies = entry.trust_policies
        if entry.legacy:
            policies = (legacy_policy(entry.key, entry.rekor_url),)  # keyless: load_config warned
        options: dict[str, Any] = {
            "name": entry.name,
            "artifact_types": entry.artifact_types,
            "base_dir": config.base_dir,
            "trusted_root": entry.trusted_root,
        }
        try:
            if entry.type == ATTESTATION_VERIFIER_TYPE:
                verifiers.append(
                    AttestationVerifier(policies, providers, predicate_types=entry.predicate_types, **options)
                )
            else:
                shape = ReportShape.RATIFY_LEGACY if entry.legacy else ReportShape.RATIFY
                verifiers.append(CosignVerifier(policies, providers, shape=shape, **options))
        except ConfigError as exc:
            raise config.locate(exc.under(f"verifier.plugins[{entry.index}]")) from None
    return verifiers


def build_cache(config: Config) -> Cache:
    """The cache a configuration's store plugin describes (its ``cache`` object; docs/caching.md).

    ``type: memory`` (or Ratify's ``ristretto``): a :class:`MemoryCache` of ``sizeMb``;
    ``type: redis``: a :class:`~cosign_verify.store.redis_cache.RedisCache` at ``url``, its secret read
    from ``secretEnv`` or ``secretFile`` (relative to the configuration file), its password from
    ``passwordEnv``. Nothing connects to Redis here.
    """
    settings = config.store.cache
    local = MemoryCache(max_bytes=settings.size_mb * MiB) if settings.size_mb else MemoryCache()
    if settings.type != REDIS_CACHE:
        return local
    from .store.redis_cache import RedisCache

    given: dict[str, Any] = {
        "prefix": settings.prefix,
        "timeout": settings.timeout,
        "max_value_size": settings.max_value_size,
    }
    try:
        return RedisCache(
            str(settings.url),
            secret=_cache_secret(config),
            password=_environment(settings.password_env, "passwordEnv"),
            local=local,
            **{name: value for name, value in given.items() if value is not None},
        )
    except ConfigError as exc:
        raise config.locate(exc if exc.path else exc.under(_CACHE_PATH)) from None


def _environment(name: str | None, field: str) -> str | None:
    if name is None:
        return None
    value = os.environ.get(name)
    if not value:
        raise ConfigError(
            f"environment variable {name} is not set",
            path=f"{_CACHE_PATH}.{field}",
            remediation=f"set {name}, or remove {field}",
        )
    return value


def _cache_secret(config: Config) -> bytes | None:
    settings = config.store.cache
    if settings.secret_file is not None:
        try:
            data = read_regular_file(
                config.base_dir / settings.secret_file, MAX_SECRET_FILE, "cache secret file"
            )
        except ConfigError as exc:
            raise exc.under(f"{_CACHE_PATH}.secretFile") from None
        return data.strip()
    found = _environment(settings.secret_env, "secretEnv")
    return None if found is None else found.encode()


def build_store(
    config: Config,
    *,
    auth: AuthProvider | None = None,
    options: RegistryOptions | None = None,
    cache: Cache | None = None,
) -> OCIRegistryStore:
    """The registry store a configuration's ``oras`` store plugin describes.

    ``authProvider`` ``{"name": "dockerConfig", "configPath": ...}`` reads
    Docker's config.json (the default when unset); pass ``auth`` to use your own.
    ``options``: the registry options to start from (timeouts, limits, TLS);
    the configuration's settings are applied on top (plain HTTP when either asks).
    ``cache``: yours, instead of the one the plugin's ``cache`` object describes (:func:`build_cache`).
    """
    from .store.registry import OCIRegistryStore

    settings = config.store
    if auth is None:
        provider = dict(settings.auth_provider or {"name": "dockerConfig"})
        if provider.get("name") != "dockerConfig":
            raise ConfigError(
                f"unsupported authProvider {provider.get('name')!r}",
                path="store.plugins[0].authProvider.name",
                remediation="use 'dockerConfig', or pass an AuthProvider from Python",
            )
        path = provider.get("configPath")
        auth = DockerConfigAuthProvider(config.base_dir / str(path) if path else None)
    options = attrs.evolve(
        options or RegistryOptions(),
        use_http=settings.use_http or (options is not None and options.use_http),
        cosign_enabled=settings.cosign_enabled,
        cache_enabled=settings.cache_enabled,
        cache_ttl=float(settings.ttl),
    )
    if settings.cache.content_ttl is not None:
        options = attrs.evolve(options, content_ttl=float(settings.cache.content_ttl))
    if cache is None and settings.cache_enabled:
        cache = build_cache(config)
    return OCIRegistryStore(options, auth=auth, cache=cache)
