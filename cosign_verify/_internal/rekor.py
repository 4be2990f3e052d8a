"""Rekor transparency-log proofs: signed entry timestamps, inclusion proofs, checkpoints.

A legacy cosign signature carries a bundle with only a SignedEntryTimestamp
(SET), which ``sigstore``'s bundle model cannot hold (it requires an
inclusion proof), so these checks are written here with ``cryptography`` and
``rfc8785``. What an entry's body must say is checked in ``log_entry.py``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

import attrs

from ..trusted_root import LogInstance, TrustedRoot
from .b64 import decode
from .crypto import verify
from .failure import Failure, FailureReason
from .numbers import read_int
from .strict_json import loads_strict

MAX_INCLUSION_PROOF_HASHES = 64
MAX_INTEGRATED_TIME = 253402300799  # 9999-12-31T23:59:59Z, the last second a datetime can hold


def invalid(message: str) -> Failure:
    """A transparency-log proof that is missing, malformed or does not verify."""
    return Failure(FailureReason.TLOG_INVALID, message)


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


def _b64(value: Any, what: str) -> bytes:
    return decode(value, what, FailureReason.TLOG_INVALID)


def trusted_log(trusted_root: TrustedRoot, log_id: bytes, when: datetime) -> LogInstance:
    """The trusted root's log ``log_id``, if its key was valid at ``when``; a ``TLOG_INVALID`` failure otherwise."""
    log = trusted_root.tlog(log_id)
    if log is None:
        raise invalid(
            f"entry is from a transparency log the trusted root does not know ({log_id.hex()[:16]})"
        )
    if not log.validity.contains(when):
        raise invalid(f"the transparency log key {log_id.hex()[:16]} was not valid at {when.isoformat()}")
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

    integrated_time = read_int(
        integrated_time,
        "integratedTime",
        lambda _: invalid(f"integratedTime must be an integer from 0 to {MAX_INTEGRATED_TIME}"),
        highest=MAX_INTEGRATED_TIME,
    )
    log_index = read_int(
        log_index, "logIndex", lambda _: invalid("logIndex must be a non-negative 64-bit integer")
    )
    try:
        log_id = bytes.fromhex(log_id_hex)
    except (TypeError, ValueError):
        raise invalid("logID is not hex") from None
    entry = LogEntry(
        body=_b64(body, "entry body"), integrated_time=integrated_time, log_index=log_index, log_id=log_id
    )
    log = trusted_log(trusted_root, log_id, entry.time)
    canonical = rfc8785.dumps(
        {"body": body, "integratedTime": integrated_time, "logIndex": log_index, "logID": log_id_hex}
    )
    if verify(log.key, signed_entry_timestamp, canonical) is None:
        raise invalid("the SignedEntryTimestamp does not verify with the transparency log's key")
    return entry


def verify_cosign_bundle(bundle: str, trusted_root: TrustedRoot) -> LogEntry:
    """Verify the ``dev.sigstore.cosign/bundle`` annotation offline (the SET)."""
    try:
        document = loads_strict(bundle, "Rekor bundle")
    except Failure as exc:
        raise invalid(exc.message) from None
    if not isinstance(document, dict) or not isinstance(document.get("Payload"), dict):
        raise invalid("Rekor bundle has no Payload")
    payload = document["Payload"]
    return verify_set(
        payload.get("body"),
        payload.get("integratedTime"),
        payload.get("logIndex"),
        payload.get("logID"),
        _b64(document.get("SignedEntryTimestamp"), "SignedEntryTimestamp"),
        trusted_root,
    )


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
        raise invalid(f"inclusion proof index {index} is outside a tree of size {tree_size}")
    if len(proof) > MAX_INCLUSION_PROOF_HASHES:
        raise invalid("inclusion proof is too long")
    fn, sn = index, tree_size - 1
    current = leaf
    for sibling in proof:
        if len(sibling) != 32:
            raise invalid("inclusion proof hash is not 32 bytes")
        if sn == 0:
            raise invalid("inclusion proof is longer than the tree is deep")
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
        raise invalid("inclusion proof is shorter than the tree is deep")
    return current


@attrs.frozen(kw_only=True)
class Checkpoint:
    """A verified signed tree head: origin, size and root hash."""

    origin: str
    tree_size: int
    root_hash: bytes


def verify_checkpoint(envelope: str, trusted_root: TrustedRoot, log_id: bytes) -> Checkpoint:
    """Verify a signed-note checkpoint with the key of log ``log_id``; returns its contents."""
    if not isinstance(envelope, str):
        raise invalid("checkpoint is not a string")
    try:
        envelope.encode()
    except UnicodeEncodeError:
        raise invalid("checkpoint is not Unicode text (it holds a lone surrogate)") from None
    body, separator, signatures = envelope.partition("\n\n")
    if not separator:
        raise invalid("checkpoint has no signature block")
    lines = body.split("\n")
    if len(lines) < 3:
        raise invalid("checkpoint body is too short")
    try:
        tree_size = int(lines[1])
        root_hash = base64.b64decode(lines[2], validate=True)
    except (ValueError, binascii.Error):
        raise invalid("checkpoint body is malformed") from None
    log = trusted_root.tlog(log_id)
    if log is None:
        raise invalid("checkpoint is for a log the trusted root does not know")
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
        if verify(log.key, raw[4:], signed) is None:
            raise invalid("checkpoint signature does not verify with the log's key")
        return Checkpoint(origin=lines[0], tree_size=tree_size, root_hash=root_hash)
    raise invalid("checkpoint has no signature from the log's key")


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
    """The entry is in the tree whose root the log signed in ``checkpoint``.

    Without a checkpoint the proof would lead only to the root hash its own
    answer states, which proves nothing: a missing checkpoint fails.
    """
    computed = root_from_inclusion_proof(log_index, tree_size, leaf_hash(body), hashes_)
    if computed != root_hash:
        raise invalid("inclusion proof does not lead to its root hash")
    if checkpoint is None:
        raise invalid("inclusion proof has no signed checkpoint (its root hash would be unproven)")
    signed = verify_checkpoint(checkpoint, trusted_root, log_id)
    if signed.root_hash != root_hash or signed.tree_size != tree_size:
        raise invalid("inclusion proof does not match the signed checkpoint")


def describe(entry: LogEntry) -> str:
    """A one-line summary for reports."""
    return f"Rekor entry {entry.log_index} integrated at {entry.time.isoformat()} (log {entry.log_id.hex()[:16]})"
