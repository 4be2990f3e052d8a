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

from ._internal.config_sections import (
    cosign_verifiers,
    key_management_providers,
    other_verifiers,
    policy_config,
    store_config,
    usable,
)
from ._internal.files import MAX_CONFIG_FILE, read_text_file
from ._internal.schema import json_path, validator_for
from .config_model import (
    CacheConfig,
    Config,
    KeyManagementProviderConfig,
    PolicyConfig,
    ResourceOrigin,
    StoreConfig,
    VerifierConfig,
    relocate,
)
from .errors import ConfigError
from .resources import Document, listed, resources_to_config, yaml_documents

log = logging.getLogger(__name__)


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
        if isinstance(data, Mapping) and "kind" in data:  # resources in JSON (kubectl get ... -o json)
            documents.extend(listed(str(path), "0", data))
            continue
        if len(paths) == 1:
            return _build_config(data, base_dir=path.resolve().parent, name=str(path))
        _merge(merged, data, str(path))
    origins: dict[str, ResourceOrigin] = {}
    if documents:
        translated = resources_to_config(documents)
        skipped, origins = translated.skipped, _shifted(translated.origins, merged)
        _merge(merged, translated.config, "the YAML resources")
    name = ", ".join(str(p) for p in paths)
    try:
        config = _build_config(merged, base_dir=paths[0].resolve().parent, name=name)
    except ConfigError as exc:
        raise relocate(exc, origins) from None
    return attrs.evolve(config, skipped=tuple(skipped), origins=origins)


def _shifted(origins: Mapping[str, ResourceOrigin], merged: Mapping[str, Any]) -> dict[str, ResourceOrigin]:
    """Origins renumbered for the plugins and providers that JSON files put before the resources' own."""
    offsets = {
        "verifier.plugins": len((merged.get("verifier") or {}).get("plugins") or []),
        "keyManagementProviders": len(merged.get("keyManagementProviders") or []),
    }
    shifted = {}
    for prefix, origin in origins.items():
        section, _, index = prefix.partition("[")
        key = f"{section}[{int(index.rstrip(']')) + offsets[section]}]" if section in offsets else prefix
        shifted[key] = origin
    return shifted


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
    others = tuple(other_verifiers(data.get("verifier") or {}))  # an unknown plugin type is an error
    verifiers = tuple(cosign_verifiers(data.get("verifier") or {}))
    store = store_config(data.get("store") or {})
    warnings = usable(verifiers, data)
    for warning in warnings:
        log.warning("%s", warning)
    return Config(
        store=store,
        policy=policy_config(data.get("policy") or {}),
        verifiers=verifiers,
        ignored_verifiers=others,
        key_management_providers=key_management_providers(data.get("keyManagementProviders") or []),
        base_dir=base_dir,
        source=name,
        warnings=warnings,
    )


__all__ = [
    "CacheConfig",
    "Config",
    "KeyManagementProviderConfig",
    "PolicyConfig",
    "StoreConfig",
    "VerifierConfig",
    "load_config",
]
