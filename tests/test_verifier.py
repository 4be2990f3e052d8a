from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import pytest

from cosign_verify import (
    ConfigError,
    CosignVerifier,
    Executor,
    FailureReason,
    InlineKeyProvider,
    Keyless,
    KeyProviders,
    KeyRef,
    MemoryStore,
    Reference,
    StoreError,
    TrustPolicy,
    VerificationResult,
)
from cosign_verify._internal.memo import forget_everything
from cosign_verify.mediatypes import COSIGN_SIGNATURE_ARTIFACT_TYPE, OCI_IMAGE_MANIFEST
from cosign_verify.report import KeyVerification, SignatureResult
from cosign_verify.store import Descriptor, cosign_signature_tag
from cosign_verify.testing import ALGORITHMS, KeyPair, SignOptions, make_payload, push_image, sign_image

from .conftest import unreachable_url

SCOPE = "myregistry.io/namespace1/*"


def key_policy(*keys: KeyRef, tlog: bool = False, scopes: Sequence[str] = (SCOPE,)) -> TrustPolicy:
    return TrustPolicy(name="policy-1", scopes=scopes, keys=keys or [KeyRef(provider="kp")], tlog_verify=tlog)


def executor(store: MemoryStore, providers: KeyProviders, *policies: TrustPolicy) -> Executor:
    return Executor(store, [CosignVerifier(policies or [key_policy()], providers)])


def providers_for(*pairs: KeyPair) -> KeyProviders:
    return KeyProviders([InlineKeyProvider("kp", "".join(p.public_pem() for p in pairs))])


def signatures(result: VerificationResult) -> list[dict[str, Any]]:
    [report] = result.verifier_reports
    return report.to_dict()["extensions"]["signatures"]  # type: ignore[no-any-return]


def first_signature(result: VerificationResult) -> SignatureResult:
    return result.verifier_reports[0].signatures[0]


def first_check(result: VerificationResult) -> KeyVerification:
    return first_signature(result).verifications[0]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("layout", ["tag", "referrer"])
def test_every_key_type_signs_and_verifies(
    algorithm: str, layout: str, store: MemoryStore, key_pair: Callable[..., KeyPair]
) -> None:
    pair = key_pair(algorithm)
    image = push_image(store, "myregistry.io/namespace1/app:v1")
    sign_image(store, image, pair, SignOptions(layout=layout))  # type: ignore[arg-type]
    result = executor(store, providers_for(pair)).verify(image.with_digest(image.digest or ""))
    assert result.is_success, result.to_dict()
    [sig] = signatures(result)
    [check] = sig["verifications"]
    assert check["isSuccess"] is True
    assert check["summary"][0].endswith(f"({algorithm})")
    assert "transparency log not checked: tLogVerify is false" in check["summary"][-1]


def test_wrong_key_fails(store: MemoryStore, key_pair: Callable[..., KeyPair]) -> None:
    image = push_image(store, "myregistry.io/namespace1/app:v1")
    sign_image(store, image, key_pair("ecdsa-p256", 1))
    result = executor(store, providers_for(key_pair("ecdsa-p256"))).verify(image)
    assert not result.is_success
    [report] = result.verifier_reports
    [sig] = report.signatures
    assert not sig.is_success
    [check] = sig.verifications
    assert check.reason is FailureReason.SIGNATURE_INVALID
    assert check.key_information is not None and check.key_information.provider == "kp"
    assert report.reason is FailureReason.NO_VALID_SIGNATURE


def test_tampered_payload_fails(store: MemoryStore, key_pair: Callable[..., KeyPair]) -> None:
    image = push_image(store, "myregistry.io/namespace1/app:v1")
    pair = key_pair()
    sign_image(store, image, pair)
    sig_manifest = json.loads(store.fetch_manifest(image, store.resolve(sig_tag(image)).digest))
    layer_digest = sig_manifest["layers"][0]["digest"]
    payload = store.fetch_blob(image, layer_digest)
    store.put_raw_blob(image, layer_digest, payload.replace(b"cosign container", b"cosign Container"))
    result = executor(store, providers_for(pair)).verify(image)
    assert not result.is_success
    assert first_signature(result).reason is FailureReason.DIGEST_MISMATCH


def test_a_signature_parsed_before_is_known_by_its_digest(
    store: MemoryStore, key_pair: Callable[..., KeyPair]
) -> None:
    """Content at a digest cannot change: once a payload's bytes matched its digest, a warm verification
    uses what they parsed to and does not fetch them again; a new process fetches and checks them."""
    image = push_image(store, "myregistry.io/namespace1/app:v1")
    pair = key_pair()
    sign_image(store, image, pair)
    verifying = executor(store, providers_for(pair))
    assert verifying.verify(image).is_success
    layer_digest = json.loads(store.fetch_manifest(image, store.resolve(sig_tag(image)).digest))["layers"][0][
        "digest"
    ]
    store.put_raw_blob(image, layer_digest, b"not the payload")
    assert verifying.verify(image).is_success  # the payload at that digest is known: not read again
    forget_everything()  # as a new process
    assert first_signature(verifying.verify(image)).reason is FailureReason.DIGEST_MISMATCH


def test_tampered_payload_with_matching_digest_fails(
    store: MemoryStore, key_pair: Callable[..., KeyPair]
) -> None:
    # An attacker rewrites the payload *and* the manifest so digests line up: the signature no longer matches.
    image = push_image(store, "myregistry.io/namespace1/app:v1")
    pair = key_pair()
    sign_image(store, image, pair)
    tag_ref = sig_tag(image)
    manifest = json.loads(store.fetch_manifest(image, store.resolve(tag_ref).digest))
    forged = store.fetch_blob(image, manifest["layers"][0]["digest"]).replace(
        b'"optional":null', b'"optional":{}'
    )
    blob = store.push_blob(image, forged)
    manifest["layers"][0].update(digest=blob.digest, size=blob.size)
    store.push_manifest(image, json.dumps(manifest).encode(), tag=tag_ref.tag)
    result = executor(store, providers_for(pair)).verify(image)
    assert not result.is_success
    assert first_check(result).reason is FailureReason.SIGNATURE_INVALID


def sig_tag(image: Reference) -> Reference:
    assert image.digest
    return Reference(
        registry=image.registry, repository=image.repository, tag=cosign_signature_tag(image.digest)
    )


def test_payload_for_another_digest_fails(store: MemoryStore, key_pair: Callable[..., KeyPair]) -> None:
    image = push_image(store, "myregistry.io/namespace1/app:v1")
    other = push_image(store, "myregistry.io/namespace1/other:v1")
    pair = key_pair()
    assert other.digest
    sign_image(store, image, pair, SignOptions(payload=make_payload(other.digest, other.name)))
    result = executor(store, providers_for(pair)).verify(image)
    assert not result.is_success
    assert first_check(result).reason is FailureReason.SUBJECT_MISMATCH


def test_wrong_payload_type_fails(store: MemoryStore, key_pair: Callable[..., KeyPair]) -> None:
    image = push_image(store, "myregistry.io/namespace1/app:v1")
    pair = key_pair()
    assert image.digest
    sign_image(
        store, image, pair, SignOptions(payload=make_payload(image.digest, image.name, type="something else"))
    )
    result = executor(store, providers_for(pair)).verify(image)
    assert not result.is_success
    assert first_check(result).reason is FailureReason.NOT_A_SIGNATURE


def test_signature_copied_from_another_image_fails(
    store: MemoryStore, key_pair: Callable[..., KeyPair]
) -> None:
    signed = push_image(store, "myregistry.io/namespace1/app:v1")
    unsigned = push_image(store, "myregistry.io/namespace1/app:v2")
    pair = key_pair()
    descriptor = sign_image(store, signed, pair)
    # Copy the whole signature manifest to the unsigned image's signature tag.
    store.push_manifest(unsigned, store.fetch_manifest(signed, descriptor.digest), tag=sig_tag(unsigned).tag)
    ex = executor(store, providers_for(pair))
    assert ex.verify(signed).is_success
    result = ex.verify(unsigned)
    assert not result.is_success
    assert first_check(result).reason is FailureReason.SUBJECT_MISMATCH


@pytest.mark.parametrize("order", [("good", "bad"), ("bad", "good")])
def test_any_valid_layer_passes_whatever_the_order(
    order: tuple[str, str], store: MemoryStore, key_pair: Callable[..., KeyPair]
) -> None:
    image = push_image(store, "myregistry.io/namespace1/app:v1")
    trusted, untrusted = key_pair(), key_pair("ecdsa-p256", 1)
    for which in order:
        sign_image(store, image, trusted if which == "good" else untrusted)
    result = executor(store, providers_for(trusted)).verify(image)
    assert result.is_success
    assert [s["isSuccess"] for s in signatures(result)] == [w == "good" for w in order]


def test_broken_layer_does_not_abort_the_others(store: MemoryStore, key_pair: Callable[..., KeyPair]) -> None:
    image = push_image(store, "myregistry.io/namespace1/app:v1")
    pair = key_pair()
    sign_image(store, image, pair, SignOptions(annotations={"dev.cosignproject.cosign/signature": "!!"}))
    sign_image(store, image, pair)
    result = executor(store, providers_for(pair)).verify(image)
    assert result.is_success
    first, second = result.verifier_reports[0].signatures
    assert not first.is_success and first.reason is FailureReason.MALFORMED
    assert second.is_success


def test_unsigned_subject_fails(store: MemoryStore, key_pair: Callable[..., KeyPair]) -> None:
    image = push_image(store, "myregistry.io/namespace1/app:v1")
    result = executor(store, providers_for(key_pair())).verify(image)
    assert not result.is_success
    assert result.verifier_reports == ()
    assert result.reason is FailureReason.NO_SIGNATURES
    assert result.to_dict()["isSuccess"] is False


def test_subject_outside_every_scope_fails(store: MemoryStore, key_pair: Callable[..., KeyPair]) -> None:
    image = push_image(store, "other.io/namespace1/app:v1")
    pair = key_pair()
    sign_image(store, image, pair)
    result = executor(store, providers_for(pair)).verify(image)
    assert not result.is_success
    [report] = result.verifier_reports
    assert report.reason is FailureReason.NO_TRUST_POLICY
    assert report.remediation and "scope" in report.remediation


def test_named_and_versioned_keys(store: MemoryStore, key_pair: Callable[..., KeyPair]) -> None:
    old, new = key_pair("ecdsa-p256", 0), key_pair("ecdsa-p256", 1)
    providers = KeyProviders(
        [InlineKeyProvider("kp", {"release": {"v1": old.public_pem(), "v2": new.public_pem()}})]
    )
    image = push_image(store, "myregistry.io/namespace1/app:v1")
    sign_image(store, image, old)
    latest = executor(store, providers, key_policy(KeyRef(provider="kp", name="release")))
    result = latest.verify(image)
    assert not result.is_success  # latest is v2, the image is signed with v1
    assert signatures(result)[0]["verifications"][0]["keyInformation"] == {
        "provider": "kp",
        "name": "release",
        "version": "v2",
    }
    pinned = executor(store, providers, key_policy(KeyRef(provider="kp", name="release", version="v1")))
    assert pinned.verify(image).is_success
    everything = executor(store, providers, key_policy(KeyRef(provider="kp")))
    checks = signatures(everything.verify(image))[0]["verifications"]
    assert [(c["keyInformation"]["version"], c["isSuccess"]) for c in checks] == [("v1", True), ("v2", False)]


def test_a_threshold_counts_every_key_a_provider_entry_stands_for(
    store: MemoryStore, key_pair: Callable[..., KeyPair]
) -> None:
    """``{provider: kp}`` is all of kp's keys: a threshold of 2 is allowed with 3 keys behind one entry."""
    pairs = [key_pair("ecdsa-p256", index) for index in range(3)]
    image = push_image(store, "myregistry.io/namespace1/app:v1")
    two_of_three = attrs.evolve(key_policy(), threshold=2)
    sign_image(store, image, pairs[0])
    assert not executor(store, providers_for(*pairs), two_of_three).verify(image).is_success
    sign_image(store, image, pairs[2])
    assert executor(store, providers_for(*pairs), two_of_three).verify(image).is_success
    with pytest.raises(ConfigError, match="threshold 4 asks for more signers than its 3 key"):
        CosignVerifier([attrs.evolve(two_of_three, threshold=4)], providers_for(*pairs))


def test_namespace_access_denied(store: MemoryStore, key_pair: Callable[..., KeyPair]) -> None:
    pair = key_pair()
    providers = KeyProviders()
    providers.add(InlineKeyProvider("kp", pair.public_pem()), namespace="ns1")
    image = push_image(store, "myregistry.io/namespace1/app:v1")
    sign_image(store, image, pair)
    ex = executor(store, providers, key_policy(KeyRef(provider="ns1/kp")))
    assert ex.verify(image, namespace="ns1").is_success
    denied = ex.verify(image, namespace="ns2")
    assert not denied.is_success
    assert denied.verifier_reports[0].reason is FailureReason.KEY_ACCESS_DENIED
    cluster_wide = ex.verify(image)
    assert not cluster_wide.is_success
    assert cluster_wide.verifier_reports[0].reason is FailureReason.KEY_ACCESS_DENIED


def test_tlog_verify_without_bundle_and_rekor_unreachable_fails_closed(
    store: MemoryStore, key_pair: Callable[..., KeyPair]
) -> None:
    pair = key_pair()
    image = push_image(store, "myregistry.io/namespace1/app:v1")
    sign_image(store, image, pair)
    policy = TrustPolicy(
        name="policy-1",
        scopes=[SCOPE],
        keys=[KeyRef(provider="kp")],
        rekor_url=unreachable_url(),
    )
    result = executor(store, providers_for(pair), policy).verify(image)
    assert not result.is_success
    [report] = result.verifier_reports
    assert report.remediation == (
        "sign with a transparency log (cosign's default), or set 'tLogVerify: false' in trust policy "
        "'policy-1' to accept key-based signatures without one"
    )
    assert first_check(result).reason is FailureReason.TLOG_UNAVAILABLE


def test_key_signature_under_a_keyless_policy_fails(
    store: MemoryStore, key_pair: Callable[..., KeyPair]
) -> None:
    pair = key_pair()
    image = push_image(store, "myregistry.io/namespace1/app:v1")
    sign_image(store, image, pair)
    keyless = TrustPolicy(
        name="keyless",
        scopes=[SCOPE],
        keyless=Keyless(certificate_identity="a@b.c", certificate_oidc_issuer="https://issuer"),
    )
    result = executor(store, KeyProviders(), keyless).verify(image)
    assert not result.is_success
    assert result.verifier_reports[0].reason is FailureReason.NO_VALID_SIGNATURE
    assert first_check(result).reason is FailureReason.CERTIFICATE_INVALID


class BrokenStore(MemoryStore):
    def __init__(self, fail: str, exc: Exception) -> None:
        super().__init__()
        self.fail, self.exc = fail, exc

    def fetch_manifest(self, repository: Reference, digest: str) -> bytes:
        if self.fail == "manifest" and digest != self.resolve(repository).digest:
            raise self.exc
        return super().fetch_manifest(repository, digest)

    def fetch_blob(self, repository: Reference, digest: str) -> bytes:
        if self.fail == "blob":
            raise self.exc
        return super().fetch_blob(repository, digest)

    def list_referrers(self, subject: Reference) -> Sequence[Descriptor]:
        if self.fail == "referrers":
            raise self.exc
        return super().list_referrers(subject)


@pytest.mark.parametrize("fail", ["manifest", "blob", "referrers"])
@pytest.mark.parametrize(
    "exc", [StoreError("registry said 500"), ConnectionError("reset"), ValueError("odd")]
)
def test_store_failures_become_failed_reports(
    fail: str, exc: Exception, key_pair: Callable[..., KeyPair]
) -> None:
    store = BrokenStore(fail, exc)
    pair = key_pair()
    image = push_image(store, "myregistry.io/namespace1/app:v1")
    sign_image(store, image, pair)
    result = executor(store, providers_for(pair)).verify(image)
    assert not result.is_success
    if fail == "referrers":  # nothing to report on: the result itself fails
        assert result.verifier_reports == ()
        assert result.reason is FailureReason.STORE_FAILED
    elif fail == "manifest":  # the signature manifest: the whole report fails
        assert result.verifier_reports[0].reason is FailureReason.FETCH_FAILED
    else:  # the payload: that signature fails
        assert first_signature(result).reason is FailureReason.FETCH_FAILED


def test_corrupt_signature_manifest(store: MemoryStore, key_pair: Callable[..., KeyPair]) -> None:
    image = push_image(store, "myregistry.io/namespace1/app:v1")
    store.push_manifest(image, b'{"schemaVersion": 2, "layers": "nope"}', tag=sig_tag(image).tag)
    result = executor(store, providers_for(key_pair())).verify(image)
    assert not result.is_success
    assert result.verifier_reports[0].reason is FailureReason.MALFORMED


def test_manifest_digest_mismatch(store: MemoryStore, key_pair: Callable[..., KeyPair]) -> None:
    pair = key_pair()
    image = push_image(store, "myregistry.io/namespace1/app:v1")
    sign_image(store, image, pair)
    assert image.digest
    verifier = CosignVerifier([key_policy()], providers_for(pair))
    referrer = store.list_referrers(image.with_digest(image.digest))[0]
    forged = Descriptor(
        media_type=OCI_IMAGE_MANIFEST,
        digest="sha256:" + "0" * 64,
        size=1,
        artifact_type=COSIGN_SIGNATURE_ARTIFACT_TYPE,
    )
    store.push_manifest(image, store.fetch_manifest(image, referrer.digest))

    class Lying(MemoryStore):
        def fetch_manifest(self, repository: Reference, digest: str) -> bytes:
            return store.fetch_manifest(repository, referrer.digest)

    report = verifier.verify(image.with_digest(image.digest), forged, Lying())
    assert not report.is_success
    assert report.reason is FailureReason.DIGEST_MISMATCH


def test_oversized_payload_is_not_fetched(store: MemoryStore, key_pair: Callable[..., KeyPair]) -> None:
    pair = key_pair()
    image = push_image(store, "myregistry.io/namespace1/app:v1")
    sign_image(store, image, pair)
    tag_ref = sig_tag(image)
    manifest = json.loads(store.fetch_manifest(image, store.resolve(tag_ref).digest))
    manifest["layers"][0]["size"] = 1 << 30
    store.push_manifest(image, json.dumps(manifest).encode(), tag=tag_ref.tag)
    result = executor(store, providers_for(pair)).verify(image)
    assert not result.is_success
    assert first_signature(result).reason is FailureReason.TOO_LARGE


def test_subject_without_digest_given_to_verifier(
    store: MemoryStore, key_pair: Callable[..., KeyPair]
) -> None:
    verifier = CosignVerifier([key_policy()], providers_for(key_pair()))
    referrer = Descriptor(media_type=OCI_IMAGE_MANIFEST, digest="sha256:" + "1" * 64, size=1)
    report = verifier.verify(Reference.parse("myregistry.io/namespace1/app:v1"), referrer, store)
    assert not report.is_success
    assert report.reason is FailureReason.SUBJECT_UNRESOLVED


def test_reports_are_deterministic(store: MemoryStore, key_pair: Callable[..., KeyPair]) -> None:
    pair, other = key_pair(), key_pair("ecdsa-p256", 1)
    image = push_image(store, "myregistry.io/namespace1/app:v1")
    for p in (other, pair, other):
        sign_image(store, image, p)
    ex = executor(store, providers_for(pair, other))
    first = json.dumps(ex.verify(image).to_dict())
    assert all(json.dumps(ex.verify(image).to_dict()) == first for _ in range(3))
