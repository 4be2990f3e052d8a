"""``verify_bundle``: one Sigstore bundle, outside any registry."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from .errors import UnsupportedKeyError
from .keyless.bundle import BundleError, SigstoreBundle
from .keyless.bundle_verify import BUNDLE_ERRORS, Artifact, verify_sigstore_bundle
from .keyless.certificate import ExactMatch, IdentityPolicy
from .keyless.trusted_root import TrustedRoot
from .keys.loading import PublicKey, load_public_key


@attrs.frozen(kw_only=True)
class BundleVerificationResult:
    """The outcome of :func:`verify_bundle`: ``is_success``, and why (``reasons`` on failure, ``summary`` on success)."""

    is_success: bool
    reasons: tuple[str, ...] = ()
    summary: tuple[str, ...] = ()
    statement: dict[str, Any] | None = None

    def __bool__(self) -> bool:
        return self.is_success


def _artifact(artifact: bytes | str) -> Artifact:
    if isinstance(artifact, bytes):
        return Artifact.from_bytes(artifact)
    return Artifact.from_digest(artifact)


def verify_bundle(
    bundle: bytes | str | os.PathLike[str],
    artifact: bytes | str,
    *,
    certificate_identity: str | None = None,
    certificate_oidc_issuer: str | None = None,
    keys: Sequence[str | bytes] | None = None,
    trusted_root: str | os.PathLike[str] | TrustedRoot | None = None,
    ct_log_verify: bool = True,
) -> BundleVerificationResult:
    """Verify one Sigstore bundle (v0.1 to v0.3) offline.

    ``bundle``: the bundle's JSON bytes, or a path to it. ``artifact``: the
    artifact's bytes, or a ``sha256:<hex>`` digest (for a DSSE bundle, the
    digest of a subject of its in-toto statement). Keyless bundles need
    ``certificate_identity`` and ``certificate_oidc_issuer`` (exact values);
    key-based bundles need ``keys`` (PEM public keys). ``trusted_root``: a
    ``trusted_root.json`` path, default Sigstore's public-good root.
    Never raises for a bad bundle: the result says why it failed.
    """
    try:
        data = bundle if isinstance(bundle, bytes) else Path(bundle).read_bytes()
        root = (
            trusted_root
            if isinstance(trusted_root, TrustedRoot)
            else TrustedRoot.from_file(Path(trusted_root))
            if trusted_root is not None
            else TrustedRoot.public_good()
        )
        parsed = SigstoreBundle.from_json(data)
        identity = None
        if certificate_identity is not None or certificate_oidc_issuer is not None:
            if certificate_identity is None or certificate_oidc_issuer is None:
                raise BundleError("give both certificate_identity and certificate_oidc_issuer")
            identity = IdentityPolicy(ExactMatch(certificate_identity), ExactMatch(certificate_oidc_issuer))
        loaded: list[tuple[str, PublicKey]] = [
            (f"key {i}", load_public_key(pem, source=f"keys[{i}]")) for i, pem in enumerate(keys or ())
        ]
        outcome = verify_sigstore_bundle(
            parsed, _artifact(artifact), root, identity=identity, keys=loaded, ct_log_verify=ct_log_verify
        )
    except (*BUNDLE_ERRORS, UnsupportedKeyError, OSError, ValueError) as exc:
        return BundleVerificationResult(is_success=False, reasons=(str(exc) or type(exc).__name__,))
    return BundleVerificationResult(is_success=True, summary=outcome.summary, statement=outcome.statement)
