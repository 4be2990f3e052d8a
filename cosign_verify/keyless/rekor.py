"""Rekor transparency-log proofs: signed entry timestamps, entry bodies, inclusion proofs, checkpoints.

A legacy cosign signature carries a bundle with only a SignedEntryTimestamp
(SET), which ``sigstore``'s bundle model cannot hold (it requires an
inclusion proof), so these checks are written here with ``cryptography`` and
``rfc8785``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

import attrs
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from .._b64 import decode
from .._json import StrictJSONError, loads_strict
from ..keys.loading import PublicKey
from .trusted_root import LogInstance, TrustedRoot

MAX_INCLUSION_PROOF_HASHES = 64


class TransparencyLogError(Exception):
    """A transparency-log proof is missing, malformed or does not verify."""


@attrs.frozen(kw_only=True)
class LogEntry:
    """A verified Rekor entry: its body and where and when it was logged."""

    body: bytes = attrs.field(repr=False)
    integrated_time: int
    log_index: int
    log_id: bytes

    @property
    def time(self) -> datetime:
        """``integrated_time`` as an aware UTC datetime."""
        return datetime.fromtimestamp(self.integrated_time, tz=timezone.utc)


def verify_with(key: PublicKey, signature: bytes, data: bytes) -> None:
    """Raise :class:`InvalidSignature` unless ``signature`` over ``data`` verifies (SHA-256 for ECDSA/RSA)."""
    if isinstance(key, ec.EllipticCurvePublicKey):
        key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
    elif isinstance(key, rsa.RSAPublicKey):
        key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    elif isinstance(key, ed25519.Ed25519PublicKey):
        key.verify(signature, data)
    else:  # pragma: no cover - keys are checked when loaded
        raise InvalidSignature("unsupported key type")


def _b64(value: Any, what: str) -> bytes:
    return decode(value, what, TransparencyLogError)


def _log_for(trusted_root: TrustedRoot, log_id: bytes, when: datetime) -> LogInstance:
    log = trusted_root.tlog(log_id)
    if log is None:
        raise TransparencyLogError(
            f"entry is from a transparency log the trusted root does not know ({log_id.hex()[:16]})"
        )
    if not log.validity.contains(when):
        raise TransparencyLogError(
            f"the transparency log key {log_id.hex()[:16]} was not valid at {when.isoformat()}"
        )
    return log


def verify_set(
    body: str,
    integrated_time: int,
    log_index: int,
    log_id_hex: str,
    signed_entry_timestamp: bytes,
    trusted_root: TrustedRoot,
) -> LogEntry:
    """Verify a SignedEntryTimestamp: the log's signature over the canonical JSON of the entry's fields."""
    import rfc8785

    if not isinstance(integrated_time, int) or isinstance(integrated_time, bool) or integrated_time < 0:
        raise TransparencyLogError("integratedTime must be a non-negative integer")
    if not isinstance(log_index, int) or isinstance(log_index, bool) or log_index < 0:
        raise TransparencyLogError("logIndex must be a non-negative integer")
    try:
        log_id = bytes.fromhex(log_id_hex)
    except (TypeError, ValueError):
        raise TransparencyLogError("logID is not hex") from None
    entry = LogEntry(
        body=_b64(body, "entry body"), integrated_time=integrated_time, log_index=log_index, log_id=log_id
    )
    log = _log_for(trusted_root, log_id, entry.time)
    canonical = rfc8785.dumps(
        {"body": body, "integratedTime": integrated_time, "logIndex": log_index, "logID": log_id_hex}
    )
    try:
        verify_with(log.key, signed_entry_timestamp, canonical)
    except InvalidSignature:
        raise TransparencyLogError(
            "the SignedEntryTimestamp does not verify with the transparency log's key"
        ) from None
    return entry


def verify_cosign_bundle(bundle: str, trusted_root: TrustedRoot) -> LogEntry:
    """Verify the ``dev.sigstore.cosign/bundle`` annotation offline (the SET)."""
    try:
        document = loads_strict(bundle)
    except StrictJSONError as exc:
        raise TransparencyLogError(f"Rekor bundle is not valid JSON: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("Payload"), dict):
        raise TransparencyLogError("Rekor bundle has no Payload")
    payload = document["Payload"]
    return verify_set(
        payload.get("body"),
        payload.get("integratedTime"),
        payload.get("logIndex"),
        payload.get("logID"),
        _b64(document.get("SignedEntryTimestamp"), "SignedEntryTimestamp"),
        trusted_root,
    )


def _public_key_der(pem: bytes) -> bytes:
    """The DER SubjectPublicKeyInfo of a PEM certificate or public key."""
    try:
        if b"CERTIFICATE" in pem:
            key = x509.load_pem_x509_certificate(pem).public_key()
        else:
            key = serialization.load_pem_public_key(pem)  # type: ignore[assignment]
    except ValueError as exc:
        raise TransparencyLogError(f"entry's public key cannot be read: {exc}") from None
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def check_entry_body(body: bytes, *, signature: bytes, payload_sha256: str, verifier_pem: bytes) -> str:
    """The logged entry must describe this signature, this payload hash and this certificate or key.

    Accepts ``hashedrekord`` and ``rekord`` 0.0.1; returns the kind.
    """
    try:
        entry = loads_strict(body)
        kind, version, spec = entry["kind"], entry["apiVersion"], entry["spec"]
        logged_signature = _b64(spec["signature"]["content"], "entry signature")
        logged_key = _b64(spec["signature"]["publicKey"]["content"], "entry public key")
        data = spec["data"]
        logged_hash = data.get("hash")
    except (StrictJSONError, KeyError, TypeError) as exc:
        raise TransparencyLogError(f"entry body is not a Rekor entry: {exc}") from None
    if (kind, version) not in (("hashedrekord", "0.0.1"), ("rekord", "0.0.1")):
        raise TransparencyLogError(f"unsupported Rekor entry kind {kind} {version}")
    if not isinstance(logged_hash, dict) or logged_hash.get("algorithm") != "sha256":
        raise TransparencyLogError("entry does not record a sha256 payload hash")
    if logged_hash.get("value") != payload_sha256:
        raise TransparencyLogError("entry records another payload hash: it is not this signature's entry")
    if logged_signature != signature:
        raise TransparencyLogError("entry records another signature: it is not this signature's entry")
    if _public_key_der(logged_key) != _public_key_der(verifier_pem):
        raise TransparencyLogError(
            "entry records another certificate or key: it is not this signature's entry"
        )
    return str(kind)


# --- Merkle inclusion proofs (RFC 9162 §2.1.3.2) and checkpoints -------------------------


def leaf_hash(data: bytes) -> bytes:
    """RFC 6962 leaf hash."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 interior node hash."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_inclusion_proof(index: int, tree_size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The tree root that ``proof`` leads to from ``leaf`` at ``index`` (RFC 9162 §2.1.3.2)."""
    if not 0 <= index < tree_size:
        raise TransparencyLogError(f"inclusion proof index {index} is outside a tree of size {tree_size}")
    if len(proof) > MAX_INCLUSION_PROOF_HASHES:
        raise TransparencyLogError("inclusion proof is too long")
    fn, sn = index, tree_size - 1
    current = leaf
    for sibling in proof:
        if len(sibling) != 32:
            raise TransparencyLogError("inclusion proof hash is not 32 bytes")
        if sn == 0:
            raise TransparencyLogError("inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            current = node_hash(sibling, current)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            current = node_hash(current, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise TransparencyLogError("inclusion proof is shorter than the tree is deep")
    return current


@attrs.frozen(kw_only=True)
class Checkpoint:
    """A verified signed tree head: origin, size and root hash."""

    origin: str
    tree_size: int
    root_hash: bytes


def verify_checkpoint(envelope: str, trusted_root: TrustedRoot, log_id: bytes) -> Checkpoint:
    """Verify a signed-note checkpoint with the key of log ``log_id``; returns its contents."""
    body, separator, signatures = envelope.partition("\n\n")
    if not separator:
        raise TransparencyLogError("checkpoint has no signature block")
    lines = body.split("\n")
    if len(lines) < 3:
        raise TransparencyLogError("checkpoint body is too short")
    try:
        tree_size = int(lines[1])
        root_hash = base64.b64decode(lines[2], validate=True)
    except (ValueError, binascii.Error):
        raise TransparencyLogError("checkpoint body is malformed") from None
    log = trusted_root.tlog(log_id)
    if log is None:
        raise TransparencyLogError("checkpoint is for a log the trusted root does not know")
    signed = (body + "\n").encode()
    for line in signatures.split("\n"):
        if not line.startswith("\u2014 "):
            continue
        _, _, encoded = line[2:].rpartition(" ")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (ValueError, binascii.Error):
            continue
        if len(raw) < 5 or raw[:4] != log.key_id[:4]:
            continue
        try:
            verify_with(log.key, raw[4:], signed)
        except InvalidSignature:
            raise TransparencyLogError("checkpoint signature does not verify with the log's key") from None
        return Checkpoint(origin=lines[0], tree_size=tree_size, root_hash=root_hash)
    raise TransparencyLogError("checkpoint has no signature from the log's key")


def verify_inclusion(
    body: bytes,
    log_index: int,
    tree_size: int,
    hashes_: Sequence[bytes],
    root_hash: bytes,
    checkpoint: str | None,
    trusted_root: TrustedRoot,
    log_id: bytes,
) -> None:
    """The entry is in the tree whose (signed) root the checkpoint states."""
    computed = root_from_inclusion_proof(log_index, tree_size, leaf_hash(body), hashes_)
    if computed != root_hash:
        raise TransparencyLogError("inclusion proof does not lead to the stated root hash")
    if checkpoint is not None:
        signed = verify_checkpoint(checkpoint, trusted_root, log_id)
        if signed.root_hash != root_hash or signed.tree_size != tree_size:
            raise TransparencyLogError("inclusion proof does not match the signed checkpoint")


def payload_hash(payload: bytes) -> str:
    """Hex SHA-256 of a payload, as Rekor records it."""
    return hashlib.sha256(payload).hexdigest()


def describe(entry: LogEntry) -> str:
    """A one-line summary for reports."""
    return f"Rekor entry {entry.log_index} integrated at {entry.time.isoformat()} (log {entry.log_id.hex()[:16]})"
