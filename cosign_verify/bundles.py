"""``verify_bundle``: one Sigstore bundle, outside any registry."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from ._internal.bundle_checks import Artifact, verify_sigstore_bundle
from ._internal.bundle_model import MAX_BUNDLE_SIZE, SigstoreBundle
from ._internal.certificate import IdentityPolicy
from ._internal.failure import Failure
from ._internal.files import read_regular_file
from .keys.loading import PublicKey, load_public_key
from .policy import Keyless
from .reasons import FailureReason
from .trusted_root import TrustedRoot
from .verifier import identity_policy


@attrs.frozen(kw_only=True)
class BundleVerificationResult:
    """The outcome of :func:`verify_bundle`: ``is_success``, and why.

    On failure, ``reasons`` holds the message and ``reason`` its
    :class:`~cosign_verify.FailureReason`; on success, ``summary`` says what
    was checked and ``statement`` is the in-toto statement of a DSSE bundle.
    """

    is_success: bool
    reasons: tuple[str, ...] = ()
    summary: tuple[str, ...] = ()
    statement: dict[str, Any] | None = None
    reason: FailureReason | None = None

    def __bool__(self) -> bool:
        return self.is_success


def _root(trusted_root: str | os.PathLike[str] | TrustedRoot | None) -> TrustedRoot:
    if isinstance(trusted_root, TrustedRoot):
        return trusted_root
    if trusted_root is None:
        return TrustedRoot.public_good()
    return TrustedRoot.from_file(Path(trusted_root))


def _identity(
    certificate_extensions: Mapping[str, str] | None, **fields: str | None
) -> IdentityPolicy | None:
    """The identity policy the caller's fields describe (None when none is given); ConfigError when half is."""
    if all(value is None for value in fields.values()) and not certificate_extensions:
        return None
    keyless = Keyless(**fields, certificate_extensions=certificate_extensions or {})  # type: ignore[arg-type]
    return identity_policy(keyless)


def _read(bundle: bytes | str | os.PathLike[str]) -> bytes:
    if isinstance(bundle, bytes):
        return bundle
    return read_regular_file(bundle, MAX_BUNDLE_SIZE, "bundle")


def verify_bundle(
    bundle: bytes | str | os.PathLike[str],
    artifact: bytes | str,
    *,
    certificate_identity: str | None = None,
    certificate_oidc_issuer: str | None = None,
    certificate_identity_regexp: str | None = None,
    certificate_oidc_issuer_regexp: str | None = None,
    certificate_extensions: Mapping[str, str] | None = None,
    keys: Sequence[str | bytes] | None = None,
    trusted_root: str | os.PathLike[str] | TrustedRoot | None = None,
    ct_log_verify: bool = True,
) -> BundleVerificationResult:
    """Verify one Sigstore bundle (v0.1 to v0.3) offline.

    ``bundle``: the bundle's JSON bytes, or a path to it. ``artifact``: the
    artifact's bytes, or a ``sha256:<hex>`` digest (for a DSSE bundle, the
    digest of a subject of its in-toto statement). Keyless bundles need
    ``certificate_identity`` (or ``certificate_identity_regexp``) and
    ``certificate_oidc_issuer`` (or ``certificate_oidc_issuer_regexp``);
    regular expressions are RE2 and must match the whole value;
    ``certificate_extensions`` are Fulcio claims the certificate must carry
    (``{"sourceRepositoryRef": "refs/tags/v1"}``, cosign's
    ``certificateGithubWorkflow...`` names, or dotted OIDs). Key-based
    bundles need ``keys`` (PEM public keys). ``trusted_root``: a
    ``trusted_root.json`` path, default Sigstore's public-good root.

    Raises :class:`ConfigError` for what the caller got wrong (an unreadable
    bundle file or trusted root, an unusable key, half an identity); never
    raises for a bad bundle: the result says why it failed.
    """
    root = _root(trusted_root)
    identity = _identity(
        certificate_identity=certificate_identity,
        certificate_identity_regexp=certificate_identity_regexp,
        certificate_oidc_issuer=certificate_oidc_issuer,
        certificate_oidc_issuer_regexp=certificate_oidc_issuer_regexp,
        certificate_extensions=certificate_extensions,
    )
    loaded: list[tuple[str, PublicKey]] = [
        (f"key {i}", load_public_key(pem, source=f"keys[{i}]")) for i, pem in enumerate(keys or ())
    ]
    data = _read(bundle)
    try:
        subject = (
            Artifact.from_bytes(artifact) if isinstance(artifact, bytes) else Artifact.from_digest(artifact)
        )
        outcome = verify_sigstore_bundle(
            SigstoreBundle.from_json(data),
            subject,
            root,
            identity=identity,
            keys=loaded,
            ct_log_verify=ct_log_verify,
        )
    except Failure as failure:
        return BundleVerificationResult(is_success=False, reasons=(failure.message,), reason=failure.reason)
    return BundleVerificationResult(is_success=True, summary=outcome.summary, statement=outcome.statement)


__all__ = ["BundleVerificationResult", "verify_bundle"]
