"""From a loaded configuration to working parts: key providers, cosign verifiers, the registry store.

``Executor.from_config`` uses these; call them yourself to swap one part
(your own store, your own key providers) and keep the rest as configured.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import attrs

from .attestations import AttestationVerifier
from .config import Config
from .config_model import ATTESTATION_VERIFIER_TYPE
from .errors import ConfigError
from .keys import FileKeyProvider, InlineKeyProvider, KeyProviders
from .policy import DEFAULT_REKOR_URL, Keyless, KeyRef, TrustPolicy
from .report import ReportShape
from .store.auth import AuthProvider, DockerConfigAuthProvider
from .store.options import RegistryOptions
from .verifier import CosignVerifier

if TYPE_CHECKING:
    from .store.registry import OCIRegistryStore

log = logging.getLogger(__name__)

LEGACY_POLICY = "legacy"

__all__ = ["LEGACY_POLICY", "build_key_providers", "build_store", "build_verifiers", "legacy_policy"]


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
            policies = (legacy_policy(entry.key, entry.rekor_url),)
            if entry.key is None:
                log.warning(
                    "verifier %r: legacy keyless configuration accepts a signature from any Fulcio identity; "
                    "use a trust policy with certificateIdentity and certificateOIDCIssuer instead",
                    entry.name,
                )
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


def build_store(
    config: Config, *, auth: AuthProvider | None = None, options: RegistryOptions | None = None
) -> OCIRegistryStore:
    """The registry store a configuration's ``oras`` store plugin describes.

    ``authProvider`` ``{"name": "dockerConfig", "configPath": ...}`` reads
    Docker's config.json (the default when unset); pass ``auth`` to use your own.
    ``options``: the registry options to start from (timeouts, limits, TLS);
    the configuration's settings are applied on top (plain HTTP when either asks).
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
    return OCIRegistryStore(options, auth=auth)
