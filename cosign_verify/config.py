"""Loading Ratify's CLI configuration (JSON) into validated values.

The shape is Ratify's: ``store``, ``policy`` and ``verifier`` sections, with
the cosign verifier's ``trustPolicies`` (or the legacy ``key`` / ``rekorURL``).
Our one extension is a top-level ``keyManagementProviders`` list shaped like
Ratify's KeyManagementProvider spec (``name``, ``type``, ``parameters``).
Every file is checked against the JSON Schema shipped in
``cosign_verify/schema/`` before any value is built, and every error names the
JSON path of the value at fault.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from ._internal.files import MAX_CONFIG_FILE, read_text_file
from ._internal.schema import json_path, validator_for
from .errors import ConfigError
from .policy import DEFAULT_REKOR_URL, TrustPolicy
from .resources import Document, resources_to_config, yaml_documents
from .scope import ScopeMatcher

log = logging.getLogger(__name__)

COSIGN_VERIFIER_TYPE = "cosign"
ORAS_STORE = "oras"
CONFIG_POLICY = "configpolicy"
DEFAULT_POLICY = "default"
DEFAULT_CACHE_TTL = 10  # seconds; Ratify's default for the oras store's caches


@attrs.frozen(kw_only=True)
class StoreConfig:
    """The ``oras`` store plugin's settings (Ratify's defaults when unset)."""

    name: str = ORAS_STORE
    use_http: bool = False
    cosign_enabled: bool = False
    cache_enabled: bool = True
    ttl: int = DEFAULT_CACHE_TTL
    auth_provider: Mapping[str, Any] | None = None


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
    """One cosign verifier plugin: the artifact types it handles and its trust policies."""

    name: str
    artifact_types: tuple[str, ...]
    trust_policies: tuple[TrustPolicy, ...] = ()
    key: str | None = None
    rekor_url: str | None = None
    trusted_root: str | None = None
    type: str = COSIGN_VERIFIER_TYPE

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


def load_config(
    source: str | os.PathLike[str] | Mapping[str, Any] | Sequence[str | os.PathLike[str]],
) -> Config:
    """Load and validate configuration: Ratify's CLI JSON, or Ratify's Kubernetes resources in YAML.

    ``source`` is a dict, a file path, or several file paths whose documents
    are merged (JSON files and YAML files of resources; YAML needs the
    ``yaml`` extra). Relative paths inside are resolved against the first
    file's directory. Raises :class:`ConfigError`; its ``errors`` attribute
    lists every violation found, each with its file, document and JSON path.
    """
    if isinstance(source, Mapping):
        return _build_config(source, base_dir=Path.cwd(), name="<dict>")
    paths = [Path(source)] if isinstance(source, str | os.PathLike) else [Path(p) for p in source]
    if not paths:
        raise ConfigError("no configuration file given")
    merged: dict[str, Any] = {}
    documents: list[Document] = []
    skipped: list[str] = []
    for path in paths:
        text = _read(path)
        if path.suffix.lower() in (".yaml", ".yml") or not text.lstrip().startswith(("{", "[")):
            documents.extend(yaml_documents(path, text))
            continue
        data = _json(text, path)
        if len(paths) == 1:
            return _build_config(data, base_dir=path.resolve().parent, name=str(path))
        _merge(merged, data, str(path))
    if documents:
        from_resources, skipped = resources_to_config(documents)
        _merge(merged, from_resources, "the YAML resources")
    name = ", ".join(str(p) for p in paths)
    config = _build_config(merged, base_dir=paths[0].resolve().parent, name=name)
    return attrs.evolve(config, skipped=tuple(skipped))


def _bounded_int(text: str) -> int:
    if len(text) > 64:
        raise ValueError(f"a number of {len(text)} digits")
    return int(text)


def _json(text: str, path: Path) -> Any:
    try:
        return json.loads(text, parse_int=_bounded_int)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"config file {str(path)!r} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except (ValueError, RecursionError) as exc:
        detail = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise ConfigError(f"config file {str(path)!r} is not valid JSON: {detail}") from None


def _read(path: Path) -> str:
    return read_text_file(path, MAX_CONFIG_FILE, "config file")


def _merge(into: dict[str, Any], data: Any, name: str) -> None:
    """Merge one configuration into another: plugin and provider lists concatenate; one store and one policy."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{name}: configuration must be a JSON object, got {type(data).__name__}")
    for key, value in data.items():
        if key == "verifier" and key in into and isinstance(value, Mapping):
            into[key].setdefault("plugins", []).extend(value.get("plugins") or [])
        elif key == "keyManagementProviders" and key in into and isinstance(value, list):
            into[key].extend(value)
        elif key in ("store", "policy") and key in into:
            raise ConfigError(f"{name}: a {key} is configured twice across the configuration files")
        else:
            into[key] = json.loads(json.dumps(value))


def _schema_errors(data: Any) -> Iterator[ConfigError]:
    errors = sorted(
        validator_for("config.schema.json").iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]
    )
    for error in errors:
        yield ConfigError(error.message, path=json_path(list(error.absolute_path)) or "(top level)")


def _build_config(data: Any, *, base_dir: Path, name: str) -> Config:
    if not isinstance(data, Mapping):
        raise ConfigError(f"{name}: configuration must be a JSON object, got {type(data).__name__}")
    errors = list(_schema_errors(data))
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ConfigError(first.reason + more, path=first.path, errors=[str(e) for e in errors])
    return Config(
        store=_store(data.get("store") or {}),
        policy=_policy(data.get("policy") or {}),
        verifiers=tuple(_cosign_verifiers(data.get("verifier") or {})),
        ignored_verifiers=tuple(_ignored_verifiers(data.get("verifier") or {})),
        key_management_providers=_key_management_providers(data.get("keyManagementProviders") or []),
        base_dir=base_dir,
        source=name,
    )


def _store(section: Mapping[str, Any]) -> StoreConfig:
    plugins = section.get("plugins") or []
    if not plugins:
        return StoreConfig()
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
    )


def _policy(section: Mapping[str, Any]) -> PolicyConfig:
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


def _cosign_verifiers(section: Mapping[str, Any]) -> Iterator[VerifierConfig]:
    names: set[str] = set()
    for index, plugin in enumerate(section.get("plugins") or []):
        if _plugin_type(plugin) != COSIGN_VERIFIER_TYPE:
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
        if not artifact_types:
            raise ConfigError("artifactTypes names no artifact type", path=f"{path}.artifactTypes")
        yield VerifierConfig(
            name=plugin["name"],
            artifact_types=artifact_types,
            trust_policies=policies,
            key=plugin.get("key"),
            rekor_url=plugin.get("rekorURL") or (None if policies else DEFAULT_REKOR_URL),
            trusted_root=plugin.get("trustedRoot"),
        )


def _ignored_verifiers(section: Mapping[str, Any]) -> Iterator[str]:
    for plugin in section.get("plugins") or []:
        kind = _plugin_type(plugin)
        if kind != COSIGN_VERIFIER_TYPE:
            log.warning("verifier %r of type %r is not a cosign verifier; ignoring it", plugin["name"], kind)
            yield plugin["name"]


def _key_management_providers(
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


__all__ = [
    "Config",
    "KeyManagementProviderConfig",
    "PolicyConfig",
    "StoreConfig",
    "VerifierConfig",
    "load_config",
]
