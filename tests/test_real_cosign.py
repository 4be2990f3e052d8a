"""Signatures real signers made (../shared/vectors/real-cosign), through the public API, with derived negatives.

Each vector is laid out as cosign lays it out (a ``.sig`` manifest whose
layers are the payloads with their annotations, or a bundle referrer) and
verified offline against Sigstore's public-good trusted root. Every vector
must pass; a flipped signature byte, another subject digest, a changed
payload, and another key or identity must each be refused for its reason.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

import pytest

from cosign_verify import (
    CosignVerifier,
    Executor,
    FailureReason,
    InlineKeyProvider,
    Keyless,
    KeyProviders,
    KeyRef,
    MemoryStore,
    Reference,
    TrustPolicy,
    VerificationResult,
)
from cosign_verify.mediatypes import COSIGN_SIGNATURE_ARTIFACT_TYPE, OCI_IMAGE_MANIFEST, SIGSTORE_BUNDLE_V03
from cosign_verify.store import cosign_signature_tag
from cosign_verify.testing import generate_key_pair

from .conftest import ROOT

VECTORS = ROOT.parent / "shared" / "vectors" / "real-cosign"
if not VECTORS.is_dir():
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"{VECTORS} is missing; CI must run the real-signer tests")
    pytest.skip("../shared/vectors is not present (a user's clone)", allow_module_level=True)

NAMES = sorted(
    p.stem for p in VECTORS.glob("*.json") if json.loads(p.read_text())["kind"] in ("legacy", "bundle")
)
OTHER_DIGEST = "sha256:" + "ab" * 32


def load(name: str) -> dict[str, Any]:
    return json.loads((VECTORS / f"{name}.json").read_text())  # type: ignore[no-any-return]


def lay_out(vector: dict[str, Any], subject: Reference) -> MemoryStore:
    """The vector in a store, as cosign writes it, under ``subject``."""
    store = MemoryStore()
    config = store.push_blob(subject, b"{}")
    if vector["kind"] == "bundle":
        bundle = store.push_blob(subject, vector["bundle"].encode())
        referrer = {
            "schemaVersion": 2,
            "mediaType": OCI_IMAGE_MANIFEST,
            "artifactType": SIGSTORE_BUNDLE_V03,
            "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": config.digest, "size": 2},
            "layers": [{"mediaType": SIGSTORE_BUNDLE_V03, "digest": bundle.digest, "size": bundle.size}],
            "subject": {"mediaType": OCI_IMAGE_MANIFEST, "digest": subject.digest, "size": 0},
        }
        store.push_manifest(subject, json.dumps(referrer).encode())
        return store
    layers = []
    for layer in vector["layers"]:
        blob = store.push_blob(subject, layer["payload"].encode())
        layers.append(
            {
                "mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
                "digest": blob.digest,
                "size": blob.size,
                "annotations": layer["annotations"],
            }
        )
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_IMAGE_MANIFEST,
        "config": config.to_dict(),
        "layers": layers,
    }
    store.push_manifest(
        subject, json.dumps(manifest).encode(), tag=cosign_signature_tag(subject.digest or "")
    )
    return store


def policy(vector: dict[str, Any], **keyless_overrides: str) -> TrustPolicy:
    tlog = bool(vector.get("tLogVerify", True))
    if "keyless" in vector:
        fields = {
            "certificate_identity": vector["keyless"]["certificateIdentity"],
            "certificate_oidc_issuer": vector["keyless"]["certificateOIDCIssuer"],
            **keyless_overrides,
        }
        return TrustPolicy(name="real", scopes=["*"], keyless=Keyless(**fields), tlog_verify=tlog)
    return TrustPolicy(name="real", scopes=["*"], keys=[KeyRef(provider="kp")], tlog_verify=tlog)


def verify(
    vector: dict[str, Any],
    store: MemoryStore,
    subject: Reference,
    keys: list[str] | None = None,
    **overrides: str,
) -> VerificationResult:
    providers = KeyProviders()
    if "keyless" not in vector:
        providers.add(InlineKeyProvider("kp", "".join(keys if keys is not None else vector["keys"])))
    verifier = CosignVerifier(
        [policy(vector, **overrides)],
        providers,
        artifact_types=(COSIGN_SIGNATURE_ARTIFACT_TYPE, SIGSTORE_BUNDLE_V03),
    )
    return Executor(store, [verifier]).verify(subject)


def reasons(result: VerificationResult) -> set[FailureReason | None]:
    found: set[FailureReason | None] = set()
    for report in result.verifier_reports:
        for signature in report.signatures:
            found.add(signature.reason)
            found.update(v.reason for v in signature.verifications)
    return found - {None}


@pytest.mark.parametrize("name", NAMES)
def test_real_signature_verifies(name: str) -> None:
    vector = load(name)
    assert vector["expect"] == "valid"
    subject = Reference.parse(vector["subject"])
    result = verify(vector, lay_out(vector, subject), subject)
    assert result.is_success, json.dumps(result.to_dict(), indent=1)


@pytest.mark.parametrize("name", NAMES)
def test_flipped_signature_byte_is_refused(name: str) -> None:
    vector = load(name)
    subject = Reference.parse(vector["subject"])
    if vector["kind"] == "bundle":
        bundle = json.loads(vector["bundle"])
        signatures = bundle["dsseEnvelope"]["signatures"]
        signatures[0]["sig"] = _flip(signatures[0]["sig"])
        vector = {**vector, "bundle": json.dumps(bundle)}
    else:
        layers = [dict(layer, annotations=dict(layer["annotations"])) for layer in vector["layers"]]
        for layer in layers:
            key = "dev.cosignproject.cosign/signature"
            layer["annotations"][key] = _flip(layer["annotations"][key])
        vector = {**vector, "layers": layers}
    result = verify(vector, lay_out(vector, subject), subject)
    assert not result.is_success
    # A bundle's RFC 3161 timestamp is over the signature bytes, so it is what fails first there.
    expected = (
        FailureReason.TIMESTAMP_INVALID if vector["kind"] == "bundle" else FailureReason.SIGNATURE_INVALID
    )
    assert expected in reasons(result), reasons(result)


@pytest.mark.parametrize("name", NAMES)
def test_signature_moved_to_another_digest_is_refused(name: str) -> None:
    vector = load(name)
    moved = Reference.parse(vector["subject"]).with_digest(OTHER_DIGEST)
    result = verify(vector, lay_out(vector, moved), moved)
    assert not result.is_success
    assert FailureReason.SUBJECT_MISMATCH in reasons(result), reasons(result)


@pytest.mark.parametrize("name", NAMES)
def test_changed_payload_is_refused(name: str) -> None:
    vector = load(name)
    subject = Reference.parse(vector["subject"])
    if vector["kind"] == "bundle":
        bundle = json.loads(vector["bundle"])
        statement = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
        statement["predicate"] = {"changed": True}
        bundle["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
        vector = {**vector, "bundle": json.dumps(bundle)}
    else:
        layers = [dict(layer) for layer in vector["layers"]]
        for layer in layers:
            payload = json.loads(layer["payload"])
            payload["optional"] = {"changed": "yes"}
            layer["payload"] = json.dumps(payload, separators=(",", ":"))
        vector = {**vector, "layers": layers}
    result = verify(vector, lay_out(vector, subject), subject)
    assert not result.is_success
    assert reasons(result) & {FailureReason.SIGNATURE_INVALID, FailureReason.TLOG_INVALID}, reasons(result)


@pytest.mark.parametrize("name", NAMES)
def test_another_key_or_identity_is_refused(name: str) -> None:
    vector = load(name)
    subject = Reference.parse(vector["subject"])
    store = lay_out(vector, subject)
    if "keyless" in vector:
        result = verify(vector, store, subject, certificate_identity="someone@else.example")
        assert FailureReason.IDENTITY_MISMATCH in reasons(result), reasons(result)
    else:
        kinds = {"MFkw": "ecdsa-p256", "MIIB": "rsa-2048"}
        key_type = next(kinds[p] for p in kinds if p in vector["keys"][0])
        result = verify(vector, store, subject, keys=[generate_key_pair(key_type).public_pem()])
        assert FailureReason.SIGNATURE_INVALID in reasons(result), reasons(result)
    assert not result.is_success


def _flip(encoded: str) -> str:
    raw = bytearray(base64.b64decode(encoded))
    raw[len(raw) // 2] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()
