"""Building configuration values section by section, and refusing configurations that verify nothing."""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ..config_model import (
    ATTESTATION_VERIFIER_TYPE,
    CONFIG_POLICY,
    COSIGN_VERIFIER_TYPE,
    DEFAULT_CACHE_TTL,
    MEMORY_CACHE,
    ORAS_STORE,
    REDIS_CACHE,
    CacheConfig,
    KeyManagementProviderConfig,
    PolicyConfig,
    StoreConfig,
    VerifierConfig,
)
from ..errors import ConfigError
from ..mediatypes import (
    COSIGN_ATTESTATION_ARTIFACT_TYPE,
    COSIGN_SIGNATURE_ARTIFACT_TYPE,
    SIGSTORE_BUNDLE_TYPES,
    SIGSTORE_BUNDLE_V03,
)
from ..policy import DEFAULT_REKOR_URL, TrustPolicy
from ..scope import ScopeMatcher
from .attestation_checks import predicate_type

log = logging.getLogger("cosign_verify.config")

# Ratify's other verifier plugins: skipped with a warning (we verify cosign signatures only).
OTHER_RATIFY_VERIFIERS = ("notation", "sbom", "vulnerabilityreport", "licensechecker", "schemavalidator")
VERIFIABLE_TYPES = (COSIGN_SIGNATURE_ARTIFACT_TYPE, SIGSTORE_BUNDLE_V03, *sorted(SIGSTORE_BUNDLE_TYPES))
ATTESTATION_TYPES = (COSIGN_ATTESTATION_ARTIFACT_TYPE, SIGSTORE_BUNDLE_V03, *sorted(SIGSTORE_BUNDLE_TYPES))
OUR_TYPES = (COSIGN_VERIFIER_TYPE, ATTESTATION_VERIFIER_TYPE)


def store_config(section: Mapping[str, Any]) -> StoreConfig:
    plugins = section.get("plugins") or []
    if not plugins:  # no store section: the oras store, reading cosign's .sig tags too
        return StoreConfig(cosign_enabled=True, configured=False)
    if len(plugins) > 1:
        raise ConfigError("only one store plugin is supported", path="store.plugins")
    plugin = plugins[0]
    if plugin["name"] != ORAS_STORE:
        raise ConfigError(
            f"unsupported store plugin {plugin['name']!r}",
            path="store.plugins[0].name",
            remediation="use the 'oras' store (OCI registries)",
        )
    return StoreConfig(
        use_http=plugin.get("useHttp", False),
        cosign_enabled=plugin.get("cosignEnabled", False),
        cache_enabled=plugin.get("cacheEnabled", True),
        ttl=plugin.get("ttl", DEFAULT_CACHE_TTL),
        auth_provider=plugin.get("authProvider"),
        cache=cache_config(plugin.get("cache") or {}),
    )


def cache_config(section: Mapping[str, Any]) -> CacheConfig:
    """The store plugin's ``cache`` object; the schema has checked each field's type."""
    path = "store.plugins[0].cache"
    kind = section.get("type", MEMORY_CACHE)
    if kind == "dapr":
        raise ConfigError(
            "cache type 'dapr' is Ratify's; this library talks to Redis itself",
            path=f"{path}.type",
            remediation="use type 'redis' with the url of the Redis your Dapr state store names (redisHost)",
        )
    kind = MEMORY_CACHE if kind == "ristretto" else kind
    redis_only = [
        name for name in ("url", "prefix", "secretEnv", "secretFile", "passwordEnv") if name in section
    ]
    redis_only += [name for name in ("timeout", "maxValueSize") if name in section]
    if kind == MEMORY_CACHE and redis_only:
        raise ConfigError(
            f"{redis_only[0]} applies to a Redis cache",
            path=f"{path}.{redis_only[0]}",
            remediation="set type 'redis'",
        )
    if "secretEnv" in section and "secretFile" in section:
        raise ConfigError("give secretEnv or secretFile, not both", path=f"{path}.secretFile")
    if kind == REDIS_CACHE and "url" not in section:
        raise ConfigError("a Redis cache needs a url", path=path, remediation="add url: redis://HOST:6379/0")
    return CacheConfig(
        type=kind,
        url=section.get("url"),
        prefix=section.get("prefix"),
        secret_env=section.get("secretEnv"),
        secret_file=section.get("secretFile"),
        password_env=section.get("passwordEnv"),
        timeout=section.get("timeout"),
        max_value_size=section.get("maxValueSize"),
        content_ttl=section.get("contentTTL"),
        size_mb=section.get("sizeMb"),
    )


def policy_config(section: Mapping[str, Any]) -> PolicyConfig:
    plugin = section.get("plugin")
    if not plugin:
        return PolicyConfig()
    if plugin["name"].lower() != CONFIG_POLICY:
        raise ConfigError(
            f"unsupported policy plugin {plugin['name']!r}",
            path="policy.plugin.name",
            remediation="use 'configPolicy' with artifactVerificationPolicies; Rego policies are not supported",
        )
    return PolicyConfig(
        name=plugin["name"],
        artifact_verification_policies=dict(plugin.get("artifactVerificationPolicies") or {}),
    )


def _plugin_type(plugin: Mapping[str, Any]) -> str:
    return str(plugin.get("type") or plugin["name"])


def cosign_verifiers(section: Mapping[str, Any]) -> Iterator[VerifierConfig]:
    names: set[str] = set()
    for index, plugin in enumerate(section.get("plugins") or []):
        kind = _plugin_type(plugin)
        if kind not in OUR_TYPES:
            continue
        path = f"verifier.plugins[{index}]"
        if plugin["name"] in names:
            raise ConfigError(f"verifier name {plugin['name']!r} is used more than once", path=f"{path}.name")
        names.add(plugin["name"])
        policies = tuple(
            TrustPolicy.from_dict(entry, path=f"{path}.trustPolicies[{i}]")
            for i, entry in enumerate(plugin.get("trustPolicies") or [])
        )
        if policies and "key" in plugin:
            raise ConfigError(
                "'key' and 'trustPolicies' cannot be configured together",
                path=f"{path}.key",
                remediation="move the key into a trust policy's 'keys' list",
            )
        if policies and "rekorURL" in plugin:
            raise ConfigError(
                "'rekorURL' and 'trustPolicies' cannot be configured together",
                path=f"{path}.rekorURL",
                remediation="set rekorURL on each trust policy",
            )
        try:
            ScopeMatcher(policies)
        except ConfigError as exc:
            raise exc.under(path) from None
        artifact_types = tuple(t.strip() for t in plugin["artifactTypes"].split(",") if t.strip())
        _check_kind(kind, plugin, policies, artifact_types, path)
        yield VerifierConfig(
            name=plugin["name"],
            artifact_types=artifact_types,
            trust_policies=policies,
            key=plugin.get("key"),
            rekor_url=plugin.get("rekorURL") or (None if policies else DEFAULT_REKOR_URL),
            trusted_root=plugin.get("trustedRoot"),
            index=index,
            type=kind,
            predicate_types=tuple(plugin.get("predicateTypes") or ()),
        )


def _check_kind(
    kind: str, plugin: Mapping[str, Any], policies: Sequence[TrustPolicy], types: Sequence[str], path: str
) -> None:
    """What a signature verifier and an attestation verifier each need of their plugin."""
    verifiable = ATTESTATION_TYPES if kind == ATTESTATION_VERIFIER_TYPE else VERIFIABLE_TYPES
    if not any(t in verifiable for t in types):
        raise ConfigError(
            f"artifactTypes {plugin['artifactTypes']!r} names nothing a {kind} verifier can verify",
            path=f"{path}.artifactTypes",
            remediation=f"list {' and/or '.join(verifiable[:2])}, comma-separated",
        )
    if kind == ATTESTATION_VERIFIER_TYPE and not plugin.get("predicateTypes"):
        raise ConfigError(
            "an attestation verifier must name the predicate types it accepts",
            path=f"{path}.predicateTypes",
            remediation='list predicate type URIs or cosign\'s names, e.g. ["slsaprovenance1", "spdxjson"]',
        )
    if kind == COSIGN_VERIFIER_TYPE and COSIGN_ATTESTATION_ARTIFACT_TYPE in types:
        raise ConfigError(
            f"{COSIGN_ATTESTATION_ARTIFACT_TYPE} is cosign attestations, which a signature verifier does not judge",
            path=f"{path}.artifactTypes",
            remediation="list it in a verifier of type 'cosign-attestation'",
        )
    if kind == COSIGN_VERIFIER_TYPE and "predicateTypes" in plugin:
        raise ConfigError(
            "predicateTypes applies to attestation verifiers",
            path=f"{path}.predicateTypes",
            remediation=f"give this plugin type {ATTESTATION_VERIFIER_TYPE!r}, or drop predicateTypes",
        )
    if kind == ATTESTATION_VERIFIER_TYPE:
        if not policies:
            raise ConfigError(
                "an attestation verifier needs trustPolicies (Ratify's legacy key/rekorURL is for signatures)",
                path=path,
            )
        for position, name in enumerate(plugin.get("predicateTypes") or ()):
            try:
                predicate_type(name)
            except ConfigError as exc:
                raise ConfigError(
                    exc.reason, path=f"{path}.predicateTypes[{position}]", remediation=exc.remediation
                ) from None


def other_verifiers(section: Mapping[str, Any]) -> Iterator[str]:
    """Ratify's other verifier plugins, named and skipped; an unknown plugin type is an error."""
    for index, plugin in enumerate(section.get("plugins") or []):
        kind = _plugin_type(plugin)
        if kind in OUR_TYPES:
            continue
        if kind.lower() not in OTHER_RATIFY_VERIFIERS:
            close = difflib.get_close_matches(kind, [COSIGN_VERIFIER_TYPE, *OTHER_RATIFY_VERIFIERS], n=1)
            raise ConfigError(
                f"unknown verifier plugin {kind!r}" + (f" (did you mean {close[0]!r}?)" if close else ""),
                path=f"verifier.plugins[{index}].{'type' if plugin.get('type') else 'name'}",
                remediation="a cosign verifier's type (or name, without a type) is 'cosign'",
            )
        log.warning("verifier %r is a %s verifier, not a cosign one; skipping it", plugin["name"], kind)
        yield plugin["name"]


def usable(verifiers: Sequence[VerifierConfig], data: Mapping[str, Any]) -> tuple[str, ...]:
    """Refuse a configuration that can verify nothing; the warnings worth telling about one that can."""
    if not verifiers:
        raise ConfigError(
            "the configuration has no cosign verifier, so nothing would ever be verified",
            path="verifier.plugins",
            remediation="add a verifier plugin with type 'cosign', artifactTypes and trustPolicies",
        )
    warnings = []
    plugins = (data.get("store") or {}).get("plugins") or []
    if not plugins:
        warnings.append(
            "no store is configured: using the oras store with its defaults, reading OCI referrers "
            "and cosign's .sig tags (cosignEnabled)"
        )
    elif not plugins[0].get("cosignEnabled", False):
        warnings.append(
            "the oras store has cosignEnabled false: cosign's .sig tags (cosign 2's default layout) "
            "are not read, only OCI 1.1 referrers; set cosignEnabled: true to read them"
        )
    for verifier in verifiers:
        if verifier.legacy and verifier.key is None:
            warnings.append(
                f"verifier {verifier.name!r}: legacy keyless configuration accepts a signature from any Fulcio "
                "identity; use a trust policy with certificateIdentity and certificateOIDCIssuer instead"
            )
        attestations = verifier.type == ATTESTATION_VERIFIER_TYPE
        known = ATTESTATION_TYPES if attestations else VERIFIABLE_TYPES
        foreign = [t for t in verifier.artifact_types if t not in known]
        if foreign:
            what = "cosign attestations" if attestations else "cosign signatures"
            warnings.append(
                f"verifier {verifier.name!r}: artifact type(s) {', '.join(foreign)} are not {what}; "
                f"referrers of those types are checked as {what} and fail (as in Ratify): remove them"
            )
    return tuple(warnings)


def key_management_providers(
    entries: Sequence[Mapping[str, Any]],
) -> tuple[KeyManagementProviderConfig, ...]:
    seen: set[str] = set()
    out = []
    for index, entry in enumerate(entries):
        if entry["name"] in seen:
            raise ConfigError(
                f"key management provider name {entry['name']!r} is used more than once",
                path=f"keyManagementProviders[{index}].name",
            )
        seen.add(entry["name"])
        out.append(
            KeyManagementProviderConfig(
                name=entry["name"], type=entry["type"], parameters=dict(entry.get("parameters") or {})
            )
        )
    return tuple(out)
