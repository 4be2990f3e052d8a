"""The keyless and transparency-log checks for one cosign signature.

Each function raises :class:`KeylessError` (or a subclass from the modules
it uses) with a reason fit for a report, or returns summary lines.
"""

from __future__ import annotations

from datetime import datetime, timezone

import attrs
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization

from ..errors import UnsupportedKeyError
from ..keys.loading import PublicKey, check_key
from ..keys.verify import verify_signature
from ..signature import CosignSignature
from .certificate import CertificateError, IdentityPolicy, load_certificates, verify_chain
from .rekor import (
    LogEntry,
    TransparencyLogError,
    check_entry_body,
    describe,
    payload_hash,
    verify_cosign_bundle,
)
from .rekor_client import lookup_entry
from .sct import verify_embedded_sct
from .timestamp import TimestampError, decode_cosign_timestamp, verify_timestamp
from .trusted_root import TrustedRoot

KEYLESS_ERRORS = (CertificateError, TransparencyLogError, TimestampError)


@attrs.frozen(kw_only=True)
class TransparencyProof:
    """A verified log entry, and whether it came from the offline bundle (``bundleVerified``)."""

    entry: LogEntry
    from_bundle: bool


@attrs.frozen(kw_only=True)
class RekorSettings:
    """Where and how to look entries up online when a signature has no bundle."""

    url: str
    timeout: float = 10.0


def public_key_pem(key: PublicKey) -> bytes:
    """PKIX PEM of a public key."""
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def transparency_proof(
    signature: CosignSignature, verifier_pem: bytes, trusted_root: TrustedRoot, rekor: RekorSettings
) -> TransparencyProof:
    """The signature's Rekor entry: from its bundle offline, else looked up at ``rekor.url``."""
    digest = payload_hash(signature.payload)
    if signature.bundle is not None:
        entry = verify_cosign_bundle(signature.bundle, trusted_root)
        check_entry_body(
            entry.body, signature=signature.signature, payload_sha256=digest, verifier_pem=verifier_pem
        )
        return TransparencyProof(entry=entry, from_bundle=True)
    entry = lookup_entry(
        rekor.url,
        payload=signature.payload,
        signature=signature.signature,
        verifier_pem=verifier_pem,
        trusted_root=trusted_root,
        timeout=rekor.timeout,
    )
    return TransparencyProof(entry=entry, from_bundle=False)


def transparency_summary(proof: TransparencyProof) -> str:
    """A report line for a verified entry."""
    how = (
        "offline from the bundle (SET verified)"
        if proof.from_bundle
        else "online (SET, inclusion proof and checkpoint verified)"
    )
    return f"{describe(proof.entry)}, {how}"


@attrs.frozen(kw_only=True)
class KeylessOutcome:
    """What a keyless verification established."""

    summary: tuple[str, ...]
    bundle_verified: bool


def verify_keyless(
    signature: CosignSignature,
    identity: IdentityPolicy,
    *,
    trusted_root: TrustedRoot,
    ct_log_verify: bool,
    tlog_verify: bool,
    rekor: RekorSettings,
    now: datetime | None = None,
) -> KeylessOutcome:
    """Verify a keyless cosign signature: certificate, signature, signing time, chain, SCT, identity."""
    if signature.certificate is None:
        raise CertificateError(
            "signature has no certificate (dev.sigstore.cosign/certificate): it is not keyless"
        )
    leaf = load_certificates(signature.certificate, "certificate annotation")[0]
    intermediates = load_certificates(signature.chain, "chain annotation") if signature.chain else []
    try:
        key = check_key(leaf.public_key(), "certificate key")
    except UnsupportedKeyError as exc:
        raise CertificateError(exc.message) from None
    try:
        verify_signature(key, signature.signature, signature.payload)
    except InvalidSignature:
        raise CertificateError("signature does not verify with the certificate's key") from None
    summary = ["signature verified with the certificate's key"]

    times: list[tuple[str, datetime]] = []
    bundle_verified = False
    if tlog_verify:
        proof = transparency_proof(signature, signature.certificate, trusted_root, rekor)
        bundle_verified = proof.from_bundle
        times.append(("Rekor integrated time", proof.entry.time))
        summary.append(transparency_summary(proof))
    if signature.rfc3161_timestamp:
        stamped = verify_timestamp(
            decode_cosign_timestamp(signature.rfc3161_timestamp), signature.signature, trusted_root
        )
        times.append(("RFC 3161 timestamp", stamped))
        summary.append(f"RFC 3161 timestamp verified: {stamped.isoformat()}")
    if not times:
        times.append(
            (
                "the current time (no verified signing time: tLogVerify is false and no timestamp)",
                now or datetime.now(timezone.utc),
            )
        )

    chain: list[x509.Certificate] = []
    for label, moment in times:
        chain = verify_chain(leaf, intermediates, trusted_root, moment)
        summary.append(
            f"certificate chains to {chain[0].subject.rfc4514_string() if chain else 'a trusted root'} at {label} {moment.isoformat()}"
        )
    if ct_log_verify:
        if not chain:
            raise CertificateError("cannot check the SCT: the certificate's issuer is unknown")
        log_id = verify_embedded_sct(leaf, chain[0], trusted_root)
        summary.append(f"embedded SCT verified (CT log {log_id[:16]})")
    else:
        summary.append("SCT not checked: ctLogVerify is false")
    matched, issuer = identity.check(leaf)
    summary.append(
        f"identity {matched!r} matched {identity.identity}; issuer {issuer!r} matched {identity.issuer}"
    )
    return KeylessOutcome(summary=tuple(summary), bundle_verified=bundle_verified)
