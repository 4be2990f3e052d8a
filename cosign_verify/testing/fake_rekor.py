"""``FakeRekor``: a Rekor v1 log in memory, with SETs, inclusion proofs and signed checkpoints.

It is also an in-memory :class:`~cosign_verify.transparency.TransparencyLog`:
a verifier given ``FakeRekor`` (or ``FakeSigstore.rekor``) looks signatures
up here instead of over HTTP, and proves what it finds with the same checks
it applies to Rekor's answers.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import attrs
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from .._internal.crypto import key_id
from .._internal.log_entry import SignedContent
from .._internal.rekor import LogEntry, leaf_hash, node_hash
from .._internal.tlog import entry_from_cosign_bundle, first_verified
from ..trusted_root import TrustedRoot


def merkle_root(leaves: list[bytes]) -> bytes:
    """RFC 6962 Merkle tree hash of already-hashed leaves."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    split = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(merkle_root(leaves[:split]), merkle_root(leaves[split:]))


def inclusion_path(index: int, leaves: list[bytes]) -> list[bytes]:
    """RFC 6962 audit path for leaf ``index``."""
    if len(leaves) <= 1:
        return []
    split = 1 << ((len(leaves) - 1).bit_length() - 1)
    if index < split:
        return [*inclusion_path(index, leaves[:split]), merkle_root(leaves[split:])]
    return [*inclusion_path(index - split, leaves[split:]), merkle_root(leaves[:split])]


@attrs.frozen(kw_only=True)
class LogRecord:
    """One fake Rekor entry, with what a cosign bundle and the v1 API need."""

    uuid: str
    body: str
    integrated_time: int
    log_index: int
    log_id: str
    signed_entry_timestamp: str
    payload_sha256: str
    kind: str = "hashedrekord"

    def cosign_bundle(self) -> str:
        """The ``dev.sigstore.cosign/bundle`` annotation for this entry."""
        return json.dumps(
            {
                "SignedEntryTimestamp": self.signed_entry_timestamp,
                "Payload": {
                    "body": self.body,
                    "integratedTime": self.integrated_time,
                    "logIndex": self.log_index,
                    "logID": self.log_id,
                },
            },
            separators=(",", ":"),
        )


class FakeRekor:
    """An append-only fake Rekor log: ``records``, its ``key`` and ``log_id``, and its clock ``now``."""

    def __init__(self, *, now: Callable[[], datetime], origin: str = "rekor.fake.test - 1") -> None:
        self.now = now
        self.origin = origin
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.log_id = key_id(self.key.public_key())
        self.records: list[LogRecord] = []
        self._leaves: list[bytes] = []
        self._lock = threading.Lock()

    def log(
        self,
        payload: bytes,
        signature: bytes,
        verifier_pem: bytes,
        *,
        integrated_time: datetime | None = None,
        hash_algorithm: str = "sha256",
    ) -> LogRecord:
        """Append a hashedrekord entry for ``signature`` over ``payload`` and sign its SET.

        ``hash_algorithm`` is the payload digest the entry records (``sha256``, ``sha384``, ``sha512``).
        """
        digest = hashlib.sha256(payload).hexdigest()
        recorded = hashlib.new(hash_algorithm, payload).hexdigest()
        entry = {
            "apiVersion": "0.0.1",
            "kind": "hashedrekord",
            "spec": {
                "data": {"hash": {"algorithm": hash_algorithm, "value": recorded}},
                "signature": {
                    "content": base64.b64encode(signature).decode(),
                    "publicKey": {"content": base64.b64encode(verifier_pem).decode()},
                },
            },
        }
        return self._append(entry, digest, integrated_time)

    def log_dsse(
        self,
        payload: bytes,
        signature: bytes,
        verifier_pem: bytes,
        *,
        integrated_time: datetime | None = None,
    ) -> LogRecord:
        """Append a dsse 0.0.1 entry for a DSSE envelope's ``payload`` and ``signature``."""
        digest = hashlib.sha256(payload).hexdigest()
        entry = {
            "apiVersion": "0.0.1",
            "kind": "dsse",
            "spec": {
                "payloadHash": {"algorithm": "sha256", "value": digest},
                "signatures": [
                    {
                        "signature": base64.b64encode(signature).decode(),
                        "verifier": base64.b64encode(verifier_pem).decode(),
                    }
                ],
            },
        }
        return self._append(entry, digest, integrated_time)

    def _append(
        self, entry: dict[str, Any], payload_sha256: str, integrated_time: datetime | None
    ) -> LogRecord:
        import rfc8785

        body_bytes = json.dumps(entry, separators=(",", ":")).encode()
        body = base64.b64encode(body_bytes).decode()
        moment = int((integrated_time or self.now()).timestamp())
        with self._lock:
            index = len(self._leaves)
            self._leaves.append(leaf_hash(body_bytes))
            fields: dict[str, str | int] = {
                "body": body,
                "integratedTime": moment,
                "logIndex": index,
                "logID": self.log_id.hex(),
            }
            set_signature = self.key.sign(rfc8785.dumps(fields), ec.ECDSA(hashes.SHA256()))
            record = LogRecord(
                uuid=leaf_hash(body_bytes).hex(),
                body=body,
                integrated_time=moment,
                log_index=index,
                log_id=self.log_id.hex(),
                signed_entry_timestamp=base64.b64encode(set_signature).decode(),
                payload_sha256=payload_sha256,
                kind=str(entry["kind"]),
            )
            self.records.append(record)
        return record

    def checkpoint(self, tree_size: int | None = None) -> tuple[str, bytes]:
        """A signed-note checkpoint for the log at ``tree_size`` (default: now); returns it and the root."""
        with self._lock:
            leaves = self._leaves[: tree_size if tree_size is not None else len(self._leaves)]
        root = merkle_root(leaves)
        body = f"{self.origin}\n{len(leaves)}\n{base64.b64encode(root).decode()}\n"
        signature = self.key.sign(body.encode(), ec.ECDSA(hashes.SHA256()))
        note = base64.b64encode(self.log_id[:4] + signature).decode()
        signer = self.origin.split(" ")[0]  # like Rekor: the key's name is the host, without the tree id
        return f"{body}\n\u2014 {signer} {note}\n", root

    def entry_document(self, record: LogRecord) -> dict[str, Any]:
        """What Rekor's ``GET /api/v1/log/entries/{uuid}`` answers for ``record``."""
        with self._lock:
            leaves = list(self._leaves)
        checkpoint, root = self.checkpoint(len(leaves))
        return {
            record.uuid: {
                "body": record.body,
                "integratedTime": record.integrated_time,
                "logID": record.log_id,
                "logIndex": record.log_index,
                "verification": {
                    "signedEntryTimestamp": record.signed_entry_timestamp,
                    "inclusionProof": {
                        "checkpoint": checkpoint,
                        "hashes": [h.hex() for h in inclusion_path(record.log_index, leaves)],
                        "logIndex": record.log_index,
                        "rootHash": root.hex(),
                        "treeSize": len(leaves),
                    },
                },
            }
        }

    # --- the TransparencyLog protocol -------------------------------------------------

    def entry_from_bundle(self, bundle: str, content: SignedContent, trusted_root: TrustedRoot) -> LogEntry:
        """Verify a cosign bundle annotation offline, as every log does."""
        return entry_from_cosign_bundle(bundle, content, trusted_root)

    def lookup(self, payload: bytes, content: SignedContent, trusted_root: TrustedRoot) -> LogEntry:
        """Find ``payload``'s entries in memory and verify them as Rekor's answers are verified."""
        digest = hashlib.sha256(payload).hexdigest()
        candidates = [
            (r.uuid, self.entry_document(r)[r.uuid]) for r in self.records if r.payload_sha256 == digest
        ]
        return first_verified(candidates, content, trusted_root, "in-memory log")
