"""``cosign-verify check-config``: what a configuration will verify, or everything wrong with it."""

from __future__ import annotations

import argparse
import json
from typing import Any
from urllib.parse import urlsplit

from ..config import Config, VerifierConfig, load_config
from ..errors import ConfigError
from ..policy import TrustPolicy
from ..scope import ScopeMatcher
from .console import Console
from .parser import EXIT_OK, EXIT_USAGE


def run_check_config(args: argparse.Namespace, console: Console) -> int:
    from ..wiring import build_verifiers

    try:
        config = load_config(args.config)
        build_verifiers(config)  # resolves every key reference and reads key files and trusted roots
    except ConfigError as exc:
        if args.output == "json":
            console.print(json.dumps(_errors_json(args, exc), indent=2))
            return EXIT_USAGE
        return config_error(args, exc, console)
    if args.output == "json":
        console.print(json.dumps(as_json(config), indent=2))
    else:
        describe(config, console)
    return EXIT_OK


def config_error(args: argparse.Namespace, exc: ConfigError, console: Console) -> int:
    """A configuration's errors, every one; from flags, the flag's problem without the internal path."""
    if not getattr(args, "config", None):
        console.error(exc.reason, exc.remediation)
        return EXIT_USAGE
    count = f" ({len(exc.errors)} errors)" if len(exc.errors) > 1 else ""
    console.error(f"{', '.join(args.config)}: invalid configuration{count}")
    for line in exc.errors:
        console.print_err(f"  {line}")
    return EXIT_USAGE


def _errors_json(args: argparse.Namespace, exc: ConfigError) -> dict[str, Any]:
    errors: list[dict[str, Any]] = [{"message": line} for line in exc.errors]
    if len(exc.errors) == 1:
        errors = [{"path": exc.path, "message": exc.reason, "remediation": exc.remediation}]
    return {"source": ", ".join(args.config), "valid": False, "errors": errors}


def _scope_lines(policy: TrustPolicy, matcher: ScopeMatcher) -> str:
    """Each scope as it matches: its canonical form, with the spelling written when that differs."""
    shown = []
    for scope in matcher.scopes(policy):
        shown.append(
            scope.canonical
            if scope.canonical == scope.text
            else f"{scope.canonical} (written {scope.text!r})"
        )
    return ", ".join(shown)


def _describe_policy(policy: TrustPolicy, matcher: ScopeMatcher, console: Console) -> None:
    flags = [f"tLogVerify={str(policy.tlog_verify).lower()}"]
    if policy.keyless is not None:
        flags.insert(0, "keyless")
        flags.append(f"ctLogVerify={str(policy.keyless.ct_log_verify).lower()}")
    console.print(f"  trust policy {policy.name!r} ({', '.join(flags)})")
    console.print(f"    matches: {_scope_lines(policy, matcher)}")
    for key in policy.keys:
        console.print(f"    key: {', '.join(f'{k}={v}' for k, v in key.to_dict().items())}")
    if policy.keyless is not None:
        keyless = policy.keyless
        identity = keyless.certificate_identity or f"~/{keyless.certificate_identity_regexp}/"
        issuer = keyless.certificate_oidc_issuer or f"~/{keyless.certificate_oidc_issuer_regexp}/"
        console.print(f"    identity: {identity}  issuer: {issuer}")


def _cache(config: Config) -> str:
    """The cache in a word: off, memory, or redis at its host (credentials left out)."""
    if not config.store.cache_enabled:
        return "off"
    cache = config.store.cache
    if cache.type != "redis":
        return "memory"
    parts = urlsplit(cache.url or "")
    return f"redis at {parts.hostname}:{parts.port or 6379}"


def _store_line(config: Config) -> str:
    store = config.store
    settings = (
        f"cosignEnabled={str(store.cosign_enabled).lower()}, useHttp={str(store.use_http).lower()}, "
        f"cache={_cache(config)}, ttl={store.ttl}s"
    )
    if not store.configured:
        return (
            f"store: {store.name}, not configured: its defaults ({settings}), reading .sig tags and referrers"
        )
    reads = "cosign .sig tags and OCI referrers" if store.cosign_enabled else "OCI referrers only"
    return f"store: {store.name} ({settings}): reads {reads}"


def describe(config: Config, console: Console) -> None:
    console.print(f"config: {config.source}")
    console.print(_store_line(config))
    rules = ", ".join(
        f"{k}={v}" for k, v in sorted(config.policy.artifact_verification_policies.items()) if k != "default"
    )
    console.print(
        f"policy: {config.policy.name} (default={config.policy.default}{', ' if rules else ''}{rules})"
    )
    for verifier in config.verifiers:
        mode = " in Ratify's legacy mode (no trust policies)" if verifier.legacy else ""
        console.print(
            f"verifier {verifier.name!r}{mode} (artifact types: {', '.join(verifier.artifact_types)})"
        )
        if verifier.legacy:
            console.print(
                f"  key: {verifier.key}" if verifier.key else f"  keyless, rekorURL: {verifier.rekor_url}"
            )
        matcher = verifier.matcher
        for policy in verifier.trust_policies:
            _describe_policy(policy, matcher, console)
    for name in config.ignored_verifiers:
        console.print(f"verifier {name!r}: not a cosign verifier, ignored")
    for provider in config.key_management_providers:
        detail = provider.parameters.get("contentType") or provider.parameters.get("path", "")
        console.print(f"key management provider {provider.name!r} ({provider.type}: {detail})")
    policies = sum(len(v.trust_policies) for v in config.verifiers)
    scopes = sum(len(p.scopes) for v in config.verifiers for p in v.trust_policies)
    console.print(f"OK: {len(config.verifiers)} verifier(s), {policies} trust policies, {scopes} scopes")


def _verifier_json(verifier: VerifierConfig) -> dict[str, Any]:
    matcher = verifier.matcher
    policies = [
        {**p.to_dict(), "canonicalScopes": [s.canonical for s in matcher.scopes(p)]}
        for p in verifier.trust_policies
    ]
    out: dict[str, Any] = {"name": verifier.name, "artifactTypes": list(verifier.artifact_types)}
    out["legacy"] = verifier.legacy
    out["trustPolicies"] = policies
    if verifier.key:
        out["key"] = verifier.key
    if verifier.rekor_url:
        out["rekorURL"] = verifier.rekor_url
    return out


def as_json(config: Config) -> dict[str, Any]:
    """What ``check-config --output json`` prints for a usable configuration."""
    return {
        "source": config.source,
        "valid": True,
        "store": {
            "name": config.store.name,
            "configured": config.store.configured,
            "cosignEnabled": config.store.cosign_enabled,
            "useHttp": config.store.use_http,
            "cacheEnabled": config.store.cache_enabled,
            "cache": _cache(config),
            "ttl": config.store.ttl,
        },
        "policy": {
            "name": config.policy.name,
            "artifactVerificationPolicies": dict(config.policy.artifact_verification_policies),
        },
        "verifiers": [_verifier_json(v) for v in config.verifiers],
        "ignoredVerifiers": list(config.ignored_verifiers),
        "keyManagementProviders": [{"name": p.name, "type": p.type} for p in config.key_management_providers],
        "warnings": [*config.skipped, *config.warnings],
    }
