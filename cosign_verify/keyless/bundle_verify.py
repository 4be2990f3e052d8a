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
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from .._b64 import decode
from .._json import StrictJSONError, loads_strict
from ..keys.loading import PublicKey
from .bundle import BundleError, DsseEnvelope, MessageSignature, SigstoreBundle, TlogEntry
from .certificate import CertificateError, IdentityPolicy, verify_chain
from .rekor import TransparencyLogError, leaf_hash, root_from_inclusion_proof, verify_checkpoint, verify_set
from .sct import verify_embedded_sct
from .timestamp import TimestampError, verify_timestamp
from .trusted_root import TrustedRoot

IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"
REKOR_V2_KINDS = frozenset({("hashedrekord", "0.0.2"), ("dsse", "0.0.2")})
MAX_TIMESTAMPS = 32


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE's pre-authentication encoding."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


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
            raise BundleError(f"artifact digest must be sha256:<hex>, got {digest!r}")
        try:
            raw = bytes.fromhex(encoded)
        except ValueError:
            raise BundleError(f"artifact digest {digest!r} is not hex") from None
        if len(raw) != 32:
            raise BundleError(f"artifact digest {digest!r} is not 32 bytes")
        return cls(digest=raw)


@attrs.frozen(kw_only=True)
class BundleOutcome:
    """What a verified bundle established."""

    summary: tuple[str, ...]
    statement: dict[str, Any] | None = None
    key_name: str | None = None


def _verify_signature(
    key: PublicKey, signature: bytes, data: bytes | None, digest: bytes | None = None
) -> None:
    """Verify over ``data``, or over a SHA-256 ``digest`` when only that is known."""
    if isinstance(key, ed25519.Ed25519PublicKey):
        if data is None:
            raise InvalidSignature("Ed25519 signatures need the artifact itself, not its digest")
        key.verify(signature, data)
        return
    if data is not None:
        algorithm: hashes.HashAlgorithm = hashes.SHA256()
        if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp384r1":
            algorithm = hashes.SHA384()
        elif isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp521r1":
            algorithm = hashes.SHA512()
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(algorithm))
        else:
            key.verify(signature, data, padding.PKCS1v15(), algorithm)
        return
    assert digest is not None
    if isinstance(key, ec.EllipticCurvePublicKey):
        key.verify(signature, digest, ec.ECDSA(Prehashed(hashes.SHA256())))
    else:
        key.verify(signature, digest, padding.PKCS1v15(), Prehashed(hashes.SHA256()))


def _spki(key: Any) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)  # type: ignore[no-any-return]


def _pem_spki(pem: bytes) -> bytes:
    try:
        if b"CERTIFICATE" in pem:
            return _spki(x509.load_pem_x509_certificate(pem).public_key())
        return _spki(serialization.load_pem_public_key(pem))
    except ValueError as exc:
        raise BundleError(f"log entry's verifier cannot be read: {exc}") from None


def _b64d(value: Any, what: str) -> bytes:
    return decode(value, f"log entry {what}", BundleError)


def _check_entry(
    entry: TlogEntry, bundle: SigstoreBundle, signature: bytes, verifier_spki: bytes, artifact: Artifact
) -> None:
    """The entry body must describe this very signature, artifact (or envelope) and verifier."""
    try:
        body = loads_strict(entry.body)
        kind, version, spec = body["kind"], body["apiVersion"], body["spec"]
    except (StrictJSONError, KeyError, TypeError) as exc:
        raise BundleError(f"log entry body is not a Rekor entry: {exc}") from None
    if (kind, version) != (entry.kind, entry.version):
        raise BundleError(
            f"log entry body is {kind} {version}, but the bundle says {entry.kind} {entry.version}"
        )
    content = bundle.content
    try:
        if kind == "hashedrekord" and version == "0.0.1":
            if not isinstance(content, MessageSignature):
                raise BundleError("a hashedrekord 0.0.1 entry must go with a message signature")
            if (
                spec["data"]["hash"]["algorithm"] != "sha256"
                or spec["data"]["hash"]["value"] != artifact.digest.hex()
            ):
                raise BundleError("log entry records another artifact hash")
            if _b64d(spec["signature"]["content"], "signature") != signature:
                raise BundleError("log entry records another signature")
            if _pem_spki(_b64d(spec["signature"]["publicKey"]["content"], "public key")) != verifier_spki:
                raise BundleError("log entry records another certificate or key")
        elif kind == "hashedrekord" and version == "0.0.2":
            rekord = spec["hashedRekordV002"]
            expected = (
                hashlib.sha256(pae(content.payload_type, content.payload)).digest()
                if isinstance(content, DsseEnvelope)
                else artifact.digest
            )
            if (
                rekord["data"]["algorithm"] != "SHA2_256"
                or _b64d(rekord["data"]["digest"], "digest") != expected
            ):
                raise BundleError("log entry records another artifact (or envelope) digest")
            if _b64d(rekord["signature"]["content"], "signature") != signature:
                raise BundleError("log entry records another signature")
            verifier = rekord["signature"]["verifier"]
            if "x509Certificate" in verifier:
                logged = _spki(
                    x509.load_der_x509_certificate(
                        _b64d(verifier["x509Certificate"]["rawBytes"], "certificate")
                    ).public_key()
                )
            else:
                logged = _b64d(verifier["publicKey"]["rawBytes"], "public key")
            if logged != verifier_spki:
                raise BundleError("log entry records another certificate or key")
        elif kind == "dsse" and version == "0.0.1":
            if not isinstance(content, DsseEnvelope):
                raise BundleError("a dsse entry must go with a DSSE envelope")
            if (
                spec["payloadHash"]["algorithm"] != "sha256"
                or spec["payloadHash"]["value"] != hashlib.sha256(content.payload).hexdigest()
            ):
                raise BundleError("log entry records another DSSE payload")
            signatures = spec["signatures"]
            if len(signatures) != 1:
                raise BundleError("log entry records another set of signatures")
            if _b64d(signatures[0]["signature"], "signature") != signature:
                raise BundleError("log entry records another signature")
            if _pem_spki(_b64d(signatures[0]["verifier"], "verifier")) != verifier_spki:
                raise BundleError("log entry records another certificate or key")
        elif kind == "intoto" and version == "0.0.2":
            if not isinstance(content, DsseEnvelope):
                raise BundleError("an intoto entry must go with a DSSE envelope")
            envelope = spec["content"]["envelope"]
            if spec["content"]["payloadHash"]["value"] != hashlib.sha256(content.payload).hexdigest():
                raise BundleError("log entry records another DSSE payload")
            if _b64d(_b64d(envelope["payload"], "payload").decode(), "payload") != content.payload:
                raise BundleError("log entry records another DSSE payload")
            if envelope["payloadType"] != content.payload_type:
                raise BundleError("log entry records another DSSE payload type")
            signatures = envelope["signatures"]
            if len(signatures) != 1:
                raise BundleError("log entry records another set of signatures")
            if _b64d(_b64d(signatures[0]["sig"], "signature").decode(), "signature") != signature:
                raise BundleError("log entry records another signature")
            if _pem_spki(_b64d(signatures[0]["publicKey"], "public key")) != verifier_spki:
                raise BundleError("log entry records another certificate or key")
        else:
            raise BundleError(f"unsupported log entry kind {kind} {version}")
    except (KeyError, TypeError, ValueError, UnicodeDecodeError) as exc:
        if isinstance(exc, BundleError):
            raise
        raise BundleError(f"log entry body is malformed: {type(exc).__name__}: {exc}") from None


def _verify_entry_proofs(
    entry: TlogEntry, bundle: SigstoreBundle, trusted_root: TrustedRoot
) -> datetime | None:
    """Inclusion proof and checkpoint, and the SET; returns the integrated time the SET proves."""
    rekor_v2 = (entry.kind, entry.version) in REKOR_V2_KINDS
    proof = entry.inclusion_proof
    if proof is None and (bundle.version >= (0, 2) or rekor_v2):
        raise BundleError("log entry has no inclusion proof (required from bundle v0.2 on)")
    if proof is not None:
        root = root_from_inclusion_proof(
            proof.log_index, proof.tree_size, leaf_hash(entry.body), proof.hashes
        )
        if root != proof.root_hash:
            raise BundleError("inclusion proof does not lead to its root hash")
        if proof.checkpoint is None:
            if bundle.version >= (0, 2) or rekor_v2:
                raise BundleError("inclusion proof has no checkpoint")
        else:
            signed = verify_checkpoint(proof.checkpoint, trusted_root, entry.log_id)
            if signed.root_hash != proof.root_hash or signed.tree_size != proof.tree_size:
                raise BundleError("inclusion proof does not match the signed checkpoint")
    if entry.signed_entry_timestamp is None:
        if bundle.version == (0, 1):
            raise BundleError("a v0.1 bundle's log entry needs an inclusion promise (SET)")
        return None
    if rekor_v2:
        raise BundleError("a Rekor v2 entry cannot carry an inclusion promise")
    verified = verify_set(
        base64.b64encode(entry.body).decode(),
        entry.integrated_time,
        entry.log_index,
        entry.log_id.hex(),
        entry.signed_entry_timestamp,
        trusted_root,
    )
    return verified.time


def verify_sigstore_bundle(
    bundle: SigstoreBundle,
    artifact: Artifact,
    trusted_root: TrustedRoot,
    *,
    identity: IdentityPolicy | None = None,
    keys: Sequence[tuple[str, PublicKey]] = (),
    ct_log_verify: bool = True,
) -> BundleOutcome:
    """Verify ``bundle`` for ``artifact``; raise :class:`BundleError` (or a keyless error) saying why not.

    With a certificate in the bundle, ``identity`` is required; with a
    public-key hint, one of ``keys`` (name, key) must verify the signature.
    """
    content = bundle.content
    signature = content.signature
    summary: list[str] = []

    if not bundle.tlog_entries:
        raise BundleError("bundle has no transparency-log entry")
    if len(bundle.timestamps) > MAX_TIMESTAMPS:
        raise BundleError("bundle has too many timestamps")
    times: list[tuple[str, datetime]] = []
    for stamp in bundle.timestamps:
        moment = verify_timestamp(stamp, signature, trusted_root)
        times.append(("RFC 3161 timestamp", moment))
        summary.append(f"RFC 3161 timestamp verified: {moment.isoformat()}")
    for entry in bundle.tlog_entries:
        integrated = _verify_entry_proofs(entry, bundle, trusted_root)
        if integrated is not None:
            times.append(("Rekor integrated time", integrated))
        summary.append(
            f"log entry {entry.log_index} ({entry.kind} {entry.version}) verified: "
            + ("inclusion proof and checkpoint" if entry.inclusion_proof else "")
            + (" and " if entry.inclusion_proof and entry.signed_entry_timestamp else "")
            + ("SET" if entry.signed_entry_timestamp else "")
        )
    if not times:
        raise BundleError(
            "no verified signing time: the bundle has neither a timestamp nor an inclusion promise"
        )
    now = datetime.now(timezone.utc)
    for label, moment in times:
        if moment > now:
            raise BundleError(f"{label} {moment.isoformat()} is in the future")

    key_name: str | None = None
    if bundle.certificate is not None:
        if identity is None:
            raise BundleError(
                "bundle is signed with a certificate, but no certificate identity and issuer were given"
            )
        leaf = bundle.certificate
        chain: list[x509.Certificate] = []
        for label, moment in times:
            chain = verify_chain(leaf, bundle.intermediates, trusted_root, moment)
            summary.append(
                f"certificate chains to {chain[0].subject.rfc4514_string()} at {label} {moment.isoformat()}"
            )
        if ct_log_verify:
            log_id = verify_embedded_sct(leaf, chain[0], trusted_root)
            summary.append(f"embedded SCT verified (CT log {log_id[:16]})")
        matched, issuer = identity.check(leaf)
        summary.append(
            f"identity {matched!r} matched {identity.identity}; issuer {issuer!r} matched {identity.issuer}"
        )
        verifier_key: PublicKey = leaf.public_key()  # type: ignore[assignment]
        candidates: list[tuple[str, PublicKey]] = [("certificate", verifier_key)]
    else:
        if not keys:
            raise BundleError("bundle is signed with a key, and no trusted key was given")
        candidates = list(keys)

    verified_key: PublicKey | None = None
    for name, key in candidates:
        try:
            if isinstance(content, MessageSignature):
                if content.digest and content.digest != artifact.digest:
                    raise BundleError("the bundle's message digest is not the artifact's digest")
                _verify_signature(key, signature, artifact.data, artifact.digest)
            else:
                _verify_signature(key, signature, pae(content.payload_type, content.payload))
        except InvalidSignature:
            continue
        verified_key, key_name = key, name
        break
    if verified_key is None:
        what = "the certificate's key" if bundle.certificate is not None else "any trusted key"
        raise BundleError(f"signature does not verify with {what}")
    summary.append(
        f"signature verified with {key_name if bundle.certificate is None else 'the certificate key'}"
    )

    if bundle.certificate is None:
        for label, moment in times:
            summary.append(f"signed at {label} {moment.isoformat()}")

    spki = _spki(verified_key)
    for entry in bundle.tlog_entries:
        _check_entry(entry, bundle, signature, spki, artifact)
    summary.append("log entry describes this signature, artifact and verifier")

    statement: dict[str, Any] | None = None
    if isinstance(content, DsseEnvelope):
        statement = _statement(content, artifact)
        summary.append(
            f"in-toto statement for the artifact, predicate type {statement.get('predicateType')!r}"
        )
    return BundleOutcome(summary=tuple(summary), statement=statement, key_name=key_name)


def _statement(envelope: DsseEnvelope, artifact: Artifact) -> dict[str, Any]:
    """The in-toto Statement in a DSSE envelope, which must name the artifact's digest as a subject."""
    if envelope.payload_type != IN_TOTO_PAYLOAD_TYPE:
        raise BundleError(f"DSSE payload type is {envelope.payload_type!r}, not {IN_TOTO_PAYLOAD_TYPE!r}")
    try:
        statement = loads_strict(envelope.payload)
    except StrictJSONError as exc:
        raise BundleError(f"DSSE payload is not JSON: {exc}") from None
    if not isinstance(statement, dict) or not isinstance(statement.get("subject"), list):
        raise BundleError("DSSE payload is not an in-toto Statement")
    wanted = artifact.digest.hex()
    for subject in statement["subject"]:
        digests = subject.get("digest") if isinstance(subject, dict) else None
        if isinstance(digests, dict) and digests.get("sha256") == wanted:
            return statement
    raise BundleError(f"the in-toto statement does not name the artifact (sha256:{wanted}) as a subject")


BUNDLE_ERRORS = (BundleError, CertificateError, TransparencyLogError, TimestampError)


def describe_failure(exc: Exception) -> str:
    """A report line for a failed bundle check."""
    return str(exc) or type(exc).__name__


__all__ = [
    "BUNDLE_ERRORS",
    "Artifact",
    "BundleOutcome",
    "pae",
    "verify_sigstore_bundle",
]
