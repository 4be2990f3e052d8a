"""Real cosign keyless signatures from public images (../shared/vectors/cosign-legacy), verified offline."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from cosign_verify import (
    CosignVerifier,
    Executor,
    FailureReason,
    Keyless,
    MemoryStore,
    Reference,
    TrustPolicy,
    VerificationResult,
)
from cosign_verify.mediatypes import OCI_IMAGE_MANIFEST
from cosign_verify.store import cosign_signature_tag

from .conftest import ROOT

VECTORS = ROOT.parent / "shared" / "vectors" / "cosign-legacy"
if not VECTORS.is_dir():
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"{VECTORS} is missing; CI must run the public-vector tests")
    pytest.skip("../shared/vectors is not present (a user's clone)", allow_module_level=True)


def load(name: str) -> dict[str, Any]:
    return json.loads((VECTORS / name).read_text())  # type: ignore[no-any-return]


def store_with(
    vector: dict[str, Any], layer_override: dict[str, Any] | None = None, payload: bytes | None = None
) -> tuple[MemoryStore, Reference]:
    store = MemoryStore()
    subject = Reference.parse(vector["subject"])
    layer = {**vector["layer"], **(layer_override or {})}
    data = payload if payload is not None else vector["payload"].encode()
    store.put_raw_blob(subject, layer["digest"], data)
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_IMAGE_MANIFEST,
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": "sha256:" + "0" * 64,
            "size": 0,
        },
        "layers": [layer],
    }
    assert subject.digest
    store.push_manifest(subject, json.dumps(manifest).encode(), tag=cosign_signature_tag(subject.digest))
    return store, subject


def keyless_policy(vector: dict[str, Any], **overrides: Any) -> TrustPolicy:
    keyless = {
        "certificate_identity": vector["certificateIdentity"],
        "certificate_oidc_issuer": vector["certificateOIDCIssuer"],
        **overrides,
    }
    return TrustPolicy(name="public", scopes=["*"], keyless=Keyless(**keyless))


def verify(store: MemoryStore, subject: Reference, policy: TrustPolicy) -> dict[str, Any]:
    return check(store, subject, policy).to_dict()


def check(store: MemoryStore, subject: Reference, policy: TrustPolicy) -> VerificationResult:
    return Executor(store, [CosignVerifier([policy])]).verify(subject)


def failure(result: VerificationResult) -> FailureReason | None:
    """The reason the one signature of a failed result failed (its own, else its one check's)."""
    assert not result.is_success
    [report] = result.verifier_reports
    [signature] = report.signatures
    first = signature.first_error
    assert first is not None
    return first[1]


def test_real_keyless_signature_verifies_offline() -> None:
    vector = load("ratify-keyless-valid.json")
    assert vector["expect"] == "valid"
    store, subject = store_with(vector)
    result = verify(store, subject, keyless_policy(vector))
    assert result["isSuccess"] is True, result
    [check] = result["verifierReports"][0]["extensions"]["signatures"][0]["verifications"]
    assert check["bundleVerified"] is True
    summary = "\n".join(check["summary"])
    assert "offline from the bundle (SET verified)" in summary
    assert "embedded SCT verified" in summary
    assert "identity 'sozercan@gmail.com' matched" in summary
    assert "certificate chains to CN=sigstore-intermediate,O=sigstore.dev" in summary


def test_real_signature_with_corrupted_set_fails() -> None:
    vector = load("ratify-keyless-corrupt-set.json")
    assert vector["expect"].startswith("invalid")
    store, subject = store_with(vector)
    assert failure(check(store, subject, keyless_policy(vector))) is FailureReason.TLOG_INVALID


@pytest.mark.parametrize(
    "field",
    ["dev.cosignproject.cosign/signature", "dev.sigstore.cosign/bundle", "dev.sigstore.cosign/certificate"],
)
def test_real_signature_with_a_flipped_byte_fails(field: str) -> None:
    vector = load("ratify-keyless-valid.json")
    annotations = dict(vector["layer"]["annotations"])
    value = annotations[field]
    middle = len(value) // 2
    flipped = value[:middle] + ("A" if value[middle] != "A" else "B") + value[middle + 1 :]
    annotations[field] = flipped
    store, subject = store_with(vector, {"annotations": annotations})
    assert verify(store, subject, keyless_policy(vector))["isSuccess"] is False


def test_real_signature_with_a_flipped_payload_byte_fails() -> None:
    vector = load("ratify-keyless-valid.json")
    payload = bytearray(vector["payload"].encode())
    payload[20] ^= 0x01
    store, subject = store_with(vector, payload=bytes(payload))
    assert failure(check(store, subject, keyless_policy(vector))) is FailureReason.DIGEST_MISMATCH


def test_real_signature_wrong_identity_and_issuer() -> None:
    vector = load("ratify-keyless-valid.json")
    store, subject = store_with(vector)
    wrong_identity = check(store, subject, keyless_policy(vector, certificate_identity="someone@else.com"))
    assert failure(wrong_identity) is FailureReason.IDENTITY_MISMATCH
    wrong_issuer = check(
        store, subject, keyless_policy(vector, certificate_oidc_issuer="https://accounts.google.com")
    )
    assert failure(wrong_issuer) is FailureReason.IDENTITY_MISMATCH
    partial = check(
        store,
        subject,
        keyless_policy(vector, certificate_identity=None, certificate_identity_regexp="sozercan"),
    )
    assert failure(partial) is FailureReason.IDENTITY_MISMATCH  # a regexp must match the whole value
    whole = verify(
        store,
        subject,
        keyless_policy(vector, certificate_identity=None, certificate_identity_regexp=r"sozercan@.*"),
    )
    assert whole["isSuccess"] is True
