"""Every algorithm real signers use: each key type signed as cosign 2.5, cosign 2.6+, cosign 3 and KMS sign it.

The toolkit signs from its own signer profiles (``cosign_verify.testing.profiles``),
never from the verifier's table, and every signature is logged in a fake
Rekor whose entries record the digest the signer's profile says. Each case
is refused with another key of the same type and with a payload it did not
sign.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cosign_verify import (
    CosignVerifier,
    Executor,
    FailureReason,
    InlineKeyProvider,
    KeyProviders,
    KeyRef,
    MemoryStore,
    Reference,
    TrustedRoot,
    TrustPolicy,
    verify_bundle,
)
from cosign_verify._internal.crypto import algorithms, verify
from cosign_verify.mediatypes import SIGSTORE_BUNDLE_V03
from cosign_verify.store import cosign_signature_tag
from cosign_verify.testing import (
    FakeSigstore,
    KeyPair,
    SignOptions,
    attach_bundle,
    make_payload,
    push_image,
    sign_image,
)
from cosign_verify.testing.profiles import PROFILES

from .conftest import ROOT
from .signer_matrix import CASES, Case, forged_payload, only_check, run, sign_as, verifier

VECTORS = ROOT.parent / "shared" / "vectors" / "real-cosign"


@pytest.fixture(scope="module")
def fake() -> FakeSigstore:
    return FakeSigstore()


@pytest.fixture(scope="module")
def root(fake: FakeSigstore) -> TrustedRoot:
    return TrustedRoot.from_json(fake.trusted_root_json())


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_every_key_type_as_every_signer_signs_it(
    case: Case, fake: FakeSigstore, root: TrustedRoot, key_pair: Callable[..., KeyPair]
) -> None:
    store = MemoryStore()
    pair = key_pair(case.key_type)
    image = push_image(store, "registry.example/team/app:v1")
    sign_as(store, image, pair, case, fake)
    result = run(store, image, verifier(pair, root, "registry.example/*"))
    assert result.is_success, result.to_dict()
    check = only_check(result)
    assert check.algorithm == case.algorithm
    assert check.to_dict()["algorithm"] == case.algorithm
    bundle_format = PROFILES[case.profile].format == "bundle"
    assert result.verifier_reports[0].artifact_type == (
        SIGSTORE_BUNDLE_V03 if bundle_format else "application/vnd.dev.cosign.artifact.sig.v1+json"
    )
    assert check.bundle_verified  # the Rekor entry (whatever digest it records) was proven offline


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_every_algorithm_refuses_another_key(
    case: Case, fake: FakeSigstore, root: TrustedRoot, key_pair: Callable[..., KeyPair]
) -> None:
    store = MemoryStore()
    image = push_image(store, "registry.example/team/app:v1")
    sign_as(store, image, key_pair(case.key_type, 1), case, fake)
    result = run(store, image, verifier(key_pair(case.key_type), root, "registry.example/*"))
    assert not result.is_success
    assert only_check(result).reason is FailureReason.SIGNATURE_INVALID


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_every_algorithm_refuses_a_payload_it_did_not_sign(
    case: Case, fake: FakeSigstore, root: TrustedRoot, key_pair: Callable[..., KeyPair]
) -> None:
    pair = key_pair(case.key_type)
    store = MemoryStore()
    image = push_image(store, "registry.example/team/app:v1", content=b"one image")
    if PROFILES[case.profile].format == "bundle":
        signed = MemoryStore()
        original = push_image(signed, "registry.example/team/app:v1", content=b"one image")
        sign_as(signed, original, pair, case, fake)
        attach_bundle(store, image, tampered_statement(signed, original))
    else:
        signature = pair.sign(b"what was really signed", case.profile)
        annotations = {"dev.cosignproject.cosign/signature": base64.b64encode(signature).decode()}
        sign_as(store, image, pair, case, fake, payload=forged_payload(image), annotations=annotations)
    result = run(store, image, verifier(pair, root, "registry.example/*"))
    assert not result.is_success
    assert only_check(result).reason is FailureReason.SIGNATURE_INVALID


def tampered_statement(store: MemoryStore, image: Reference) -> dict[str, Any]:
    """The image's only bundle with its DSSE statement rewritten and its signature kept."""
    assert image.digest
    [referrer] = store.list_referrers(image.with_digest(image.digest))
    manifest = json.loads(store.fetch_manifest(image, referrer.digest))
    bundle: dict[str, Any] = json.loads(store.fetch_blob(image, manifest["layers"][0]["digest"]))
    statement = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    statement["predicate"] = {"tampered": True}
    bundle["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    return bundle


@pytest.mark.parametrize("hash_algorithm", ["sha384", "sha512"])
def test_rekor_entries_with_longer_digests_are_checked(
    hash_algorithm: str, fake: FakeSigstore, root: TrustedRoot, key_pair: Callable[..., KeyPair]
) -> None:
    profile = "kms-rsa-pkcs1-sha384" if hash_algorithm == "sha384" else "kms-rsa-pkcs1-sha512"
    store = MemoryStore()
    pair = key_pair("rsa-3072")
    image = push_image(store, "registry.example/team/app:v1")
    sign_image(store, image, pair, SignOptions(profile=profile, rekor=fake))
    body = json.loads(base64.b64decode(fake.records[-1].body))
    assert body["spec"]["data"]["hash"]["algorithm"] == hash_algorithm
    assert run(store, image, verifier(pair, root, "registry.example/*")).is_success

    # The bundle of another image's signature (a valid SET over an entry for another payload) is refused.
    other = push_image(store, "registry.example/team/other:v1")
    sign_image(store, other, pair, SignOptions(profile=profile, rekor=fake))
    assert other.digest
    tag = Reference(
        registry=other.registry, repository=other.repository, tag=cosign_signature_tag(other.digest)
    )
    manifest = json.loads(store.fetch_manifest(other, store.resolve(tag).digest))
    bundle = manifest["layers"][0]["annotations"]["dev.sigstore.cosign/bundle"]
    options = SignOptions(profile=profile, annotations={"dev.sigstore.cosign/bundle": bundle})
    sign_image(store, image, pair, options)
    result = run(store, image, verifier(pair, root, "registry.example/*"))
    checks = [s.verifications[0] for s in result.verifier_reports[0].signatures]
    assert [c.is_success for c in checks] == [True, False]
    assert checks[1].reason is FailureReason.TLOG_INVALID


def test_signature_annotation_wrapped_at_76_columns_is_read_as_go_reads_it(
    key_pair: Callable[..., KeyPair],
) -> None:
    pair = key_pair("rsa-2048")
    no_tlog = CosignVerifier(
        [
            TrustPolicy(
                name="t", scopes=["registry.example/*"], keys=[KeyRef(provider="kp")], tlog_verify=False
            )
        ],
        KeyProviders([InlineKeyProvider("kp", pair.public_pem())]),
    )

    def verify_with(encoded: str) -> Any:
        store = MemoryStore()
        image = push_image(store, "registry.example/team/app:v1", content=b"one image")
        assert image.digest
        payload = make_payload(image.digest, image.name)
        annotations = {"dev.cosignproject.cosign/signature": encoded}
        sign_image(store, image, pair, SignOptions(payload=payload, annotations=annotations))
        return Executor(store, [no_tlog]).verify(image)

    probe = MemoryStore()
    image = push_image(probe, "registry.example/team/app:v1", content=b"one image")
    assert image.digest
    encoded = base64.b64encode(pair.sign(make_payload(image.digest, image.name))).decode()
    wrapped = "\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76)) + "\r\n"
    assert verify_with(wrapped).is_success
    assert verify_with(encoded).is_success
    # Only CR and LF are forgiven: a space, a tab or a stray character is still malformed.
    for bad in (encoded[:40] + " " + encoded[40:], encoded[:40] + "\t" + encoded[40:], encoded + "!"):
        result = verify_with(bad)
        assert not result.is_success
        assert result.verifier_reports[0].signatures[0].reason is FailureReason.MALFORMED


def test_rfc8032_ed25519ph_known_answer() -> None:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    vector = json.loads((VECTORS / "rfc8032-ed25519ph.json").read_text())
    key = ed25519.Ed25519PublicKey.from_public_bytes(bytes.fromhex(vector["publicKey"]))
    message, signature = bytes.fromhex(vector["message"]), bytes.fromhex(vector["signature"])
    assert verify(key, signature, message) == "ed25519ph"
    assert verify(key, signature, message + b"!") is None
    flipped = bytearray(signature)
    flipped[5] ^= 1
    assert verify(key, bytes(flipped), message) is None


def test_the_table_tries_what_real_signers_use(key_pair: Callable[..., KeyPair]) -> None:
    names = {
        t: [name for name, _ in algorithms(key_pair(t).public_key)]
        for t in ("ecdsa-p256", "ecdsa-p384", "ecdsa-p521", "rsa-2048", "ed25519")
    }
    assert names["ecdsa-p256"] == ["ecdsa-sha256"]
    assert names["ecdsa-p384"] == ["ecdsa-sha384", "ecdsa-sha256"]
    assert names["ecdsa-p521"] == ["ecdsa-sha512", "ecdsa-sha256"]
    assert names["rsa-2048"] == [
        "rsa-pkcs1v15-sha256",
        "rsa-pkcs1v15-sha384",
        "rsa-pkcs1v15-sha512",
        "rsa-pss-sha256",
        "rsa-pss-sha384",
        "rsa-pss-sha512",
    ]
    assert names["ed25519"] == ["ed25519", "ed25519ph"]


@pytest.mark.parametrize("key_type", ["ed25519", "ecdsa-p384", "rsa-2048"])
def test_an_algorithm_tried_first_for_a_key_changes_only_the_order(
    key_type: str, key_pair: Callable[..., KeyPair]
) -> None:
    """One key whose signatures alternate between signers: each verifies under its own algorithm,
    whatever verified last, and nothing is accepted because an algorithm was remembered."""
    pair = key_pair(key_type)
    key = pair.public_key
    message = b"payload"
    by_profile = {
        profile: pair.sign(message, profile) for profile in ("cosign-2.5", "cosign-2.6", "kms-rsa-pss-sha256")
    }
    expected = {
        "ed25519": {"cosign-2.5": "ed25519", "cosign-2.6": "ed25519ph"},
        "ecdsa-p384": {"cosign-2.5": "ecdsa-sha256", "cosign-2.6": "ecdsa-sha384"},
        "rsa-2048": {"cosign-2.6": "rsa-pkcs1v15-sha256", "kms-rsa-pss-sha256": "rsa-pss-sha256"},
    }[key_type]
    for profile in [*expected, *reversed(expected), *expected]:
        signature = by_profile[profile]
        assert verify(key, signature, message) == expected[profile]
        assert verify(key, signature, message + b"!") is None
        assert verify(key_pair(key_type, 1).public_key, signature, message) is None


@pytest.mark.parametrize(
    ("key_type", "hash_name"), [("ecdsa-p384", "sha384"), ("ecdsa-p521", "sha512"), ("rsa-4096", "sha512")]
)
def test_message_signature_bundles_with_longer_digests(
    key_type: str, hash_name: str, fake: FakeSigstore, key_pair: Callable[..., KeyPair], tmp_path: Path
) -> None:
    """What sigstore-java's production P-384/P-521 bundles carry: the curve's hash in the message digest,
    the signature and the hashedrekord entry (reproduced here with the toolkit's KMS-like signer)."""
    pair = key_pair(key_type)
    profile = "kms-ecdsa" if key_type.startswith("ecdsa") else "kms-rsa-pkcs1-sha512"
    artifact = b"an artifact signed as a KMS key signs"
    signature = pair.sign(artifact, profile)
    record = fake.log(artifact, signature, pair.public_pem().encode(), hash_algorithm=hash_name)
    bundle = fake.sigstore_bundle(
        artifact, signature, None, record, public_key=pair.public_key, message_hash=hash_name
    )
    assert json.loads(base64.b64decode(record.body))["spec"]["data"]["hash"]["algorithm"] == hash_name
    root = fake.write_trusted_root(tmp_path / "trusted_root.json")
    result = verify_bundle(json.dumps(bundle).encode(), artifact, keys=[pair.public_pem()], trusted_root=root)
    assert result.is_success, result.reasons
    changed = verify_bundle(
        json.dumps(bundle).encode(), artifact + b"!", keys=[pair.public_pem()], trusted_root=root
    )
    assert not changed.is_success
    assert changed.reason is FailureReason.SUBJECT_MISMATCH  # the stated message digest is not the artifact's
