"""The ``cosign-verify`` command.

Exit codes: 0 success, 1 verification failed, 2 configuration or usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from . import __version__
from .config import Config, load_config
from .errors import ConfigError
from .policy import TrustPolicy

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cosign-verify", description="Verify cosign signatures against Ratify-style trust policies."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    check = commands.add_parser(
        "check-config", help="validate a configuration file and show what it configures"
    )
    check.add_argument("--config", required=True, metavar="FILE", help="Ratify CLI configuration (JSON)")
    check.add_argument("--output", choices=("text", "json"), default="text")
    return parser


def _describe_policy(policy: TrustPolicy, out: TextIO) -> None:
    flags = [f"tLogVerify={str(policy.tlog_verify).lower()}"]
    if policy.keyless is not None:
        flags.insert(0, "keyless")
        flags.append(f"ctLogVerify={str(policy.keyless.ct_log_verify).lower()}")
    print(f"  trust policy {policy.name!r} ({', '.join(flags)})", file=out)
    print(f"    scopes: {', '.join(policy.scopes)}", file=out)
    for key in policy.keys:
        print(f"    key: {', '.join(f'{k}={v}' for k, v in key.to_dict().items())}", file=out)
    if policy.keyless is not None:
        keyless = policy.keyless
        identity = keyless.certificate_identity or f"~/{keyless.certificate_identity_regexp}/"
        issuer = keyless.certificate_oidc_issuer or f"~/{keyless.certificate_oidc_issuer_regexp}/"
        print(f"    identity: {identity}  issuer: {issuer}", file=out)


def _describe(config: Config, out: TextIO) -> None:
    store = config.store
    print(f"config: {config.source}", file=out)
    print(
        f"store: {store.name} (cosignEnabled={str(store.cosign_enabled).lower()}, "
        f"useHttp={str(store.use_http).lower()}, cache={'on' if store.cache_enabled else 'off'}, "
        f"ttl={store.ttl}s)",
        file=out,
    )
    rules = ", ".join(f"{k}={v}" for k, v in sorted(config.policy.artifact_verification_policies.items()))
    print(
        f"policy: {config.policy.name} (default={config.policy.default}{', ' if rules else ''}{rules})",
        file=out,
    )
    for verifier in config.verifiers:
        mode = " legacy" if verifier.legacy else ""
        print(
            f"verifier {verifier.name!r}{mode} (artifact types: {', '.join(verifier.artifact_types)})",
            file=out,
        )
        if verifier.legacy:
            print(
                f"  key: {verifier.key}" if verifier.key else f"  keyless, rekorURL: {verifier.rekor_url}",
                file=out,
            )
        for policy in verifier.trust_policies:
            _describe_policy(policy, out)
    for name in config.ignored_verifiers:
        print(f"verifier {name!r}: not a cosign verifier, ignored", file=out)
    for provider in config.key_management_providers:
        detail = provider.parameters.get("contentType") or provider.parameters.get("path", "")
        print(f"key management provider {provider.name!r} ({provider.type}: {detail})", file=out)
    policies = sum(len(v.trust_policies) for v in config.verifiers)
    scopes = sum(len(p.scopes) for v in config.verifiers for p in v.trust_policies)
    print(f"OK: {len(config.verifiers)} verifier(s), {policies} trust policies, {scopes} scopes", file=out)


def _as_json(config: Config) -> dict[str, Any]:
    return {
        "source": config.source,
        "store": {
            "name": config.store.name,
            "cosignEnabled": config.store.cosign_enabled,
            "useHttp": config.store.use_http,
            "cacheEnabled": config.store.cache_enabled,
            "ttl": config.store.ttl,
        },
        "policy": {
            "name": config.policy.name,
            "artifactVerificationPolicies": dict(config.policy.artifact_verification_policies),
        },
        "verifiers": [
            {
                "name": v.name,
                "artifactTypes": list(v.artifact_types),
                "trustPolicies": [p.to_dict() for p in v.trust_policies],
                **({"key": v.key} if v.key else {}),
                **({"rekorURL": v.rekor_url} if v.rekor_url else {}),
            }
            for v in config.verifiers
        ],
        "ignoredVerifiers": list(config.ignored_verifiers),
        "keyManagementProviders": [{"name": p.name, "type": p.type} for p in config.key_management_providers],
    }


def _check_config(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"{args.config}: invalid configuration", file=err)
        for line in exc.errors:
            print(f"  error: {line}", file=err)
        return EXIT_USAGE
    if args.output == "json":
        print(json.dumps(_as_json(config), indent=2), file=out)
    else:
        _describe(config, out)
    return EXIT_OK


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the command line; returns the exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:
        return EXIT_USAGE if exc.code else EXIT_OK
    if args.command == "check-config":
        return _check_config(args, out, err)
    return EXIT_USAGE  # pragma: no cover - argparse requires a known command


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
