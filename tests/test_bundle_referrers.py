"""Sigstore bundles attached as OCI referrers (cosign v3): verification, policy, and the attacks."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cosign_verify import (
    ConfigPolicy,
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
    verify_bundle,
)
from cosign_verify.mediatypes import COSIGN_SIGNATURE_ARTIFACT_TYPE as SIG
from cosign_verify.mediatypes import SIGSTORE_BUNDLE_V03 as BUNDLE
from cosign_verify.report import KeyVerification
from cosign_verify.testing import (
    FakeSigstore,
    KeyPair,
    SignOptions,
    attach_bundle,
    make_statement,
    push_image,
    sign_image,
)

IDENTITY, ISSUER = "builder@example.com", "https://issuer.example"


@pytest.fixture(scope="module")
def fake() -> FakeSigstore:
    return FakeSigstore()


@pytest.fixture
def root(fake: FakeSigstore, tmp_path: Path) -> Path:
    return fake.write_trusted_root(tmp_path / "trusted_root.json")


def keyless_verifier(
    root: Path, artifact_types: tuple[str, ...] = (SIG, BUNDLE), **keyless: Any
) -> CosignVerifier:
    fields = {"certificate_identity": IDENTITY, "certificate_oidc_issuer": ISSUER, **keyless}
    policy = TrustPolicy(
        name="keyless", scopes=["r.example/*"], keyless=Keyless(**fields), trusted_root=str(root)
    )
    return CosignVerifier([policy], artifact_types=artifact_types)


def verify(
    store: MemoryStore, image: Reference, verifier: CosignVerifier, rules: dict[str, str] | None = None
) -> VerificationResult:
    return Executor(store, [verifier], ConfigPolicy(rules or {})).verify(image)


def run(
    store: MemoryStore, image: Reference, verifier: CosignVerifier, rules: dict[str, str] | None = None
) -> dict[str, Any]:
    return verify(store, image, verifier, rules).to_dict()


def bundle_of(store: MemoryStore, image: Reference) -> dict[str, Any]:
    assert image.digest
    [referrer] = [
        d for d in store.list_referrers(image.with_digest(image.digest)) if d.artifact_type == BUNDLE
    ]
    manifest = json.loads(store.fetch_manifest(image, referrer.digest))
    return json.loads(store.fetch_blob(image, manifest["layers"][0]["digest"]))  # type: ignore[no-any-return]


def first_check(result: dict[str, Any]) -> dict[str, Any]:
    [report] = result["verifierReports"]
    return report["extensions"]["signatures"][0]["verifications"][0]  # type: ignore[no-any-return]


def failed_check(result: VerificationResult) -> KeyVerification:
    """The first check of the only report of a failed result."""
    assert not result.is_success
    [report] = result.verifier_reports
    check = report.signatures[0].verifications[0]
    assert not check.is_success
    return check


def test_keyless_bundle_referrer(store: MemoryStore, fake: FakeSigstore, root: Path) -> None:
    image = push_image(store, "r.example/team/app:v1")
    sign_image(store, image, fake.signer(IDENTITY, ISSUER), SignOptions(format="bundle"))
    result = run(store, image, keyless_verifier(root))
    assert result["isSuccess"] is True, result
    report = result["verifierReports"][0]
    assert report["artifactType"] == BUNDLE
    assert first_check(result)["bundleVerified"] is True


def test_key_based_bundle_referrer(
    store: MemoryStore, fake: FakeSigstore, root: Path, key_pair: Callable[..., KeyPair]
) -> None:
    pair, other = key_pair(), key_pair("ecdsa-p256", 1)
    image = push_image(store, "r.example/team/app:v1")
    sign_image(store, image, pair, SignOptions(rekor=fake, format="bundle"))
    policy = TrustPolicy(
        name="keys", scopes=["r.example/*"], keys=[KeyRef(provider="kp")], trusted_root=str(root)
    )
    providers = KeyProviders([InlineKeyProvider("kp", other.public_pem() + pair.public_pem())])
    result = verify(store, image, CosignVerifier([policy], providers, artifact_types=[BUNDLE]))
    assert result.is_success, result.to_dict()
    checks = result.verifier_reports[0].signatures[0].verifications
    assert [c.is_success for c in checks] == [False, True]
    assert checks[0].reason is FailureReason.SIGNATURE_INVALID


def test_bundles_need_a_verifier_configured_for_them(
    store: MemoryStore, fake: FakeSigstore, root: Path
) -> None:
    image = push_image(store, "r.example/team/app:v1")
    sign_image(store, image, fake.signer(IDENTITY, ISSUER), SignOptions(format="bundle"))
    result = run(store, image, keyless_verifier(root, artifact_types=(SIG,)))
    assert result["isSuccess"] is False
    assert result["verifierReports"] == []


def test_legacy_and_bundle_together_follow_the_policy(
    store: MemoryStore, fake: FakeSigstore, root: Path
) -> None:
    image = push_image(store, "r.example/team/app:v1")
    sign_image(store, image, fake.signer(IDENTITY, ISSUER), SignOptions(format="bundle"))
    sign_image(store, image, fake.signer("intruder@example.com", ISSUER))  # a legacy .sig, wrong identity
    both = keyless_verifier(root)
    bundles_only = keyless_verifier(root, artifact_types=(BUNDLE,))
    assert run(store, image, bundles_only, {BUNDLE: "any"})["isSuccess"] is True
    assert run(store, image, both, {BUNDLE: "any", SIG: "any"})["isSuccess"] is False  # the only .sig is bad
    assert run(store, image, both, {BUNDLE: "any"})["isSuccess"] is False  # unlisted .sig type: default 'all'
    sign_image(store, image, fake.signer(IDENTITY, ISSUER))  # now a good .sig layer too
    assert run(store, image, both, {BUNDLE: "any", SIG: "any"})["isSuccess"] is True
    result = run(store, image, both, {BUNDLE: "all", SIG: "all"})
    assert result["isSuccess"] is True  # one .sig manifest with a good and a bad layer is one passing report
    assert sorted(r["artifactType"] for r in result["verifierReports"]) == sorted([BUNDLE, SIG])
    assert (
        run(store, image, both, {BUNDLE: "any", SIG: "any", "application/spdx+json": "any"})["isSuccess"]
        is False
    )


def test_statement_for_another_digest(store: MemoryStore, fake: FakeSigstore, root: Path) -> None:
    image = push_image(store, "r.example/team/app:v1")
    other = push_image(store, "r.example/team/other:v1")
    assert other.digest
    sign_image(
        store,
        image,
        fake.signer(IDENTITY, ISSUER),
        SignOptions(format="bundle", payload=make_statement(other.digest, other.name)),
    )
    result = verify(store, image, keyless_verifier(root))
    assert failed_check(result).reason is FailureReason.SUBJECT_MISMATCH


def test_attestation_is_not_a_signature(store: MemoryStore, fake: FakeSigstore, root: Path) -> None:
    image = push_image(store, "r.example/team/app:v1")
    sign_image(
        store,
        image,
        fake.signer(IDENTITY, ISSUER),
        SignOptions(format="bundle", predicate_type="https://slsa.dev/provenance/v1"),
    )
    result = verify(store, image, keyless_verifier(root))
    assert not result.is_success and result.reason is FailureReason.NO_SIGNATURES
    assert result.verifier_reports == ()  # an attestation is not judged as a signature at all
    assert "attestation https://slsa.dev/provenance/v1" in (result.message or "")


def test_a_signature_bundle_beside_an_attestation_bundle_passes_the_default_all(
    store: MemoryStore, fake: FakeSigstore, root: Path
) -> None:
    """cosign 3 signs and attests as bundle referrers of the same artifact type; only the signature counts."""
    from cosign_verify.testing import AttestOptions, attest_image

    image = push_image(store, "r.example/team/app:v1")
    signer = fake.signer(IDENTITY, ISSUER)
    sign_image(store, image, signer, SignOptions(format="bundle"))
    attest_image(
        store,
        image,
        signer,
        {"spdxVersion": "SPDX-2.3"},
        AttestOptions(layout="bundle", predicate_type="spdxjson"),
    )
    result = verify(store, image, keyless_verifier(root))  # ConfigPolicy() is 'all' for every type
    assert result.is_success, result.to_dict()
    [report] = result.verifier_reports
    assert report.artifact_type == BUNDLE and report.is_success


def test_annotations_are_only_hints(store: MemoryStore, fake: FakeSigstore, root: Path) -> None:
    source = MemoryStore()
    image = push_image(source, "r.example/team/app:v1", content=b"x")
    sign_image(
        source,
        image,
        fake.signer(IDENTITY, ISSUER),
        SignOptions(format="bundle", predicate_type="https://slsa.dev/provenance/v1"),
    )
    target = push_image(store, "r.example/team/app:v1", content=b"x")
    assert target.digest == image.digest  # the statement names the subject: only its predicate is wrong
    bundle = bundle_of(source, image)
    attach_bundle(store, target, bundle)  # the manifest claims cosign's signature predicate
    result = verify(store, target, keyless_verifier(root))
    assert failed_check(result).reason is FailureReason.NOT_A_SIGNATURE


def tampered(store: MemoryStore, fake: FakeSigstore, mutate: Callable[[dict[str, Any]], None]) -> Reference:
    source = MemoryStore()
    image = push_image(source, "r.example/team/app:v1", content=b"same")
    sign_image(source, image, fake.signer(IDENTITY, ISSUER), SignOptions(format="bundle"))
    bundle = bundle_of(source, image)
    mutate(bundle)
    target = push_image(store, "r.example/team/app:v1", content=b"same")
    assert target.digest == image.digest
    attach_bundle(store, target, bundle)
    return target


def test_dsse_signature_over_altered_payload(store: MemoryStore, fake: FakeSigstore, root: Path) -> None:
    def alter(bundle: dict[str, Any]) -> None:
        statement = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
        statement["predicate"] = {"extra": True}
        bundle["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()

    result = verify(store, tampered(store, fake, alter), keyless_verifier(root))
    assert failed_check(result).reason is FailureReason.SIGNATURE_INVALID


def test_identity_mismatch(store: MemoryStore, fake: FakeSigstore, root: Path) -> None:
    image = push_image(store, "r.example/team/app:v1")
    sign_image(store, image, fake.signer("someone@example.com", ISSUER), SignOptions(format="bundle"))
    result = verify(store, image, keyless_verifier(root))
    assert failed_check(result).reason is FailureReason.IDENTITY_MISMATCH


def test_inclusion_proof_that_does_not_reach_the_checkpoint(
    store: MemoryStore, fake: FakeSigstore, root: Path
) -> None:
    for _ in range(3):  # a tree big enough for a non-empty proof
        fake.log(b"noise", b"sig", b"-----BEGIN PUBLIC KEY-----\n")

    def corrupt(bundle: dict[str, Any]) -> None:
        proof = bundle["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]
        first = bytearray(base64.b64decode(proof["hashes"][0]))
        first[0] ^= 0x01
        proof["hashes"][0] = base64.b64encode(bytes(first)).decode()

    result = verify(store, tampered(store, fake, corrupt), keyless_verifier(root))
    assert failed_check(result).reason is FailureReason.TLOG_INVALID


def test_tampered_checkpoint(store: MemoryStore, fake: FakeSigstore, root: Path) -> None:
    def tamper(bundle: dict[str, Any]) -> None:
        proof = bundle["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]
        lines = proof["checkpoint"]["envelope"].split("\n")
        lines[1] = str(int(lines[1]) + 1)
        proof["checkpoint"]["envelope"] = "\n".join(lines)

    result = verify(store, tampered(store, fake, tamper), keyless_verifier(root))
    assert failed_check(result).reason is FailureReason.TLOG_INVALID


def test_verify_bundle_api(
    fake: FakeSigstore, root: Path, tmp_path: Path, key_pair: Callable[..., KeyPair]
) -> None:
    store = MemoryStore()
    image = push_image(store, "r.example/team/app:v1")
    sign_image(store, image, fake.signer(IDENTITY, ISSUER), SignOptions(format="bundle"))
    assert image.digest
    data = json.dumps(bundle_of(store, image)).encode()
    good = verify_bundle(
        data, image.digest, certificate_identity=IDENTITY, certificate_oidc_issuer=ISSUER, trusted_root=root
    )
    assert (
        good.is_success
        and good.statement
        and good.statement["predicateType"] == "https://sigstore.dev/cosign/sign/v1"
    )
    path = tmp_path / "bundle.json"
    path.write_bytes(data)
    assert verify_bundle(
        path, image.digest, certificate_identity=IDENTITY, certificate_oidc_issuer=ISSUER, trusted_root=root
    )
    wrong = verify_bundle(
        data,
        "sha256:" + "0" * 64,
        certificate_identity=IDENTITY,
        certificate_oidc_issuer=ISSUER,
        trusted_root=root,
    )
    assert not wrong and wrong.reason is FailureReason.SUBJECT_MISMATCH
    no_identity = verify_bundle(data, image.digest, trusted_root=root)
    assert not no_identity and no_identity.reason is FailureReason.IDENTITY_MISMATCH
    public = verify_bundle(data, image.digest, certificate_identity=IDENTITY, certificate_oidc_issuer=ISSUER)
    assert not public.is_success  # the default public-good root does not trust FakeSigstore
    assert public.reason is FailureReason.TLOG_INVALID
    not_json = verify_bundle(b"{", image.digest, trusted_root=root)
    assert not not_json and not_json.reason is FailureReason.MALFORMED
    md5 = verify_bundle(data, "md5:00", trusted_root=root)  # only sha256 digests name an artifact
    assert not md5 and md5.reason is FailureReason.MALFORMED

    pair = key_pair()
    signed = push_image(store, "r.example/team/keyed:v1")
    sign_image(store, signed, pair, SignOptions(rekor=fake, format="bundle"))
    assert signed.digest
    keyed = json.dumps(bundle_of(store, signed)).encode()
    assert verify_bundle(keyed, signed.digest, keys=[pair.public_pem()], trusted_root=root).is_success
    refused = verify_bundle(keyed, signed.digest, keys=[key_pair("ed25519").public_pem()], trusted_root=root)
    assert not refused and refused.reason is FailureReason.SIGNATURE_INVALID
    no_key = verify_bundle(keyed, signed.digest, trusted_root=root)
    assert not no_key and no_key.reason is FailureReason.SIGNATURE_INVALID


def test_message_signature_bundle_over_a_simple_signing_payload(
    store: MemoryStore, fake: FakeSigstore, root: Path
) -> None:
    from cryptography.hazmat.primitives import serialization

    from cosign_verify.mediatypes import COSIGN_SIMPLESIGNING_LAYER, OCI_EMPTY, OCI_IMAGE_MANIFEST
    from cosign_verify.testing import make_payload, sign_bytes

    image = push_image(store, "r.example/team/app:v1")
    other = push_image(store, "r.example/team/other:v1")
    assert image.digest and other.digest

    def attach(payload: bytes) -> None:
        certificate, key = fake.issue(IDENTITY, ISSUER)
        signature = sign_bytes(key, payload)
        record = fake.log(payload, signature, certificate.public_bytes(serialization.Encoding.PEM))
        bundle = json.dumps(fake.sigstore_bundle(payload, signature, certificate, record)).encode()
        blob, payload_blob, empty = (
            store.push_blob(image, bundle),
            store.push_blob(image, payload),
            store.push_blob(image, b"{}"),
        )
        subject = store.resolve(image.with_digest(image.digest or ""))
        manifest = {
            "schemaVersion": 2,
            "mediaType": OCI_IMAGE_MANIFEST,
            "artifactType": BUNDLE,
            "config": {"mediaType": OCI_EMPTY, "digest": empty.digest, "size": 2},
            "layers": [
                {"mediaType": BUNDLE, "digest": blob.digest, "size": blob.size},
                {
                    "mediaType": COSIGN_SIMPLESIGNING_LAYER,
                    "digest": payload_blob.digest,
                    "size": payload_blob.size,
                },
            ],
            "subject": {"mediaType": subject.media_type, "digest": subject.digest, "size": subject.size},
        }
        store.push_manifest(image, json.dumps(manifest).encode())

    attach(make_payload(other.digest, other.name))  # signs a payload for another image
    failed = verify(store, image, keyless_verifier(root))
    assert not failed.is_success
    [signature] = failed.verifier_reports[0].signatures
    assert signature.reason is FailureReason.SUBJECT_MISMATCH
    attach(make_payload(image.digest, image.name))
    result = run(store, image, keyless_verifier(root), {BUNDLE: "any"})
    assert result["isSuccess"] is True, result
    assert [s["isSuccess"] for r in result["verifierReports"] for s in r["extensions"]["signatures"]] == [
        False,
        True,
    ]


def test_bundles_may_omit_zero_valued_fields(fake: FakeSigstore, root: Path) -> None:
    fresh = FakeSigstore()
    fresh_root = fresh.write_trusted_root(root.parent / "fresh-root.json")
    store = MemoryStore()
    image = push_image(store, "r.example/team/app:v1")
    sign_image(store, image, fresh.signer(IDENTITY, ISSUER), SignOptions(format="bundle"))
    bundle = bundle_of(store, image)
    entry = bundle["verificationMaterial"]["tlogEntries"][0]
    assert entry["logIndex"] == "0"
    del entry["logIndex"], entry["inclusionProof"]["logIndex"]  # protobuf-JSON leaves zero values out
    assert image.digest
    assert verify_bundle(
        json.dumps(bundle).encode(),
        image.digest,
        certificate_identity=IDENTITY,
        certificate_oidc_issuer=ISSUER,
        trusted_root=fresh_root,
    ).is_success


def test_key_policy_without_tlog_still_uses_its_trusted_root_for_bundles(
    store: MemoryStore, fake: FakeSigstore, root: Path, key_pair: Callable[..., KeyPair]
) -> None:
    pair = key_pair()
    image = push_image(store, "r.example/team/app:v1")
    sign_image(store, image, pair, SignOptions(rekor=fake, format="bundle"))
    policy = TrustPolicy(
        name="keys",
        scopes=["r.example/*"],
        keys=[KeyRef(provider="kp")],
        trusted_root=str(root),
        tlog_verify=False,
    )
    verifier = CosignVerifier(
        [policy], KeyProviders([InlineKeyProvider("kp", pair.public_pem())]), artifact_types=[BUNDLE]
    )
    assert run(store, image, verifier)["isSuccess"] is True
