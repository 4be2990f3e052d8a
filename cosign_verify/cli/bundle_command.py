"""``cosign-verify verify-bundle``: one Sigstore bundle against an artifact or its digest, offline."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from ..bundles import BundleVerificationResult, verify_bundle
from ..errors import CosignVerifyError
from .console import Console
from .parser import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from .verify_command import UsageError, claim_flags, identity_flags

MAX_ARTIFACT = 1024 * 1024 * 1024
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def run_verify_bundle(args: argparse.Namespace, console: Console) -> int:
    try:
        identity = identity_flags(args)
        if args.key and identity:
            raise UsageError("--key and --certificate-* flags cannot be combined")
        if not args.key and not identity:
            raise UsageError(
                "nothing says who signed",
                remediation="give --key FILE, or --certificate-identity (or -regexp) with "
                "--certificate-oidc-issuer (or -regexp)",
            )
        result = verify_bundle(
            Path(args.bundle),
            _artifact(args.artifact),
            certificate_identity=args.certificate_identity,
            certificate_identity_regexp=args.certificate_identity_regexp,
            certificate_oidc_issuer=args.certificate_oidc_issuer,
            certificate_oidc_issuer_regexp=args.certificate_oidc_issuer_regexp,
            certificate_extensions=_claims(args),
            keys=[_read_key(path) for path in args.key or ()],
            trusted_root=args.trusted_root,
            ct_log_verify=not args.insecure_ignore_sct,
        )
    except CosignVerifyError as exc:
        console.failure(exc)
        return EXIT_USAGE
    _write(args, result, console)
    return EXIT_OK if result.is_success else EXIT_FAILED


def _claims(args: argparse.Namespace) -> dict[str, str]:
    """The claim flags as one mapping of claim names to values (cosign's GitHub names included)."""
    claims = claim_flags(args)
    return {**claims.pop("certificateExtensions", {}), **claims}


def _artifact(text: str) -> bytes | str:
    """A digest as given, or the bytes of the artifact file."""
    if _DIGEST.fullmatch(text):
        return text
    if text.startswith("sha256:"):
        raise UsageError(f"{text!r} is not a sha256 digest (sha256: and 64 lowercase hex digits)")
    from .._internal.files import read_regular_file

    return read_regular_file(text, MAX_ARTIFACT, "artifact")


def _read_key(path: str) -> bytes:
    from .._internal.files import read_regular_file

    return read_regular_file(path, 64 * 1024, "key file")


def _write(args: argparse.Namespace, result: BundleVerificationResult, console: Console) -> None:
    if args.output == "json":
        out = {
            "bundle": args.bundle,
            "artifact": args.artifact,
            "isSuccess": result.is_success,
            "checks": list(result.summary),
        }
        if not result.is_success:
            out["message"] = "; ".join(result.reasons)
            out["reason"] = result.reason.value if result.reason else None
        if result.statement is not None:
            out["statement"] = result.statement
        console.print(json.dumps(out, indent=2))
        return
    if result.is_success:
        console.print(f"PASS {args.bundle} for {args.artifact}")
        for line in result.summary:
            console.print(f"  {line}")
    else:
        console.print(f"FAIL {args.bundle} for {args.artifact}")
        for line in result.reasons:
            console.print(f"  {line}")
