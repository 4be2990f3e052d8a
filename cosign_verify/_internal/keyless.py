"""The keyless and transparency-log checks for one legacy cosign signature.

Each function raises :class:`Failure` with a reason fit for a report, or
returns summary lines.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timezone

import attrs
from cryptography import x509

from ..transparency import TransparencyLog
from ..trusted_root import TrustedRoot
from .certificate import IdentityPolicy, load_certificates, verify_chain
from .crypto import certificate_key, spki_of_pem, verify
from .failure import Failure, FailureReason
from .log_entry import SignedContent
from .rekor import LogEntry, describe
from .sct import verify_embedded_sct
from .simple_signing import CosignSignature
from .timestamp import decode_cosign_timestamp, verify_timestamp


@attrs.frozen(kw_only=True)
class TransparencyProof:
    """A verified log entry, and whether it came from the offline bundle (``bundleVerified``)."""

    entry: LogEntry
    from_bundle: bool


def transparency_proof(
    signature: CosignSignature,
    verifier_pem: bytes,
    trusted_root: TrustedRoot,
    log: TransparencyLog,
    *,
    envelope: tuple[str, bytes] | None = None,
) -> TransparencyProof:
    """The signature's log entry: from its bundle offline, else looked up in ``log``.

    ``envelope`` (payload type, payload): the signature is a DSSE envelope's
    (cosign's attestations: an ``intoto`` or ``dsse`` entry), and ``payload``
    of ``signature`` is the envelope's pre-authentication encoding.
    """
    spki = spki_of_pem(verifier_pem, "signature's verifier")
    if envelope is not None:
        content = SignedContent(signature=signature.signature, verifier_spki=spki, envelope=envelope)
        searched = envelope[1]
    else:
        content = SignedContent(
            signature=signature.signature,
            verifier_spki=spki,
            artifact_sha256=hashlib.sha256(signature.payload).digest(),
            artifact=signature.payload,
        )
        searched = signature.payload
    if signature.bundle is not None:
        return TransparencyProof(
            entry=log.entry_from_bundle(signature.bundle, content, trusted_root), from_bundle=True
        )
    return TransparencyProof(entry=log.lookup(searched, content, trusted_root), from_bundle=False)


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
    algorithm: str
    signer: str


@attrs.frozen(kw_only=True)
class KeylessSettings:
    """What a keyless check needs beside the signature: the trust policy's rules and where proofs come from."""

    identity: IdentityPolicy
    trusted_root: TrustedRoot
    log: TransparencyLog
    ct_log_verify: bool = True
    tlog_verify: bool = True


def _leaf_key_verifies(signature: CosignSignature) -> tuple[x509.Certificate, list[x509.Certificate], str]:
    if signature.certificate is None:
        raise Failure(
            FailureReason.CERTIFICATE_INVALID,
            "signature has no certificate (dev.sigstore.cosign/certificate): it is not keyless",
        )
    leaf = load_certificates(signature.certificate, "certificate annotation")[0]
    intermediates = load_certificates(signature.chain, "chain annotation") if signature.chain else []
    key = certificate_key(leaf, "certificate key")
    algorithm = verify(key, signature.signature, signature.payload)
    if algorithm is None:
        raise Failure(FailureReason.SIGNATURE_INVALID, "signature does not verify with the certificate's key")
    return leaf, intermediates, algorithm


def _signing_times(
    signature: CosignSignature,
    settings: KeylessSettings,
    summary: list[str],
    now: datetime | None,
    envelope: tuple[str, bytes] | None = None,
) -> tuple[list[tuple[str, datetime]], bool]:
    times: list[tuple[str, datetime]] = []
    bundle_verified = False
    if settings.tlog_verify:
        assert signature.certificate is not None
        proof = transparency_proof(
            signature, signature.certificate, settings.trusted_root, settings.log, envelope=envelope
        )
        bundle_verified = proof.from_bundle
        times.append(("Rekor integrated time", proof.entry.time))
        summary.append(transparency_summary(proof))
    if signature.rfc3161_timestamp:
        stamped = verify_timestamp(
            decode_cosign_timestamp(signature.rfc3161_timestamp), signature.signature, settings.trusted_root
        )
        times.append(("RFC 3161 timestamp", stamped))
        summary.append(f"RFC 3161 timestamp verified: {stamped.isoformat()}")
    current = now or datetime.now(timezone.utc)
    for label, moment in times:
        if moment > current:
            raise Failure(FailureReason.TLOG_INVALID, f"{label} {moment.isoformat()} is in the future")
    if not times:
        label = "the current time (no verified signing time: tLogVerify is false and no timestamp)"
        times.append((label, current))
    return times, bundle_verified


def check_certificate(
    leaf: x509.Certificate,
    intermediates: Sequence[x509.Certificate],
    times: Sequence[tuple[str, datetime]],
    identity: IdentityPolicy,
    trusted_root: TrustedRoot,
    ct_log_verify: bool,
) -> list[str]:
    """Chain at every verified time, the SCT, then the identity; returns summary lines."""
    summary = []
    chain: list[x509.Certificate] = []
    for label, moment in times:
        chain = verify_chain(leaf, intermediates, trusted_root, moment)
        to = chain[0].subject.rfc4514_string() if chain else "a trusted root"
        summary.append(f"certificate chains to {to} at {label} {moment.isoformat()}")
    if ct_log_verify:
        if not chain:
            raise Failure(
                FailureReason.SCT_INVALID, "cannot check the SCT: the certificate's issuer is unknown"
            )
        log_id = verify_embedded_sct(leaf, chain[0], trusted_root)
        summary.append(f"embedded SCT verified (CT log {log_id[:16]})")
    else:
        summary.append("SCT not checked: ctLogVerify is false")
    summary += identity.check(leaf)
    return summary


def verify_keyless(
    signature: CosignSignature,
    settings: KeylessSettings,
    *,
    now: datetime | None = None,
    envelope: tuple[str, bytes] | None = None,
) -> KeylessOutcome:
    """Verify a keyless cosign signature: certificate, signature, signing time, chain, SCT, identity.

    ``envelope``: as for :func:`transparency_proof` (a DSSE envelope's signature).
    """
    leaf, intermediates, algorithm = _leaf_key_verifies(signature)
    summary = ["signature verified with the certificate's key"]
    times, bundle_verified = _signing_times(signature, settings, summary, now, envelope)
    summary += check_certificate(
        leaf, intermediates, times, settings.identity, settings.trusted_root, settings.ct_log_verify
    )
    return KeylessOutcome(
        summary=tuple(summary),
        bundle_verified=bundle_verified,
        algorithm=algorithm,
        signer=settings.identity.signer(leaf),
    )
