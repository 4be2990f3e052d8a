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
from .numbers import read_int
from .rekor import (
    MAX_INCLUSION_PROOF_HASHES,
    LogEntry,
    invalid,
    verify_cosign_bundle,
    verify_inclusion,
    verify_set,
)

MAX_CANDIDATES = 16


def entry_from_cosign_bundle(bundle: str, content: SignedContent, trusted_root: TrustedRoot) -> LogEntry:
    """The entry in cosign's ``dev.sigstore.cosign/bundle`` annotation, verified offline (SET and body)."""
    entry = verify_cosign_bundle(bundle, trusted_root)
    check_entry(entry.body, content)
    return entry


def _hex(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise invalid(f"malformed ({what} is not a hex string)")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise invalid(f"malformed ({what} is not hex)") from None


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid(f"malformed (no {what} object)")
    return value


def verify_api_entry(record: Any, content: SignedContent, trusted_root: TrustedRoot) -> LogEntry:
    """One entry as ``GET /api/v1/log/entries/<uuid>`` gives it: SET, body, inclusion proof and checkpoint.

    Every part is required, the checkpoint included: an inclusion proof without
    one leads only to the root hash the same answer states (as sigstore-python,
    which refuses such an entry; cosign relies on the SET alone there).
    """
    verification = _object(_object(record, "entry").get("verification"), "verification")
    entry = verify_set(
        record.get("body"),
        record.get("integratedTime"),
        record.get("logIndex"),
        record.get("logID"),
        decode(verification.get("signedEntryTimestamp"), "signedEntryTimestamp", FailureReason.TLOG_INVALID),
        trusted_root,
    )
    check_entry(entry.body, content)
    proof = _object(verification.get("inclusionProof"), "inclusionProof")
    hashes = proof.get("hashes")
    if not isinstance(hashes, list) or len(hashes) > MAX_INCLUSION_PROOF_HASHES:
        raise invalid(
            f"malformed (inclusionProof.hashes is not a list of at most {MAX_INCLUSION_PROOF_HASHES})"
        )
    verify_inclusion(
        entry.body,
        read_int(proof.get("logIndex"), "inclusionProof.logIndex", invalid),
        read_int(proof.get("treeSize"), "inclusionProof.treeSize", invalid),
        [_hex(h, "inclusionProof.hashes[]") for h in hashes],
        _hex(proof.get("rootHash"), "inclusionProof.rootHash"),
        proof.get("checkpoint"),
        trusted_root,
        entry.log_id,
    )
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
