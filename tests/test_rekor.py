"""Merkle inclusion proofs, checkpoints, SETs (``_internal/rekor.py``) and entry bodies (``_internal/log_entry.py``)."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cosign_verify import FailureReason, TrustedRoot
from cosign_verify._internal.crypto import spki_of_pem
from cosign_verify._internal.log_entry import SignedContent, check_entry
from cosign_verify._internal.rekor import (
    leaf_hash,
    root_from_inclusion_proof,
    verify_checkpoint,
    verify_cosign_bundle,
    verify_inclusion,
)
from cosign_verify.testing import FakeSigstore
from cosign_verify.testing.fake_rekor import inclusion_path, merkle_root

from .conftest import fails_with

INVALID = FailureReason.TLOG_INVALID


@settings(deadline=None)
@given(size=st.integers(min_value=1, max_value=70), data=st.data())
def test_inclusion_proofs_reach_the_root(size: int, data: st.DataObject) -> None:
    leaves = [leaf_hash(bytes([i % 256, i // 256])) for i in range(size)]
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    proof = inclusion_path(index, leaves)
    assert root_from_inclusion_proof(index, size, leaves[index], proof) == merkle_root(leaves)
    if proof:
        bad = list(proof)
        bad[data.draw(st.integers(0, len(bad) - 1))] = b"\x00" * 32
        assert root_from_inclusion_proof(index, size, leaves[index], bad) != merkle_root(leaves)


@pytest.mark.parametrize(
    ("index", "size", "proof", "message"),
    [
        (5, 5, [], "outside a tree of size 5"),
        (0, 4, [b"\x00" * 32], "shorter than the tree is deep"),
        (0, 2, [b"\x00" * 32, b"\x00" * 32], "longer than the tree is deep"),
        (0, 2, [b"\x00" * 31], "not 32 bytes"),
    ],
)
def test_malformed_inclusion_proofs(index: int, size: int, proof: list[bytes], message: str) -> None:
    with fails_with(INVALID, message):
        root_from_inclusion_proof(index, size, b"\x11" * 32, proof)


@pytest.fixture(scope="module")
def fake() -> FakeSigstore:
    sigstore = FakeSigstore()
    for n in range(5):
        sigstore.log(f"payload {n}".encode(), b"sig", b"-----BEGIN PUBLIC KEY-----\n")
    return sigstore


@pytest.fixture(scope="module")
def root(fake: FakeSigstore) -> TrustedRoot:
    return TrustedRoot.from_json(fake.trusted_root_json())


def test_checkpoint_verifies_and_tampering_fails(fake: FakeSigstore, root: TrustedRoot) -> None:
    note, tree_root = fake.checkpoint()
    checkpoint = verify_checkpoint(note, root, fake.rekor_log_id)
    assert (checkpoint.tree_size, checkpoint.root_hash, checkpoint.origin) == (5, tree_root, fake.origin)
    tampered = note.replace("\n5\n", "\n6\n", 1)
    with fails_with(INVALID, "checkpoint signature does not verify"):
        verify_checkpoint(tampered, root, fake.rekor_log_id)
    with fails_with(INVALID, "no signature block"):
        verify_checkpoint(note.split("\n\n")[0], root, fake.rekor_log_id)
    other = FakeSigstore()
    foreign, _ = other.checkpoint()
    with fails_with(INVALID, "no signature from the log's key"):
        verify_checkpoint(foreign, root, fake.rekor_log_id)


def test_inclusion_against_checkpoint(fake: FakeSigstore, root: TrustedRoot) -> None:
    record = fake.records[2]
    document = fake.entry_document(record)[record.uuid]
    proof = document["verification"]["inclusionProof"]
    body = base64.b64decode(record.body)
    hashes = [bytes.fromhex(h) for h in proof["hashes"]]
    verify_inclusion(
        body,
        2,
        proof["treeSize"],
        hashes,
        bytes.fromhex(proof["rootHash"]),
        proof["checkpoint"],
        root,
        fake.rekor_log_id,
    )
    with fails_with(INVALID, "does not lead to its root hash"):
        verify_inclusion(
            body,
            1,
            proof["treeSize"],
            hashes,
            bytes.fromhex(proof["rootHash"]),
            proof["checkpoint"],
            root,
            fake.rekor_log_id,
        )
    # Without a checkpoint the proof leads only to the root hash it states itself: that proves nothing.
    with fails_with(INVALID, "inclusion proof has no signed checkpoint"):
        verify_inclusion(
            body,
            2,
            proof["treeSize"],
            hashes,
            bytes.fromhex(proof["rootHash"]),
            None,
            root,
            fake.rekor_log_id,
        )
    other_root = bytes.fromhex(
        fake.entry_document(fake.records[0])[fake.records[0].uuid]["verification"]["inclusionProof"][
            "rootHash"
        ]
    )
    assert other_root == bytes.fromhex(proof["rootHash"])
    stale, _ = fake.checkpoint(3)
    with fails_with(INVALID, "does not match the signed checkpoint"):
        verify_inclusion(
            body,
            2,
            proof["treeSize"],
            hashes,
            bytes.fromhex(proof["rootHash"]),
            stale,
            root,
            fake.rekor_log_id,
        )


def test_set_checks(fake: FakeSigstore, root: TrustedRoot) -> None:
    record = fake.records[0]
    entry = verify_cosign_bundle(record.cosign_bundle(), root)
    assert entry.log_index == 0 and entry.integrated_time == record.integrated_time
    document = json.loads(record.cosign_bundle())
    for field, value, message in [
        ("integratedTime", record.integrated_time + 1, "does not verify"),
        ("logIndex", 7, "does not verify"),
        ("logIndex", -1, "non-negative"),
        ("integratedTime", "now", "integer from 0 to"),
        ("integratedTime", 10**30, "integer from 0 to"),
        ("logIndex", 2**64, "64-bit"),
        ("logID", "zz", "not hex"),
        ("logID", "00" * 32, "does not know"),
        ("body", "!!", "not valid base64"),
    ]:
        changed = json.loads(json.dumps(document))
        changed["Payload"][field] = value
        with fails_with(INVALID, message):
            verify_cosign_bundle(json.dumps(changed), root)
    with fails_with(INVALID, "no Payload"):
        verify_cosign_bundle("{}", root)
    with fails_with(INVALID, "not valid JSON"):
        verify_cosign_bundle("{", root)


def test_entry_body_checks(fake: FakeSigstore) -> None:
    certificate, key = fake.issue()
    from cryptography.hazmat.primitives import serialization

    pem = certificate.public_bytes(serialization.Encoding.PEM)
    record = fake.log(b"payload", b"signature", pem)
    body = base64.b64decode(record.body)

    def content(
        signature: bytes = b"signature", payload: bytes = b"payload", verifier: bytes = pem
    ) -> SignedContent:
        return SignedContent(
            signature=signature,
            verifier_spki=spki_of_pem(verifier, "verifier"),
            artifact_sha256=hashlib.sha256(payload).digest(),
        )

    assert check_entry(body, content()) == "hashedrekord"
    key_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert check_entry(body, content(verifier=key_pem)) == "hashedrekord"
    with fails_with(INVALID, "another artifact hash"):
        check_entry(body, content(payload=b"other payload"))
    with fails_with(INVALID, "another signature"):
        check_entry(body, content(signature=b"other"))
    other_cert, _ = fake.issue()
    with fails_with(INVALID, "another certificate or key"):
        check_entry(body, content(verifier=other_cert.public_bytes(serialization.Encoding.PEM)))
    with fails_with(FailureReason.UNSUPPORTED):
        check_entry(body.replace(b"hashedrekord", b"intoto"), content())
    with fails_with(FailureReason.MALFORMED, "not a Rekor entry"):
        check_entry(b"{}", content())
    with fails_with(INVALID, "the bundle says dsse 0.0.1"):
        check_entry(body, content(), declared=("dsse", "0.0.1"))
