"""Ratify's Kubernetes resources (YAML) turned into the CLI configuration shape.

Kinds read: ``Verifier``, ``Store``, ``KeyManagementProvider``,
``NamespacedKeyManagementProvider`` and ``Policy`` (apiVersion
``config.ratify.deislabs.io/v1beta1`` or ``v1alpha1``). Other kinds are
reported and skipped. Each resource is checked on its own (JSON Schema, then
trust policies and scopes), so an error names the file, the document index
and the JSON path inside that document.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs

from ._internal.schema import json_path, validator_for
from .config_model import ResourceOrigin
from .errors import ConfigError
from .policy import TrustPolicy
from .scope import ScopeMatcher

log = logging.getLogger(__name__)

API_VERSIONS = ("config.ratify.deislabs.io/v1beta1", "config.ratify.deislabs.io/v1alpha1")
KINDS = ("Verifier", "Store", "KeyManagementProvider", "NamespacedKeyManagementProvider", "Policy")
RATIFY_GROUP = "config.ratify.deislabs.io/"
# Read by Ratify, not by us, and harmless to skip: where else to look, and notation's certificates.
OTHER_RATIFY_KINDS = ("NamespacedStore", "CertificateStore", "NamespacedCertificateStore")
# Read by Ratify, not by us, and not skipped: each says how a namespace's images are judged, and
# dropping it would judge them by the cluster-wide resources alone.
UNSUPPORTED_RATIFY_KINDS = ("NamespacedVerifier", "NamespacedPolicy")


@attrs.frozen(kw_only=True)
class Document:
    """One YAML document and where it came from."""

    source: str
    index: str
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
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's, where PyYAML was built with it
        for index, data in enumerate(yaml.load_all(text, Loader=loader)):
            if data is not None:
                _expanded_size(data, {}, set())  # aliases are fine; alias bombs are not
                yield from listed(str(path), str(index), data)
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


def listed(source: str, index: str, data: Any) -> Iterator[Document]:
    """A document, or the items of a ``kind: List`` (what ``kubectl get ... -o yaml`` or ``-o json`` prints)."""
    items = data.get("items") if isinstance(data, Mapping) and data.get("kind") == "List" else None
    if isinstance(items, list):
        for position, item in enumerate(items):
            yield Document(source=source, index=f"{index}, items[{position}]", data=item)
    else:
        yield Document(source=source, index=index, data=data)


def _not_read(document: Document, kind: object) -> str:
    """Why a document is skipped; an unknown Ratify kind (a typo such as ``Verifer``) is an error.

    So is a document that is no mapping at all (a PEM file given as configuration reads as one string).
    """
    if not isinstance(document.data, Mapping):
        pem = isinstance(document.data, str) and "-----BEGIN " in document.data
        raise ConfigError(
            f"{document.where} is a {type(document.data).__name__}, not a configuration or a Ratify resource"
            + (" (it looks like a PEM key or certificate)" if pem else ""),
            remediation="give a key with --key FILE, or in a trust policy's keys" if pem else None,
        )
    api_version = document.data.get("apiVersion") if isinstance(document.data, Mapping) else None
    if (
        isinstance(api_version, str)
        and api_version.startswith(RATIFY_GROUP)
        and kind in UNSUPPORTED_RATIFY_KINDS
    ):
        raise ConfigError(
            f"kind {kind!r} is not supported: its namespace's images would be judged without it",
            path=f"{document.where}: kind",
            remediation=f"make it a cluster-wide {str(kind).removeprefix('Namespaced')} (trust policy scopes "
            "can confine it to that namespace's registries), or remove it",
        )
    if (
        isinstance(api_version, str)
        and api_version.startswith(RATIFY_GROUP)
        and kind not in OTHER_RATIFY_KINDS
    ):
        close = difflib.get_close_matches(
            str(kind), [*KINDS, *OTHER_RATIFY_KINDS, *UNSUPPORTED_RATIFY_KINDS], n=1
        )
        raise ConfigError(
            f"unknown Ratify kind {kind!r}" + (f" (did you mean {close[0]!r}?)" if close else ""),
            path=f"{document.where}: kind",
            remediation=f"the kinds read are {', '.join(KINDS)}",
        )
    what = "a Ratify kind we do not read" if kind in OTHER_RATIFY_KINDS else "not a Ratify configuration kind"
    return f"{document.where}: kind {kind!r} is {what}; skipped"


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


@attrs.frozen
class Translated:
    """Resources in the CLI configuration's shape, the documents skipped (with why), and each section's origin."""

    config: dict[str, Any]
    skipped: list[str]
    origins: dict[str, ResourceOrigin]


def resources_to_config(documents: Iterable[Document]) -> Translated:
    """The CLI-shaped configuration the resources describe."""
    config: dict[str, Any] = {}
    skipped: list[str] = []
    origins: dict[str, ResourceOrigin] = {}
    for document in documents:
        data = document.data
        kind = data.get("kind") if isinstance(data, Mapping) else None
        if kind not in KINDS:
            reason = _not_read(document, kind)
            log.warning("%s", reason)
            skipped.append(reason)
            continue
        _validate(document)
        spec = data["spec"]
        if kind == "Verifier":
            plugins = config.setdefault("verifier", {"version": "1.0.0", "plugins": []})["plugins"]
            origins[f"verifier.plugins[{len(plugins)}]"] = ResourceOrigin(
                document.where,
                {"name": "metadata.name", "type": "spec.type", "artifactTypes": "spec.artifactTypes"},
                "spec.parameters",
            )
            plugins.append(_verifier_plugin(document))
        elif kind == "Store":
            if "store" in config:
                raise ConfigError(
                    "only one Store resource is supported", path=f"{document.where}: metadata.name"
                )
            origins["store.plugins[0]"] = ResourceOrigin(
                document.where, {"name": "spec.name"}, "spec.parameters"
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
            origins["policy.plugin"] = ResourceOrigin(
                document.where, {"name": "spec.type"}, "spec.parameters"
            )
            kind_name = spec.get("type") or spec.get("name")
            config["policy"] = {
                "version": "1.0.0",
                "plugin": {"name": kind_name, **(spec.get("parameters") or {})},
            }
        else:
            providers = config.setdefault("keyManagementProviders", [])
            origins[f"keyManagementProviders[{len(providers)}]"] = ResourceOrigin(
                document.where, {"name": "metadata.name"}, "spec"
            )
            providers.append(_key_management_provider(document))
    return Translated(config, skipped, origins)
