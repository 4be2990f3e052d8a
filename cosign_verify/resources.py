"""Ratify's Kubernetes resources (YAML) turned into the CLI configuration shape.

Kinds read: ``Verifier``, ``Store``, ``KeyManagementProvider``,
``NamespacedKeyManagementProvider`` and ``Policy`` (apiVersion
``config.ratify.deislabs.io/v1beta1`` or ``v1alpha1``). Other kinds are
reported and skipped. Each resource is checked on its own (JSON Schema, then
trust policies and scopes), so an error names the file, the document index
and the JSON path inside that document.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs

from ._internal.schema import json_path, validator_for
from .errors import ConfigError
from .policy import TrustPolicy
from .scope import ScopeMatcher

log = logging.getLogger(__name__)

API_VERSIONS = ("config.ratify.deislabs.io/v1beta1", "config.ratify.deislabs.io/v1alpha1")
KINDS = ("Verifier", "Store", "KeyManagementProvider", "NamespacedKeyManagementProvider", "Policy")


@attrs.frozen(kw_only=True)
class Document:
    """One YAML document and where it came from."""

    source: str
    index: int
    data: Any

    @property
    def where(self) -> str:
        return f"{self.source}: document {self.index}"


def yaml_documents(path: Path, text: str) -> Iterator[Document]:
    """The documents of a (multi-document) YAML file; empty documents are skipped."""
    try:
        import yaml
    except ImportError:  # pragma: no cover - depends on the environment
        raise ConfigError(
            f"{path}: reading YAML needs PyYAML", remediation="pip install 'cosign-verify[yaml]'"
        ) from None
    try:
        for index, data in enumerate(yaml.safe_load_all(text)):
            if data is not None:
                _expanded_size(data, {}, set())  # aliases are fine; alias bombs are not
                yield Document(source=str(path), index=index, data=data)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        raise ConfigError(f"{path}: not valid YAML{where}: {getattr(exc, 'problem', None) or exc}") from None
    except (ValueError, RecursionError) as exc:  # a number of thousands of digits, or nesting without end
        detail = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise ConfigError(f"{path}: not valid YAML: {detail}") from None


MAX_EXPANDED_NODES = 100_000


def _expanded_size(value: Any, seen: dict[int, int], open_: set[int]) -> int:
    """How many nodes ``value`` has once every alias is expanded (each shared node counted per use)."""
    if not isinstance(value, dict | list):
        return 1
    key = id(value)
    if key in seen:
        return seen[key]
    if key in open_:
        raise ConfigError("YAML aliases make a document contain itself")
    open_.add(key)
    children = list(value.keys()) + list(value.values()) if isinstance(value, dict) else value
    size = 1
    for child in children:
        size += _expanded_size(child, seen, open_)
        if size > MAX_EXPANDED_NODES:
            raise ConfigError(f"YAML aliases expand a document beyond {MAX_EXPANDED_NODES} nodes")
    open_.discard(key)
    seen[key] = size
    return size


def _validate(document: Document) -> None:
    errors = sorted(
        validator_for("resources.schema.json").iter_errors(document.data),
        key=lambda e: [str(p) for p in e.absolute_path],
    )
    if errors:
        messages = [
            f"{document.where}: {json_path(list(e.absolute_path)) or '(top level)'}: {e.message}"
            for e in errors
        ]
        first = errors[0]
        raise ConfigError(
            first.message + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""),
            path=f"{document.where}: {json_path(list(first.absolute_path)) or '(top level)'}",
            errors=messages,
        )


def _verifier_plugin(document: Document) -> dict[str, Any]:
    spec = document.data["spec"]
    parameters = dict(spec.get("parameters") or {})
    where = f"{document.where}: spec.parameters"
    policies = [
        TrustPolicy.from_dict(entry, path=f"{where}.trustPolicies[{i}]")
        for i, entry in enumerate(parameters.get("trustPolicies") or [])
    ]
    try:
        ScopeMatcher(policies)
    except ConfigError as exc:
        raise exc.under(where) from None
    plugin: dict[str, Any] = {
        "name": document.data["metadata"]["name"],
        "type": spec.get("type") or spec["name"],
        "artifactTypes": spec["artifactTypes"],
        **parameters,
    }
    return plugin


def _key_management_provider(document: Document) -> dict[str, Any]:
    metadata, spec = document.data["metadata"], document.data["spec"]
    name = metadata["name"]
    if document.data["kind"] == "NamespacedKeyManagementProvider":
        name = f"{metadata['namespace']}/{name}"
    return {"name": name, "type": spec["type"], "parameters": dict(spec.get("parameters") or {})}


def resources_to_config(documents: Iterable[Document]) -> tuple[dict[str, Any], list[str]]:
    """The CLI-shaped configuration the resources describe, and the documents skipped (with why)."""
    config: dict[str, Any] = {}
    skipped: list[str] = []
    for document in documents:
        data = document.data
        kind = data.get("kind") if isinstance(data, Mapping) else None
        if kind not in KINDS:
            reason = f"{document.where}: kind {kind!r} is not a Ratify configuration kind we read; skipped"
            log.warning("%s", reason)
            skipped.append(reason)
            continue
        _validate(document)
        spec = data["spec"]
        if kind == "Verifier":
            config.setdefault("verifier", {"version": "1.0.0", "plugins": []})["plugins"].append(
                _verifier_plugin(document)
            )
        elif kind == "Store":
            if "store" in config:
                raise ConfigError(
                    "only one Store resource is supported", path=f"{document.where}: metadata.name"
                )
            config["store"] = {
                "version": "1.0.0",
                "plugins": [{"name": spec["name"], **(spec.get("parameters") or {})}],
            }
        elif kind == "Policy":
            if "policy" in config:
                raise ConfigError(
                    "only one Policy resource is supported", path=f"{document.where}: metadata.name"
                )
            kind_name = spec.get("type") or spec.get("name")
            config["policy"] = {
                "version": "1.0.0",
                "plugin": {"name": kind_name, **(spec.get("parameters") or {})},
            }
        else:
            config.setdefault("keyManagementProviders", []).append(_key_management_provider(document))
    return config, skipped
