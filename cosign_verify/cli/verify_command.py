"""``cosign-verify verify``: images against cosign-style flags or a Ratify configuration."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from ..config import load_config
from ..engine import Executor, ExecutorOptions
from ..errors import ConfigError, CosignVerifyError, InvalidReferenceError
from ..mediatypes import COSIGN_ATTESTATION_ARTIFACT_TYPE, COSIGN_SIGNATURE_ARTIFACT_TYPE, SIGSTORE_BUNDLE_V03
from ..reference import Reference
from ..report import VerificationResult
from ..store.options import RegistryOptions
from .config_command import config_error
from .console import Console
from .parser import EXIT_FAILED, EXIT_OK, EXIT_USAGE, GITHUB_FLAGS, POLICY_FLAGS
from .render import json_line, write_results

FLAG_POLICY = "command-line"
COSIGN_REPOSITORY = "COSIGN_REPOSITORY"
CLAIM_FLAGS = ("certificate_extension", *(f"certificate_github_workflow_{name}" for name in GITHUB_FLAGS))
IDENTITY_FLAGS = (
    "certificate_identity",
    "certificate_identity_regexp",
    "certificate_oidc_issuer",
    "certificate_oidc_issuer_regexp",
)
MAX_SUBJECTS_FILE = 64 * 1024 * 1024


class UsageError(CosignVerifyError):
    """The command line asks for something that cannot be done (nothing was verified)."""


def run_verify_attestation(args: argparse.Namespace, console: Console) -> int:
    """``verify-attestation``: ``verify`` with an attestation verifier of one predicate type."""
    return run_verify(args, console)


def run_verify(args: argparse.Namespace, console: Console) -> int:
    try:
        subjects = gather_subjects(args)
        executor = build_executor(args, console)
    except ConfigError as exc:
        return config_error(args, exc, console)
    except CosignVerifyError as exc:
        console.failure(exc)
        return EXIT_USAGE
    results = verify_all(executor, subjects, args, console)
    write_results(results, args.output, console)
    return EXIT_OK if all(r.is_success for r in results) else EXIT_FAILED


def gather_subjects(args: argparse.Namespace) -> list[Reference]:
    """Every image named: positional, ``--subject`` and ``--subjects-file`` lines, parsed (errors say where)."""
    named = [(text, "command line") for text in [*args.images, *args.subject]]
    if args.subjects_file:
        named.extend(_subjects_file(args.subjects_file))
    if not named:
        raise UsageError(
            "no image to verify",
            remediation="name images as arguments, with --subject, or in --subjects-file",
        )
    subjects = []
    for text, where in named:
        try:
            subjects.append(Reference.parse(text))
        except InvalidReferenceError as exc:
            raise UsageError(f"{where}: {exc}") from None
    return subjects


def _subjects_file(path: str) -> list[tuple[str, str]]:
    name = "standard input" if path == "-" else path
    try:
        if path == "-":
            text = sys.stdin.read(MAX_SUBJECTS_FILE + 1)
        else:
            with open(path, encoding="utf-8") as stream:
                text = stream.read(MAX_SUBJECTS_FILE + 1)
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(
            f"cannot read subjects file {name}: {getattr(exc, 'strerror', None) or exc}"
        ) from None
    if len(text) > MAX_SUBJECTS_FILE:
        raise UsageError(f"subjects file {name} is larger than {MAX_SUBJECTS_FILE // 2**20} MiB")
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        entry = line.split("#", 1)[0].strip()
        if entry:
            found.append((entry, f"{name} line {number}"))
    return found


def build_executor(args: argparse.Namespace, console: Console) -> Executor:
    """The executor the command line describes: its configuration, or one trust policy made of its flags."""
    from ..wiring import build_store

    if getattr(args, "config", None):
        given = [f"--{name.replace('_', '-')}" for name in POLICY_FLAGS if getattr(args, name, None)]
        if given:
            raise UsageError(
                f"{', '.join(given)} cannot be combined with --config",
                remediation="put the key or identity in the configuration's trust policies, or drop --config",
            )
        config = load_config(args.config)
        if os.environ.get(COSIGN_REPOSITORY):
            console.warning(
                f"{COSIGN_REPOSITORY} is not read with --config: set signatureRepository in the trust policies"
            )
    else:
        config = load_config(flags_config(args))
    _warn_insecure(args, console)
    options = RegistryOptions(
        use_http=args.allow_http_registry,
        tls_verify=not args.allow_insecure_registry,
        max_connections=max(args.workers, 1),
    )
    return Executor.from_config(
        config, build_store(config, options=options), options=ExecutorOptions(deadline=args.timeout)
    )


def _warn_insecure(args: argparse.Namespace, console: Console) -> None:
    if args.allow_insecure_registry:
        import urllib3

        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        console.warning(
            "--allow-insecure-registry: registry TLS certificates are not checked; "
            "signatures still are, but anyone in between can hide them"
        )


def flags_config(args: argparse.Namespace) -> dict[str, Any]:
    """The configuration cosign's flags stand for: one trust policy for every image, any valid signature."""
    policy: dict[str, Any] = {
        "name": FLAG_POLICY,
        "scopes": ["*"],
        "tLogVerify": not args.insecure_ignore_tlog,
    }
    policy.update(_signer(args))
    if args.rekor_url:
        policy["rekorURL"] = args.rekor_url
    if args.trusted_root:
        policy["trustedRoot"] = args.trusted_root
    annotations = key_values(getattr(args, "annotations", None), "--annotations")
    if annotations:
        policy["annotations"] = annotations
    if os.environ.get(COSIGN_REPOSITORY):
        policy["signatureRepository"] = os.environ[COSIGN_REPOSITORY]
    plugin: dict[str, Any] = {
        "name": "cosign",
        "artifactTypes": f"{COSIGN_SIGNATURE_ARTIFACT_TYPE},{SIGSTORE_BUNDLE_V03}",
        "trustPolicies": [policy],
    }
    if args.command == "verify-attestation":  # never a signature verifier, whatever --type says
        plugin = {
            "name": "cosign-attestation",
            "type": "cosign-attestation",
            "artifactTypes": f"{COSIGN_ATTESTATION_ARTIFACT_TYPE},{SIGSTORE_BUNDLE_V03}",
            "predicateTypes": [args.type],
            "trustPolicies": [policy],
        }
    return {
        "store": {"version": "1.0.0", "plugins": [{"name": "oras", "cosignEnabled": True}]},
        "policy": {
            "version": "1.0.0",
            "plugin": {"name": "configPolicy", "artifactVerificationPolicies": {"default": "any"}},
        },
        "verifier": {"version": "1.0.0", "plugins": [plugin]},
    }


def _signer(args: argparse.Namespace) -> dict[str, Any]:
    """A trust policy's ``keys`` or ``keyless`` from the flags, or why the flags do not say who signed."""
    if args.key and any(getattr(args, name) for name in IDENTITY_FLAGS + CLAIM_FLAGS):
        raise UsageError(
            "--key and --certificate-* flags cannot be combined",
            remediation="a key verifies key-based signatures, an identity keyless ones: give one",
        )
    keyless = identity_flags(args)
    if args.key:
        for key in args.key:
            if "://" in key:
                raise UsageError(
                    f"--key {key}: only key files are read",
                    remediation=f"export the public key first: cosign public-key --key {key} > key.pub",
                )
        return {"keys": [{"file": key} for key in args.key]}
    if keyless:
        return {"keyless": {**keyless, **claim_flags(args), "ctLogVerify": not args.insecure_ignore_sct}}
    if any(getattr(args, name) for name in CLAIM_FLAGS):
        raise UsageError(
            "certificate claims need a keyless identity",
            remediation="give --certificate-identity (or -regexp) and --certificate-oidc-issuer (or -regexp)",
        )
    raise UsageError(
        "nothing says who signed",
        remediation="give --key FILE, or --certificate-identity (or -regexp) with "
        "--certificate-oidc-issuer (or -regexp), or --config FILE",
    )


def key_values(given: list[str] | None, flag: str) -> dict[str, str]:
    """``KEY=VALUE`` flags as a mapping; one without ``=`` is a usage error."""
    found: dict[str, str] = {}
    for item in given or ():
        key, equals, value = item.partition("=")
        if not equals or not key:
            raise UsageError(f"{flag} {item!r}: write KEY=VALUE")
        found[key] = value
    return found


def claim_flags(args: argparse.Namespace) -> dict[str, Any]:
    """The Fulcio claims the flags require, in a trust policy's keyless fields."""
    fields: dict[str, Any] = {}
    for name in GITHUB_FLAGS:
        value = getattr(args, f"certificate_github_workflow_{name}", None)
        if value is not None:
            fields[f"certificateGithubWorkflow{name.capitalize()}"] = value
    extensions = key_values(getattr(args, "certificate_extension", None), "--certificate-extension")
    if extensions:
        fields["certificateExtensions"] = extensions
    return fields


def identity_flags(args: argparse.Namespace) -> dict[str, str]:
    """The keyless identity the flags give (empty when none), checked as cosign checks it."""
    fields = {
        "certificateIdentity": args.certificate_identity,
        "certificateIdentityRegExp": args.certificate_identity_regexp,
        "certificateOIDCIssuer": args.certificate_oidc_issuer,
        "certificateOIDCIssuerRegExp": args.certificate_oidc_issuer_regexp,
    }
    given = {name: value for name, value in fields.items() if value is not None}
    if not given:
        return {}
    for what, exact, regexp in (
        ("identity", "certificate_identity", "certificate_identity_regexp"),
        ("oidc-issuer", "certificate_oidc_issuer", "certificate_oidc_issuer_regexp"),
    ):
        flag = f"--certificate-{what}"
        if getattr(args, exact) is not None and getattr(args, regexp) is not None:
            raise UsageError(f"give {flag} or {flag}-regexp, not both")
        if getattr(args, exact) is None and getattr(args, regexp) is None:
            raise UsageError(
                f"a keyless identity needs {flag} (or {flag}-regexp)",
                remediation="cosign requires both the identity and its OIDC issuer; so do we",
            )
    return given


def verify_all(
    executor: Executor, subjects: list[Reference], args: argparse.Namespace, console: Console
) -> list[VerificationResult]:
    """Every subject's result, in the order given; ``jsonl`` lines are written as each subject finishes."""
    results: list[VerificationResult | None] = [None] * len(subjects)
    with console.progress(len(subjects), "image") as progress:
        for position, result in executor.verify_as_completed(
            subjects, workers=args.workers, namespace=args.namespace
        ):
            results[position] = result
            if args.output == "jsonl":
                console.print(json_line(result))
            progress.advance()
    return [r for r in results if r is not None]
