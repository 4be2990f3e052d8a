"""Keyless verification with FakeSigstore: success, and each failure with its own reason."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

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
from cosign_verify.report import KeyVerification
from cosign_verify.store import cosign_signature_tag
from cosign_verify.testing import (
    FakeSigstore,
    KeyPair,
    RekorServer,
    SignOptions,
    make_payload,
    push_image,
    sign_bytes,
    sign_image,
)
from cosign_verify.transparency import RekorLog

from .conftest import unreachable_url

IDENTITY, ISSUER = "builder@example.com", "https://issuer.example"


@pytest.fixture(scope="module")
def fake() -> FakeSigstore:
    return FakeSigstore()


@pytest.fixture
def root_path(fake: FakeSigstore, tmp_path: Path) -> Path:
    return fake.write_trusted_root(tmp_path / "trusted_root.json")


@pytest.fixture
def image(store: MemoryStore) -> Reference:
    return push_image(store, "registry.example/team/app:v1")


def policy(root: Path, **keyless: Any) -> TrustPolicy:
    tlog = keyless.pop("tlog", True)
    rekor_url = keyless.pop("rekor_url", unreachable_url())
    fields: dict[str, Any] = {"certificate_identity": IDENTITY, "certificate_oidc_issuer": ISSUER, **keyless}
    return TrustPolicy(
        name="keyless",
        scopes=["registry.example/team/*"],
        keyless=Keyless(**fields),
        trusted_root=str(root),
        tlog_verify=tlog,
        rekor_url=rekor_url,
    )


def verify(store: MemoryStore, image: Reference, the_policy: TrustPolicy) -> VerificationResult:
    return Executor(store, [CosignVerifier([the_policy])]).verify(image)


def run(store: MemoryStore, image: Reference, the_policy: TrustPolicy) -> dict[str, Any]:
    return verify(store, image, the_policy).to_dict()


def only_check(result: dict[str, Any]) -> dict[str, Any]:
    [signature] = result["verifierReports"][0]["extensions"]["signatures"]
    [check] = signature["verifications"]
    return check  # type: ignore[no-any-return]


def failed_check(result: VerificationResult) -> KeyVerification:
    """The one check of a failed result's one signature."""
    assert not result.is_success
    [report] = result.verifier_reports
    [signature] = report.signatures
    [check] = signature.verifications
    assert not check.is_success
    return check


def test_keyless_signature_verifies(
    store: MemoryStore, image: Reference, fake: FakeSigstore, root_path: Path
) -> None:
    sign_image(store, image, fake.signer(IDENTITY, ISSUER))
    result = run(store, image, policy(root_path))
    assert result["isSuccess"] is True, result
    check = only_check(result)
    assert check["bundleVerified"] is True
    assert "keyInformation" not in check
    assert any(line.startswith(f"identity '{IDENTITY}' matched") for line in check["summary"])
    assert any("embedded SCT verified" in line for line in check["summary"])


def test_uri_identity_and_regexps(
    store: MemoryStore, image: Reference, fake: FakeSigstore, root_path: Path
) -> None:
    workflow = "https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main"
    sign_image(store, image, fake.signer(workflow, ISSUER))
    regexps = policy(
        root_path,
        certificate_identity=None,
        certificate_identity_regexp=r"https://github\.com/org/repo/.*",
        certificate_oidc_issuer=None,
        certificate_oidc_issuer_regexp=r"https://issuer\.example",
    )
    assert run(store, image, regexps)["isSuccess"] is True


@pytest.mark.parametrize(
    "keyless",
    [
        {"certificate_identity": "someone@example.com"},
        {"certificate_oidc_issuer": "https://other.example"},
        {"certificate_identity": None, "certificate_identity_regexp": "builder"},  # not the whole value
        {"certificate_oidc_issuer": None, "certificate_oidc_issuer_regexp": "https://issuer"},
    ],
)
def test_identity_mismatches(
    keyless: dict[str, Any],
    store: MemoryStore,
    image: Reference,
    fake: FakeSigstore,
    root_path: Path,
) -> None:
    sign_image(store, image, fake.signer(IDENTITY, ISSUER))
    result = verify(store, image, policy(root_path, **keyless))
    assert failed_check(result).reason is FailureReason.IDENTITY_MISMATCH


def test_certificate_from_another_ca(
    store: MemoryStore, image: Reference, fake: FakeSigstore, root_path: Path
) -> None:
    other = FakeSigstore()
    certificate, key = other.issue(IDENTITY, ISSUER)
    assert image.digest
    payload = make_payload(image.digest, image.name)
    signature = sign_bytes(key, payload)
    pem = certificate.public_bytes(serialization.Encoding.PEM)
    record = fake.log(payload, signature, pem)  # logged in the trusted Rekor, but issued by another CA
    annotations = {
        "dev.sigstore.cosign/certificate": pem.decode(),
        "dev.sigstore.cosign/chain": other.chain_pem().decode(),
        "dev.sigstore.cosign/bundle": record.cosign_bundle(),
        "dev.cosignproject.cosign/signature": base64.b64encode(signature).decode(),
    }
    sign_image(
        store, image, KeyPair(key, "ecdsa-p256"), SignOptions(payload=payload, annotations=annotations)
    )
    result = verify(store, image, policy(root_path))
    assert failed_check(result).reason is FailureReason.CERTIFICATE_INVALID


def test_expired_at_signing_time(
    store: MemoryStore, image: Reference, fake: FakeSigstore, root_path: Path
) -> None:
    sign_image(
        store,
        image,
        fake.signer(
            IDENTITY, ISSUER, not_before=fake.now() - timedelta(hours=1), lifetime=timedelta(minutes=10)
        ),
    )
    result = verify(store, image, policy(root_path))
    assert failed_check(result).reason is FailureReason.CERTIFICATE_INVALID


@pytest.mark.parametrize("sct", [False, "corrupt"])
def test_missing_or_corrupted_sct(
    sct: bool | str, store: MemoryStore, image: Reference, fake: FakeSigstore, root_path: Path
) -> None:
    sign_image(store, image, fake.signer(IDENTITY, ISSUER, sct=sct))
    result = verify(store, image, policy(root_path))
    assert failed_check(result).reason is FailureReason.SCT_INVALID
    relaxed = run(store, image, policy(root_path, ct_log_verify=False))
    assert relaxed["isSuccess"] is True
    assert "SCT not checked: ctLogVerify is false" in only_check(relaxed)["summary"]


def signature_tag(image: Reference) -> Reference:
    assert image.digest
    return Reference(
        registry=image.registry, repository=image.repository, tag=cosign_signature_tag(image.digest)
    )


def bundle_of(store: MemoryStore, image: Reference) -> dict[str, Any]:
    manifest = json.loads(store.fetch_manifest(image, store.resolve(signature_tag(image)).digest))
    return json.loads(manifest["layers"][-1]["annotations"]["dev.sigstore.cosign/bundle"])  # type: ignore[no-any-return]


def replace_bundle(store: MemoryStore, image: Reference, bundle: dict[str, Any]) -> None:
    """Rewrite the bundle annotation of the image's last signature layer in place."""
    tag = signature_tag(image)
    manifest = json.loads(store.fetch_manifest(image, store.resolve(tag).digest))
    manifest["layers"][-1]["annotations"]["dev.sigstore.cosign/bundle"] = json.dumps(bundle)
    store.push_manifest(image, json.dumps(manifest).encode(), tag=tag.tag)


def replace_certificate(store: MemoryStore, image: Reference, change: Callable[[bytes], bytes]) -> None:
    """Rewrite the DER of the certificate annotation of the image's last signature layer in place."""
    tag = signature_tag(image)
    manifest = json.loads(store.fetch_manifest(image, store.resolve(tag).digest))
    annotations = manifest["layers"][-1]["annotations"]
    pem = annotations["dev.sigstore.cosign/certificate"].encode()
    der = change(x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER))
    body = base64.encodebytes(der).decode()
    annotations["dev.sigstore.cosign/certificate"] = (
        f"-----BEGIN CERTIFICATE-----\n{body}-----END CERTIFICATE-----\n"
    )
    store.push_manifest(image, json.dumps(manifest).encode(), tag=tag.tag)


@pytest.mark.parametrize(
    ("known", "unknown"),
    [
        ("06072a8648ce3d0201", "06072a8648ce3d0209"),  # id-ecPublicKey -> an unknown key algorithm
        ("06082a8648ce3d030107", "06082a8648ce3d030109"),  # prime256v1 -> an unknown curve
    ],
    ids=["key-algorithm", "curve"],
)
def test_certificate_key_of_an_unknown_kind(
    store: MemoryStore, image: Reference, fake: FakeSigstore, root_path: Path, known: str, unknown: str
) -> None:
    """The certificate is read before it is chained: a key cryptography cannot load fails the signature
    (it raised UnsupportedAlgorithm out of the verifier)."""
    sign_image(store, image, fake.signer(IDENTITY, ISSUER))
    old, new = bytes.fromhex(known), bytes.fromhex(unknown)

    def change(der: bytes) -> bytes:
        assert old in der
        return der.replace(old, new, 1)

    replace_certificate(store, image, change)
    check = failed_check(verify(store, image, policy(root_path)))
    assert check.reason is FailureReason.UNSUPPORTED
    assert check.error is not None and "certificate key: unsupported key algorithm" in check.error


def test_corrupted_set(store: MemoryStore, image: Reference, fake: FakeSigstore, root_path: Path) -> None:
    sign_image(store, image, fake.signer(IDENTITY, ISSUER))
    bundle = bundle_of(store, image)
    raw = bytearray(base64.b64decode(bundle["SignedEntryTimestamp"]))
    raw[-1] ^= 0x01
    bundle["SignedEntryTimestamp"] = base64.b64encode(bytes(raw)).decode()
    replace_bundle(store, image, bundle)
    result = verify(store, image, policy(root_path))
    assert failed_check(result).reason is FailureReason.TLOG_INVALID


def test_set_for_another_entry(
    store: MemoryStore, image: Reference, fake: FakeSigstore, root_path: Path
) -> None:
    first = push_image(store, "registry.example/team/first:v1")
    sign_image(store, first, fake.signer(IDENTITY, ISSUER))
    sign_image(store, image, fake.signer(IDENTITY, ISSUER))
    replace_bundle(store, image, bundle_of(store, first))  # a valid SET, for the other image's entry
    result = Executor(store, [CosignVerifier([policy(root_path)])]).verify(image)
    assert not result.is_success
    [check] = result.verifier_reports[0].signatures[0].verifications
    assert check.reason is FailureReason.TLOG_INVALID
    assert check.error == "keyless: log entry records another artifact hash"


def test_body_describing_another_signature(
    store: MemoryStore, image: Reference, fake: FakeSigstore, root_path: Path
) -> None:
    # The same payload signed twice: the second signature carries the first one's (valid) bundle.
    sign_image(store, image, fake.signer(IDENTITY, ISSUER))
    first_bundle = bundle_of(store, image)
    sign_image(store, image, fake.signer(IDENTITY, ISSUER))
    replace_bundle(store, image, first_bundle)
    result = Executor(store, [CosignVerifier([policy(root_path)])]).verify(image)
    checks = [s.verifications[0] for s in result.verifier_reports[0].signatures]
    assert checks[0].is_success
    assert not checks[1].is_success
    assert checks[1].reason is FailureReason.TLOG_INVALID
    assert checks[1].error == "keyless: log entry records another signature"


def test_missing_bundle_and_rekor_unreachable(
    store: MemoryStore, image: Reference, fake: FakeSigstore, root_path: Path
) -> None:
    sign_image(store, image, fake.signer(IDENTITY, ISSUER, bundle=False))
    result = verify(store, image, policy(root_path))
    assert failed_check(result).reason is FailureReason.TLOG_UNAVAILABLE


@pytest.fixture
def rekor(fake: FakeSigstore) -> Iterator[RekorServer]:
    with RekorServer(fake) as server:
        yield server


def test_missing_bundle_found_online(
    store: MemoryStore, image: Reference, fake: FakeSigstore, root_path: Path, rekor: RekorServer
) -> None:
    sign_image(store, image, fake.signer(IDENTITY, ISSUER, bundle=False))
    for _ in range(3):  # more entries after ours, so the inclusion proof has work to do
        sign_image(store, push_image(store, "registry.example/team/noise:v1"), fake.signer())
    result = run(store, image, policy(root_path, rekor_url=rekor.url))
    assert result["isSuccess"] is True, result
    check = only_check(result)
    assert check["bundleVerified"] is False
    assert any("online (SET, inclusion proof and checkpoint verified)" in line for line in check["summary"])
    assert rekor.requests >= 2


class RekorWithoutCheckpoints(RekorServer):
    """A Rekor whose entries' inclusion proofs come without a checkpoint (their root hash unsigned)."""

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, Any]:
        status, document = super().answer(method, path, body)
        if isinstance(document, dict):
            for entry in document.values():
                if isinstance(entry, dict) and "verification" in entry:
                    del entry["verification"]["inclusionProof"]["checkpoint"]
        return status, document


def test_online_entry_without_checkpoint_fails(
    store: MemoryStore, image: Reference, fake: FakeSigstore, root_path: Path
) -> None:
    """An inclusion proof without a signed checkpoint leads only to the root hash the same answer states:
    it proves nothing, so the entry is refused (as sigstore-python does), and no report says that a
    checkpoint was verified."""
    sign_image(store, image, fake.signer(IDENTITY, ISSUER, bundle=False))
    with RekorWithoutCheckpoints(fake) as rekor:
        result = verify(store, image, policy(root_path, rekor_url=rekor.url))
    assert not result.is_success
    check = failed_check(result)
    assert check.reason is FailureReason.TLOG_INVALID
    assert check.error is not None
    assert "inclusion proof has no signed checkpoint (its root hash would be unproven)" in check.error
    assert "checkpoint verified" not in json.dumps(result.to_dict())


def test_without_tlog_signing_time_is_now(
    store: MemoryStore, image: Reference, fake: FakeSigstore, root_path: Path
) -> None:
    sign_image(store, image, fake.signer(IDENTITY, ISSUER, bundle=False))
    result = run(store, image, policy(root_path, tlog=False))
    assert result["isSuccess"] is True
    assert any("the current time (no verified signing time" in line for line in only_check(result)["summary"])


def test_key_based_with_rekor_bundle(
    store: MemoryStore,
    image: Reference,
    fake: FakeSigstore,
    root_path: Path,
    key_pair: Callable[..., KeyPair],
) -> None:
    pair = key_pair()
    sign_image(store, image, pair, SignOptions(rekor=fake))
    providers = KeyProviders([InlineKeyProvider("kp", pair.public_pem())])
    keyed = TrustPolicy(
        name="keyed",
        scopes=["registry.example/*"],
        keys=[KeyRef(provider="kp")],
        trusted_root=str(root_path),
        rekor_url=unreachable_url(),
    )
    result = Executor(store, [CosignVerifier([keyed], providers)]).verify(image).to_dict()
    assert result["isSuccess"] is True, result
    check = only_check(result)
    assert check["bundleVerified"] is True
    other = key_pair("ecdsa-p256", 1)
    stolen = push_image(store, "registry.example/team/stolen:v1")
    sign_image(
        store,
        stolen,
        other,
        SignOptions(annotations={"dev.sigstore.cosign/bundle": json.dumps(bundle_of(store, image))}),
    )
    both = KeyProviders([InlineKeyProvider("kp", pair.public_pem() + other.public_pem())])
    denied = Executor(store, [CosignVerifier([keyed], both)]).verify(stolen)
    assert not denied.is_success
    reasons = [v.reason for s in denied.verifier_reports[0].signatures for v in s.verifications]
    assert reasons == [FailureReason.SIGNATURE_INVALID, FailureReason.TLOG_INVALID]


def test_default_public_good_root_rejects_fake_signatures(
    store: MemoryStore, image: Reference, fake: FakeSigstore
) -> None:
    sign_image(store, image, fake.signer(IDENTITY, ISSUER))
    public = TrustPolicy(
        name="public",
        scopes=["*"],
        keyless=Keyless(certificate_identity=IDENTITY, certificate_oidc_issuer=ISSUER),
    )
    result = verify(store, image, public)
    assert failed_check(result).reason is FailureReason.TLOG_INVALID


def test_rfc3161_timestamp_is_a_signing_time(
    store: MemoryStore, image: Reference, fake: FakeSigstore, root_path: Path
) -> None:
    # The certificate expired long ago; a trusted timestamp from its validity makes the signature valid.
    issued = fake.now() - timedelta(hours=2)
    sign_image(
        store,
        image,
        fake.signer(
            IDENTITY,
            ISSUER,
            bundle=False,
            not_before=issued,
            lifetime=timedelta(minutes=10),
            timestamp=issued + timedelta(minutes=5),
        ),
    )
    result = run(store, image, policy(root_path, tlog=False))
    assert result["isSuccess"] is True, result
    summary = only_check(result)["summary"]
    assert any(line.startswith("RFC 3161 timestamp verified") for line in summary)
    assert any("at RFC 3161 timestamp" in line for line in summary)


def test_rfc3161_timestamp_outside_certificate_validity(
    store: MemoryStore, image: Reference, fake: FakeSigstore, root_path: Path
) -> None:
    issued = fake.now() - timedelta(hours=2)
    sign_image(
        store,
        image,
        fake.signer(
            IDENTITY,
            ISSUER,
            bundle=False,
            not_before=issued,
            lifetime=timedelta(minutes=10),
            timestamp=issued + timedelta(minutes=30),
        ),
    )
    result = verify(store, image, policy(root_path, tlog=False))
    assert failed_check(result).reason is FailureReason.CERTIFICATE_INVALID


def test_rfc3161_timestamp_from_an_untrusted_tsa(
    store: MemoryStore, image: Reference, fake: FakeSigstore, tmp_path: Path
) -> None:
    sign_image(store, image, fake.signer(IDENTITY, ISSUER, bundle=False, timestamp=True))
    document = json.loads(fake.trusted_root_json())
    document["timestampAuthorities"] = []
    no_tsa = tmp_path / "no-tsa.json"
    no_tsa.write_text(json.dumps(document))
    result = verify(store, image, policy(no_tsa, tlog=False))
    assert failed_check(result).reason is FailureReason.TIMESTAMP_INVALID


def test_an_online_entry_is_not_shared_with_a_root_that_does_not_trust_its_log(
    store: MemoryStore,
    image: Reference,
    fake: FakeSigstore,
    root_path: Path,
    rekor: RekorServer,
    tmp_path: Path,
) -> None:
    """One RekorLog serves two verifiers: an entry verified under one trusted root is not reused for
    another whose root does not trust that log's key (it is looked up and checked again)."""
    sign_image(store, image, fake.signer(IDENTITY, ISSUER, bundle=False))
    without_rekor = json.loads(root_path.read_text())
    without_rekor["tlogs"] = []
    other_root = tmp_path / "no_rekor_root.json"
    other_root.write_text(json.dumps(without_rekor))
    shared = RekorLog(rekor.url)
    trusting = CosignVerifier([policy(root_path, rekor_url=rekor.url)], transparency_log=shared)
    distrusting = CosignVerifier([policy(other_root, rekor_url=rekor.url)], transparency_log=shared)
    assert Executor(store, [trusting]).verify(image).is_success
    result = Executor(store, [distrusting]).verify(image)
    assert failed_check(result).reason is FailureReason.TLOG_INVALID, result.to_dict()
    assert Executor(store, [trusting]).verify(image).is_success  # its own entry is still remembered


def test_a_rewritten_trusted_root_file_is_read_again(fake: FakeSigstore, root_path: Path) -> None:
    """A key rotation rewrites the file in place: the next verifier must not get the old root."""
    from cosign_verify import TrustedRoot

    first = TrustedRoot.from_file(root_path)
    assert TrustedRoot.from_file(root_path) is first  # unchanged: parsed once
    rotated = json.loads(root_path.read_text())
    rotated["tlogs"] = []
    root_path.write_text(json.dumps(rotated))
    assert first.tlogs and TrustedRoot.from_file(root_path).tlogs == ()


def test_an_sct_needs_a_ct_log_key_valid_when_it_was_issued(
    store: MemoryStore, image: Reference, fake: FakeSigstore, root_path: Path
) -> None:
    sign_image(store, image, fake.signer(IDENTITY, ISSUER))
    assert verify(store, image, policy(root_path)).is_success
    retired = json.loads(root_path.read_text())
    for log in retired["ctlogs"]:
        log["publicKey"]["validFor"]["end"] = "2020-01-01T00:00:00Z"
    root_path.write_text(json.dumps(retired))
    check = failed_check(verify(store, image, policy(root_path)))
    assert check.reason is FailureReason.SCT_INVALID
    assert check.error is not None and "key was not valid at" in check.error


def test_a_signing_time_in_the_future_fails(store: MemoryStore, image: Reference, tmp_path: Path) -> None:
    """A log entry integrated tomorrow (a log with a wrong clock, or a forged SET) proves no signing time."""
    from datetime import datetime, timedelta, timezone

    tomorrow = FakeSigstore(now=datetime.now(timezone.utc) + timedelta(days=1))
    sign_image(store, image, tomorrow.signer(IDENTITY, ISSUER))
    check = failed_check(verify(store, image, policy(tomorrow.write_trusted_root(tmp_path / "root.json"))))
    assert check.reason is FailureReason.TLOG_INVALID
    assert check.error is not None and "is in the future" in check.error


def test_the_log_fingerprint_covers_the_keys_not_only_their_stated_ids(root_path: Path) -> None:
    """Two roots that state one log id for different keys must not share verified log entries."""
    import base64

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from cosign_verify import TrustedRoot

    document = json.loads(root_path.read_text())
    other_key = ec.generate_private_key(ec.SECP256R1()).public_key()
    der = other_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    swapped = json.loads(json.dumps(document))
    swapped["tlogs"][0]["publicKey"]["rawBytes"] = base64.b64encode(der).decode()
    original, impostor = (
        TrustedRoot.from_json(json.dumps(document)),
        TrustedRoot.from_json(json.dumps(swapped)),
    )
    assert original.tlogs[0].key_id == impostor.tlogs[0].key_id  # the id the root states
    assert original.tlog_fingerprint() != impostor.tlog_fingerprint()
    assert original.tlog_fingerprint() == TrustedRoot.from_json(json.dumps(document)).tlog_fingerprint()
