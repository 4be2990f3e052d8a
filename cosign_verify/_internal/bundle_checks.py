"""Verifying a Sigstore bundle: times, transparency log, certificate, signature, and the entry's consistency.

The steps follow Sigstore's client specification:

0. verified signing times: RFC 3161 timestamps, and Rekor v1 integrated times
   proven by an inclusion promise (SET); at least one is required;
1. every transparency-log entry: inclusion proof up to a signed checkpoint
   (required from bundle v0.2 on, and for Rekor v2 entries), SET when present;
2. the certificate chains to a Fulcio CA at each verified time, with a valid
   SCT and the expected identity (or: the signature verifies with a trusted key);
3. the signature verifies over the artifact (message signature) or over the
   DSSE pre-authentication encoding;
4. the log entry describes exactly this signature, artifact and verifier.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

import attrs

from ..keys.loading import PublicKey
from ..trusted_root import TrustedRoot
from .bundle_model import DsseEnvelope, MessageSignature, SigstoreBundle, TlogEntry, bundle_error
from .certificate import IdentityPolicy
from .crypto import certificate_key, spki_der, verify, verify_prehashed
from .failure import Failure, FailureReason
from .keyless import check_certificate
from .log_entry import IN_TOTO_PAYLOAD_TYPE, PROTOBUF_HASHES, SignedContent, check_entry, pae
from .rekor import trusted_log, verify_inclusion, verify_set
from .strict_json import loads_strict
from .timestamp import verify_timestamp

REKOR_V2_KINDS = frozenset({("hashedrekord", "0.0.2"), ("dsse", "0.0.2")})
MAX_TIMESTAMPS = 32


@attrs.frozen(kw_only=True)
class Artifact:
    """What a bundle is checked against: the artifact's bytes, or only its SHA-256 digest."""

    digest: bytes
    data: bytes | None = attrs.field(default=None, repr=False)

    @classmethod
    def from_bytes(cls, data: bytes) -> Artifact:
        return cls(digest=hashlib.sha256(data).digest(), data=data)

    @classmethod
    def from_digest(cls, digest: str) -> Artifact:
        algorithm, _, encoded = digest.partition(":")
        if algorithm != "sha256":
            raise bundle_error(f"artifact digest must be sha256:<hex>, got {digest!r}")
        try:
            raw = bytes.fromhex(encoded)
        except ValueError:
            raise bundle_error(f"artifact digest {digest!r} is not hex") from None
        if len(raw) != 32:
            raise bundle_error(f"artifact digest {digest!r} is not 32 bytes")
        return cls(digest=raw)


@attrs.frozen(kw_only=True)
class BundleOutcome:
    """What a verified bundle established."""

    summary: tuple[str, ...]
    statement: dict[str, Any] | None = None
    key_name: str | None = None
    algorithm: str | None = None


def _tlog(message: str) -> Failure:
    return Failure(FailureReason.TLOG_INVALID, message)


def _verify_entry_proofs(
    entry: TlogEntry, bundle: SigstoreBundle, trusted_root: TrustedRoot
) -> datetime | None:
    """Inclusion proof and checkpoint, and the SET; returns the integrated time the SET proves."""
    rekor_v2 = (entry.kind, entry.version) in REKOR_V2_KINDS
    required = bundle.version >= (0, 2) or rekor_v2
    proof = entry.inclusion_proof
    if proof is None and required:
        raise _tlog("log entry has no inclusion proof (required from bundle v0.2 on)")
    # Without a checkpoint an inclusion proof leads only to the root hash it states itself: required, it
    # fails (verify_inclusion says so); in a v0.1 bundle, it is not relied on (the SET is).
    if proof is not None and (proof.checkpoint is not None or required):
        verify_inclusion(
            entry.body,
            proof.log_index,
            proof.tree_size,
            proof.hashes,
            proof.root_hash,
            proof.checkpoint,
            trusted_root,
            entry.log_id,
        )
    if entry.signed_entry_timestamp is None:
        if bundle.version == (0, 1):
            raise _tlog("a v0.1 bundle's log entry needs an inclusion promise (SET)")
        return None
    if rekor_v2:
        raise _tlog("a Rekor v2 entry cannot carry an inclusion promise")
    verified = verify_set(
        base64.b64encode(entry.body).decode(),
        entry.integrated_time,
        entry.log_index,
        entry.log_id.hex(),
        entry.signed_entry_timestamp,
        trusted_root,
    )
    return verified.time


def _entry_summary(entry: TlogEntry) -> str:
    proofs = [
        name
        for name, present in (
            ("inclusion proof and checkpoint", entry.inclusion_proof and entry.inclusion_proof.checkpoint),
            ("SET", entry.signed_entry_timestamp),
        )
        if present
    ]
    return f"log entry {entry.log_index} ({entry.kind} {entry.version}) verified: " + " and ".join(proofs)


def signing_times(
    bundle: SigstoreBundle, trusted_root: TrustedRoot, summary: list[str]
) -> list[tuple[str, datetime]]:
    """Every verified signing time (timestamps, then SETs), after checking every log entry's proofs."""
    if not bundle.tlog_entries:
        raise _tlog("bundle has no transparency-log entry")
    if len(bundle.timestamps) > MAX_TIMESTAMPS:
        raise bundle_error("bundle has too many timestamps", FailureReason.TOO_LARGE)
    times: list[tuple[str, datetime]] = []
    for stamp in bundle.timestamps:
        moment = verify_timestamp(stamp, bundle.content.signature, trusted_root)
        times.append(("RFC 3161 timestamp", moment))
        summary.append(f"RFC 3161 timestamp verified: {moment.isoformat()}")
    stamped = [moment for _, moment in times]
    for entry in bundle.tlog_entries:
        integrated = _verify_entry_proofs(entry, bundle, trusted_root)
        if integrated is not None:
            times.append(("Rekor integrated time", integrated))
        else:  # proven by its checkpoint alone: the log's key must have been valid when it was stamped
            for moment in stamped:
                trusted_log(trusted_root, entry.log_id, moment)
        summary.append(_entry_summary(entry))
    if not times:
        raise _tlog("no verified signing time: the bundle has neither a timestamp nor an inclusion promise")
    now = datetime.now(timezone.utc)
    for label, moment in times:
        if moment > now:
            raise _tlog(f"{label} {moment.isoformat()} is in the future")
    return times


def _same_message(content: MessageSignature, artifact: Artifact) -> bool:
    """Whether the bundle's stated message digest (SHA-256, -384 or -512) is the artifact's."""
    algorithm = PROTOBUF_HASHES.get(content.digest_algorithm or "SHA2_256")
    if algorithm == "sha256":
        return content.digest == artifact.digest
    if algorithm is None or artifact.data is None:
        return False  # only the artifact's SHA-256 is known, or an unknown algorithm
    return content.digest == hashlib.new(algorithm, artifact.data).digest()


def _signature_verifies(key: PublicKey, bundle: SigstoreBundle, artifact: Artifact) -> str | None:
    """The algorithm under which the bundle's signature verifies with ``key``, or None."""
    content = bundle.content
    if isinstance(content, DsseEnvelope):
        return verify(key, content.signature, pae(content.payload_type, content.payload))
    if content.digest and not _same_message(content, artifact):
        raise bundle_error(
            "the bundle's message digest is not the artifact's digest", FailureReason.SUBJECT_MISMATCH
        )
    if artifact.data is not None:
        return verify(key, content.signature, artifact.data)
    return verify_prehashed(key, content.signature, artifact.digest)


def _candidates(
    bundle: SigstoreBundle,
    times: Sequence[tuple[str, datetime]],
    trusted_root: TrustedRoot,
    identity: IdentityPolicy | None,
    keys: Sequence[tuple[str, PublicKey]],
    ct_log_verify: bool,
    summary: list[str],
) -> list[tuple[str, PublicKey]]:
    if bundle.certificate is None:
        if not keys:
            raise bundle_error(
                "bundle is signed with a key, and no trusted key was given", FailureReason.SIGNATURE_INVALID
            )
        return list(keys)
    if identity is None:
        raise bundle_error(
            "bundle is signed with a certificate, but no certificate identity and issuer were given",
            FailureReason.IDENTITY_MISMATCH,
        )
    leaf = bundle.certificate
    summary += check_certificate(leaf, bundle.intermediates, times, identity, trusted_root, ct_log_verify)
    return [("certificate", certificate_key(leaf, "certificate key"))]


def verify_sigstore_bundle(
    bundle: SigstoreBundle,
    artifact: Artifact,
    trusted_root: TrustedRoot,
    *,
    identity: IdentityPolicy | None = None,
    keys: Sequence[tuple[str, PublicKey]] = (),
    ct_log_verify: bool = True,
) -> BundleOutcome:
    """Verify ``bundle`` for ``artifact``; raise :class:`Failure` saying why not.

    With a certificate in the bundle, ``identity`` is required; with a
    public-key hint, one of ``keys`` (name, key) must verify the signature.
    """
    summary: list[str] = []
    times = signing_times(bundle, trusted_root, summary)
    candidates = _candidates(bundle, times, trusted_root, identity, keys, ct_log_verify, summary)
    verified = next(
        ((n, k, a) for n, k in candidates if (a := _signature_verifies(k, bundle, artifact))), None
    )
    if verified is None:
        what = "the certificate's key" if bundle.certificate is not None else "any trusted key"
        raise Failure(FailureReason.SIGNATURE_INVALID, f"signature does not verify with {what}")
    key_name, key, algorithm = verified
    summary.append(
        f"signature verified with {key_name if bundle.certificate is None else 'the certificate key'}"
    )
    if bundle.certificate is None:
        summary += [f"signed at {label} {moment.isoformat()}" for label, moment in times]
    content = _signed_content(bundle, artifact, spki_der(key))
    for entry in bundle.tlog_entries:
        check_entry(entry.body, content, declared=(entry.kind, entry.version))
    summary.append("log entry describes this signature, artifact and verifier")
    statement: dict[str, Any] | None = None
    if isinstance(bundle.content, DsseEnvelope):
        statement = _statement(bundle.content, artifact)
        summary.append(
            f"in-toto statement for the artifact, predicate type {statement.get('predicateType')!r}"
        )
    return BundleOutcome(summary=tuple(summary), statement=statement, key_name=key_name, algorithm=algorithm)


def _signed_content(bundle: SigstoreBundle, artifact: Artifact, verifier_spki: bytes) -> SignedContent:
    content = bundle.content
    if isinstance(content, MessageSignature):
        return SignedContent(
            signature=content.signature,
            verifier_spki=verifier_spki,
            artifact_sha256=artifact.digest,
            artifact=artifact.data,
        )
    return SignedContent(
        signature=content.signature,
        verifier_spki=verifier_spki,
        envelope=(content.payload_type, content.payload),
    )


def _statement(envelope: DsseEnvelope, artifact: Artifact) -> dict[str, Any]:
    """The in-toto Statement in a DSSE envelope, which must name the artifact's digest as a subject."""
    if envelope.payload_type != IN_TOTO_PAYLOAD_TYPE:
        raise Failure(
            FailureReason.NOT_A_SIGNATURE,
            f"DSSE payload type is {envelope.payload_type!r}, not {IN_TOTO_PAYLOAD_TYPE!r}",
        )
    statement = loads_strict(envelope.payload, "DSSE payload")
    if not isinstance(statement, dict) or not isinstance(statement.get("subject"), list):
        raise bundle_error("DSSE payload is not an in-toto Statement")
    wanted = artifact.digest.hex()
    for subject in statement["subject"]:
        digests = subject.get("digest") if isinstance(subject, dict) else None
        if isinstance(digests, dict) and digests.get("sha256") == wanted:
            return statement
    raise Failure(
        FailureReason.SUBJECT_MISMATCH,
        f"the in-toto statement does not name the artifact (sha256:{wanted}) as a subject",
    )
