"""Verifying transparency-log entries as Rekor's API returns them: SET, body, inclusion proof, checkpoint.

Shared by every :class:`~cosign_verify.transparency.TransparencyLog`: where
an entry comes from (Rekor over HTTP, memory) changes, how it is proven does not.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..trusted_root import TrustedRoot
from .b64 import decode
from .failure import Failure, FailureReason
from .log_entry import SignedContent, check_entry
from .rekor import LogEntry, verify_cosign_bundle, verify_inclusion, verify_set

MAX_CANDIDATES = 16


def entry_from_cosign_bundle(bundle: str, content: SignedContent, trusted_root: TrustedRoot) -> LogEntry:
    """The entry in cosign's ``dev.sigstore.cosign/bundle`` annotation, verified offline (SET and body)."""
    entry = verify_cosign_bundle(bundle, trusted_root)
    check_entry(entry.body, content)
    return entry


def verify_api_entry(record: Any, content: SignedContent, trusted_root: TrustedRoot) -> LogEntry:
    """One entry as ``GET /api/v1/log/entries/<uuid>`` gives it: SET, body, inclusion proof and checkpoint."""
    try:
        verification = record["verification"]
        entry = verify_set(
            record["body"],
            record["integratedTime"],
            record["logIndex"],
            record["logID"],
            decode(verification["signedEntryTimestamp"], "signedEntryTimestamp", FailureReason.TLOG_INVALID),
            trusted_root,
        )
        check_entry(entry.body, content)
        proof = verification["inclusionProof"]
        verify_inclusion(
            entry.body,
            int(proof["logIndex"]),
            int(proof["treeSize"]),
            [bytes.fromhex(h) for h in proof["hashes"]],
            bytes.fromhex(proof["rootHash"]),
            proof.get("checkpoint"),
            trusted_root,
            entry.log_id,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise Failure(FailureReason.TLOG_INVALID, f"malformed ({exc})") from None
    return entry


def first_verified(
    records: Iterable[tuple[str, Any]], content: SignedContent, trusted_root: TrustedRoot, where: str
) -> LogEntry:
    """The first of ``(uuid, record)`` that verifies for ``content``; a :class:`Failure` listing why none did."""
    reasons: list[str] = []
    for uuid, record in records:
        try:
            return verify_api_entry(record, content, trusted_root)
        except Failure as exc:
            reasons.append(f"entry {uuid[:16]}: {exc.message}")
    raise Failure(
        FailureReason.TLOG_INVALID if reasons else FailureReason.TLOG_UNAVAILABLE,
        f"no {where} entry verifies for this signature: " + "; ".join(reasons or ["none found"]),
    )
