"""The ``cosign-verify`` command.

Exit codes: 0 success, 1 verification failed, 2 configuration or usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from ._version import __version__
from .config import Config, VerifierConfig, load_config
from .errors import ConfigError, CosignVerifyError, InvalidReferenceError
from .policy import TrustPolicy
from .reference import Reference
from .report import VerificationResult
from .scope import ScopeMatcher

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
    check.add_argument(
        "--config",
        required=True,
        action="append",
        metavar="FILE",
        help="Ratify CLI configuration (JSON) or Ratify resources (YAML); repeat to merge files",
    )
    check.add_argument("--output", choices=("text", "json"), default="text")

    verify = commands.add_parser("verify", help="verify subjects against a configuration")
    verify.add_argument(
        "--config",
        required=True,
        action="append",
        metavar="FILE",
        help="Ratify CLI configuration (JSON) or Ratify resources (YAML); repeat to merge files",
    )
    verify.add_argument(
        "--subject", required=True, action="append", metavar="REF", help="image reference (repeatable)"
    )
    verify.add_argument("--namespace", default=None, help="namespace the verification works for")
    verify.add_argument("--output", choices=("json", "table"), default="json")

    demo = commands.add_parser("demo", help="run the two-namespace walkthrough on a built-in registry")
    demo.add_argument("--output", choices=("table", "json"), default="table")
    return parser


def _table(rows: list[tuple[str, ...]], out: TextIO) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip(), file=out
        )


def _result_rows(result: VerificationResult) -> list[tuple[str, ...]]:
    verdict = "PASS" if result.is_success else "FAIL"
    if not result.verifier_reports:
        return [(result.subject, verdict, "-", "-", result.message or "")]
    rows: list[tuple[str, ...]] = []
    for report in result.verifier_reports:
        detail = "ok" if report.is_success else (report.error_reason or report.message)
        rows.append((result.subject, verdict, report.artifact_type, report.reference_digest[:19], detail))
    return rows


def _verify(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .engine import Executor

    try:
        subjects = [Reference.parse(s) for s in args.subject]
        config = load_config(args.config)
        executor = Executor.from_config(config)
    except ConfigError as exc:
        return _config_error(args, exc, err)
    except (InvalidReferenceError, CosignVerifyError) as exc:
        print(f"error: {exc}", file=err)
        return EXIT_USAGE
    results = []
    for subject in subjects:
        if subject.digest is None:
            print(
                f"warning: {subject} is given by tag; verifying the digest it points to now "
                "(pass REF@sha256:... to pin it)",
                file=err,
            )
        results.append(executor.verify(subject, namespace=args.namespace))
    if args.output == "table":
        rows: list[tuple[str, ...]] = [("SUBJECT", "RESULT", "ARTIFACT TYPE", "REFERRER", "DETAIL")]
        for result in results:
            rows.extend(_result_rows(result))
        _table(rows, out)
    else:
        payload: Any = results[0].to_dict() if len(results) == 1 else [r.to_dict() for r in results]
        print(json.dumps(payload, indent=2), file=out)
    return EXIT_OK if all(r.is_success for r in results) else EXIT_FAILED


def _demo(args: argparse.Namespace, out: TextIO) -> int:
    from .testing.demo import run_demo

    cases = run_demo()
    if args.output == "json":
        print(json.dumps([{"story": c.story, **c.result.to_dict()} for c in cases], indent=2), file=out)
    else:
        print("cosign-verify demo: two namespaces, two keys, two trust policies\n", file=out)
        rows: list[tuple[str, ...]] = [("IMAGE", "STORY", "EXPECTED", "RESULT", "WHY")]
        for case in cases:
            report = case.result.verifier_reports[0] if case.result.verifier_reports else None
            why = (report.error_reason or "valid signature found") if report else (case.result.message or "")
            rows.append(
                (
                    case.reference.split("@")[0].split("/", 2)[2],
                    case.story,
                    "pass" if case.expected else "fail",
                    "PASS" if case.result.is_success else "FAIL",
                    why,
                )
            )
        _table(rows, out)
        first = cases[0].result.verifier_reports[0].to_dict()
        print("\nThe report for the first image, in Ratify's shape:", file=out)
        print(json.dumps(first, indent=2), file=out)
    matched = all(c.result.is_success is c.expected for c in cases)
    print(f"\n{'every outcome is as expected' if matched else 'UNEXPECTED OUTCOME'}", file=out)
    return EXIT_OK if matched else EXIT_FAILED


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


def _describe_policy(policy: TrustPolicy, matcher: ScopeMatcher, out: TextIO) -> None:
    flags = [f"tLogVerify={str(policy.tlog_verify).lower()}"]
    if policy.keyless is not None:
        flags.insert(0, "keyless")
        flags.append(f"ctLogVerify={str(policy.keyless.ct_log_verify).lower()}")
    print(f"  trust policy {policy.name!r} ({', '.join(flags)})", file=out)
    print(f"    matches: {_scope_lines(policy, matcher)}", file=out)
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
        matcher = verifier.matcher
        for policy in verifier.trust_policies:
            _describe_policy(policy, matcher, out)
    for name in config.ignored_verifiers:
        print(f"verifier {name!r}: not a cosign verifier, ignored", file=out)
    for provider in config.key_management_providers:
        detail = provider.parameters.get("contentType") or provider.parameters.get("path", "")
        print(f"key management provider {provider.name!r} ({provider.type}: {detail})", file=out)
    policies = sum(len(v.trust_policies) for v in config.verifiers)
    scopes = sum(len(p.scopes) for v in config.verifiers for p in v.trust_policies)
    print(f"OK: {len(config.verifiers)} verifier(s), {policies} trust policies, {scopes} scopes", file=out)


def _verifier_json(verifier: VerifierConfig) -> dict[str, Any]:
    matcher = verifier.matcher
    policies = [
        {**p.to_dict(), "canonicalScopes": [s.canonical for s in matcher.scopes(p)]}
        for p in verifier.trust_policies
    ]
    out: dict[str, Any] = {"name": verifier.name, "artifactTypes": list(verifier.artifact_types)}
    out["trustPolicies"] = policies
    if verifier.key:
        out["key"] = verifier.key
    if verifier.rekor_url:
        out["rekorURL"] = verifier.rekor_url
    return out


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
        "verifiers": [_verifier_json(v) for v in config.verifiers],
        "ignoredVerifiers": list(config.ignored_verifiers),
        "keyManagementProviders": [{"name": p.name, "type": p.type} for p in config.key_management_providers],
    }


def _config_error(args: argparse.Namespace, exc: ConfigError, err: TextIO) -> int:
    print(f"{', '.join(args.config)}: invalid configuration", file=err)
    for line in exc.errors:
        print(f"  error: {line}", file=err)
    return EXIT_USAGE


def _check_config(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .wiring import build_verifiers

    try:
        config = load_config(args.config)
        build_verifiers(config)  # resolves every key reference and reads key files and trusted roots
    except ConfigError as exc:
        return _config_error(args, exc, err)
    for reason in config.skipped:
        print(f"warning: {reason}", file=err)
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
    if args.command == "verify":
        return _verify(args, out, err)
    if args.command == "demo":
        return _demo(args, out)
    return EXIT_USAGE  # pragma: no cover - argparse requires a known command


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
