"""Annotations, Fulcio claims, signatures in another repository, thresholds and attestations, end to end.

Each feature runs against docker-registry (no referrers API: cosign 2's
``.sig`` / ``.att`` tags and the referrers tag schema) and against the
toolkit's registry with the referrers API (OCI 1.1 referrers and cosign 3
bundles), with the attack that each one stops.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Literal

import attrs
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
    OCIRegistryStore,
    Reference,
    TrustedRoot,
    TrustPolicy,
    VerificationResult,
)
from cosign_verify.attestations import AttestationVerifier
from cosign_verify.mediatypes import COSIGN_ATTESTATION_ARTIFACT_TYPE
from cosign_verify.testing import (
    AttestOptions,
    FakeSigstore,
    KeyPair,
    RegistryServer,
    SignOptions,
    attest_image,
    push_image,
    sign_image,
)

pytestmark = pytest.mark.integration

WORKFLOW = "https://github.com/org/app/.github/workflows/release.yml@refs/tags/v1"
ACTIONS = "https://token.actions.githubusercontent.com"
SIGNATURES = "application/vnd.dev.cosign.artifact.sig.v1+json"
BUNDLES = "application/vnd.dev.sigstore.bundle.v0.3+json"
CLAIMS = {"certificateGithubWorkflowRef": "refs/tags/v1", "sourceRepositoryRef": "refs/tags/v1"}


@attrs.frozen
class World:
    """A registry and how images are signed there: cosign 2's tags, or referrers and cosign 3 bundles."""

    registry: str
    referrers: bool
    sigstore: FakeSigstore
    root: TrustedRoot

    def image(self, name: str) -> Reference:
        return push_image(OCIRegistryStore(), f"{self.registry}/features/{name}:v1")

    def sign(self, image: Reference, signer: Any, **options: Any) -> None:
        layout: Literal["tag", "referrer"] = "referrer" if self.referrers else "tag"
        sign_image(
            OCIRegistryStore(), image, signer, SignOptions(layout=layout, rekor=self.sigstore, **options)
        )

    def attest(self, image: Reference, signer: Any, predicate: Any, kind: str, **options: Any) -> None:
        layout: Literal["tag", "bundle"] = "bundle" if self.referrers else "tag"
        attest_image(
            OCIRegistryStore(),
            image,
            signer,
            predicate,
            AttestOptions(layout=layout, predicate_type=kind, rekor=self.sigstore, **options),
        )

    def verify(self, image: Reference, *verifiers: Any) -> VerificationResult:
        return Executor(OCIRegistryStore(), verifiers, ConfigPolicy({"default": "any"})).verify(image)


@pytest.fixture(params=["docker-registry", "referrers-api"])
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    sigstore = FakeSigstore()
    root = TrustedRoot.from_json(sigstore.trusted_root_json(), source="fake")
    if request.param == "docker-registry":
        yield World(request.getfixturevalue("docker_registry"), False, sigstore, root)
        return
    with RegistryServer(referrers_api=True) as server:
        yield World(server.registry, True, sigstore, root)


@pytest.fixture
def referrers_world() -> Iterator[World]:
    sigstore = FakeSigstore()
    with RegistryServer(referrers_api=True) as server:
        yield World(server.registry, True, sigstore, TrustedRoot.from_json(sigstore.trusted_root_json()))


def keyed(world: World, *pairs: KeyPair, **policy: Any) -> CosignVerifier:
    providers = KeyProviders([InlineKeyProvider(f"k{i}", p.public_pem()) for i, p in enumerate(pairs)])
    keys = [KeyRef(provider=f"k{i}") for i in range(len(pairs))]
    return CosignVerifier(
        [TrustPolicy(name="team", scopes=[f"{world.registry}/*"], keys=keys, **policy)],
        providers,
        artifact_types=[SIGNATURES, BUNDLES],
        trusted_root=world.root,
    )


def keyless(world: World, **extensions: str) -> CosignVerifier:
    identity = Keyless(
        certificate_identity=WORKFLOW, certificate_oidc_issuer=ACTIONS, certificate_extensions=extensions
    )
    return CosignVerifier(
        [TrustPolicy(name="ci", scopes=[f"{world.registry}/*"], keyless=identity)],
        artifact_types=[SIGNATURES, BUNDLES],
        trusted_root=world.root,
    )


def first_failure(result: VerificationResult) -> tuple[FailureReason | None, str]:
    """The most specific reason and message behind a failed result."""
    assert not result.is_success, result.to_dict()
    for report in result.verifier_reports:
        for signature in report.signatures:
            for check in signature.verifications:
                if not check.is_success:
                    return check.reason, check.error or ""
            if not signature.is_success and signature.error:
                return signature.reason, signature.error
        if not report.is_success:
            return report.reason, report.error_reason or ""
    return result.reason, result.message or ""


def test_annotations(world: World, key_pair: Callable[..., KeyPair]) -> None:
    pair = key_pair()
    image = world.image("annotated")
    world.sign(image, pair, payload_annotations={"env": "prod", "team": "payments"})
    assert world.verify(image, keyed(world, pair, annotations={"env": "prod"})).is_success
    assert world.verify(image, keyed(world, pair, annotations={"env": "prod", "team": "payments"})).is_success
    reason, message = first_failure(world.verify(image, keyed(world, pair, annotations={"env": "staging"})))
    assert reason is FailureReason.ANNOTATION_MISMATCH and "'prod', not 'staging'" in message
    reason, message = first_failure(world.verify(image, keyed(world, pair, annotations={"ticket": "OPS-1"})))
    assert reason is FailureReason.ANNOTATION_MISMATCH and "no annotation 'ticket'" in message


def test_annotations_in_a_message_signature_bundle(
    referrers_world: World, key_pair: Callable[..., KeyPair]
) -> None:
    world = referrers_world  # bundles are OCI 1.1 referrers
    pair = key_pair()
    image = world.image("bundle-annotated")
    world.sign(
        image, pair, format="bundle", bundle_content="message-signature", payload_annotations={"env": "prod"}
    )
    assert world.verify(image, keyed(world, pair, annotations={"env": "prod"})).is_success
    reason, _ = first_failure(world.verify(image, keyed(world, pair, annotations={"env": "dev"})))
    assert reason is FailureReason.ANNOTATION_MISMATCH


def test_annotations_on_a_cosign_3_statement(
    referrers_world: World, key_pair: Callable[..., KeyPair]
) -> None:
    """cosign 3.0.3 and later write -a onto the in-toto statement's subject."""
    world, pair = referrers_world, key_pair()
    image = world.image("statement-annotated")
    world.sign(image, pair, format="bundle", payload_annotations={"env": "prod"})
    assert world.verify(image, keyed(world, pair, annotations={"env": "prod"})).is_success
    reason, message = first_failure(world.verify(image, keyed(world, pair, annotations={"env": "dev"})))
    assert reason is FailureReason.ANNOTATION_MISMATCH and "'prod', not 'dev'" in message
    plain = world.image("statement-plain")
    world.sign(plain, pair, format="bundle")
    reason, _ = first_failure(world.verify(plain, keyed(world, pair, annotations={"env": "prod"})))
    assert reason is FailureReason.ANNOTATION_MISMATCH


def test_fulcio_claims(world: World) -> None:
    image = world.image("claims")
    world.sign(image, world.sigstore.signer(WORKFLOW, ACTIONS, extensions=CLAIMS))
    assert world.verify(image, keyless(world, **CLAIMS)).is_success
    assert world.verify(image, keyless(world, **{"1.3.6.1.4.1.57264.1.14": "refs/tags/v1"})).is_success
    wrong_ref = keyless(world, certificateGithubWorkflowRef="refs/heads/main")
    reason, message = first_failure(world.verify(image, wrong_ref))
    assert reason is FailureReason.CLAIM_MISMATCH
    assert "certificateGithubWorkflowRef is 'refs/tags/v1', not 'refs/heads/main'" in message
    reason, message = first_failure(world.verify(image, keyless(world, buildTrigger="push")))
    assert reason is FailureReason.CLAIM_MISMATCH and "no buildTrigger claim" in message


def test_signatures_in_another_repository(world: World, key_pair: Callable[..., KeyPair]) -> None:
    pair = key_pair()
    image = world.image("elsewhere")
    signatures = f"{world.registry}/features/signatures"
    world.sign(image, pair, signature_repository=signatures)
    assert world.verify(image, keyed(world, pair, signature_repository=signatures)).is_success
    # without the setting, nothing is beside the image
    result = world.verify(image, keyed(world, pair))
    assert result.reason is FailureReason.NO_SIGNATURES
    # signatures stored somewhere else than the policy says are not found
    other = f"{world.registry}/features/other-signatures"
    result = world.verify(image, keyed(world, pair, signature_repository=other))
    assert result.reason is FailureReason.NO_SIGNATURES and "features/other-signatures" in (
        result.message or ""
    )


def test_a_signature_repository_cannot_vouch_for_another_digest(
    world: World, key_pair: Callable[..., KeyPair]
) -> None:
    """A signature for image A, copied under image B's digest tag in the signature repository, still fails."""
    pair = key_pair()
    a, b = world.image("vouch-a"), world.image("vouch-b")
    signatures = f"{world.registry}/features/vouch-signatures"
    assert a.digest and b.digest
    from cosign_verify.testing import make_payload

    world.sign(b, pair, signature_repository=signatures, payload=make_payload(a.digest, a.name))
    reason, _ = first_failure(world.verify(b, keyed(world, pair, signature_repository=signatures)))
    assert reason is FailureReason.SUBJECT_MISMATCH


def test_threshold(world: World, key_pair: Callable[..., KeyPair]) -> None:
    first, second, third = key_pair("ecdsa-p256", 0), key_pair("ecdsa-p256", 1), key_pair("ecdsa-p256", 2)
    image = world.image("threshold")
    world.sign(image, first)
    two_of_three = keyed(world, first, second, third, threshold=2)
    result = world.verify(image, two_of_three)
    assert result.verifier_reports[0].reason is FailureReason.THRESHOLD_NOT_MET
    assert "requires 2 distinct signers; 1 signed" in (result.verifier_reports[0].error_reason or "")
    world.sign(image, first)  # the same key again is still one signer
    assert not world.verify(image, two_of_three).is_success
    world.sign(image, third)
    assert world.verify(image, two_of_three).is_success
    assert not world.verify(image, keyed(world, first, second, third, threshold=3)).is_success


def test_threshold_of_identities(world: World) -> None:
    image = world.image("identities")
    world.sign(image, world.sigstore.signer("alice@example.com", ACTIONS))
    policy = Keyless(certificate_identity_regexp=".*@example\\.com", certificate_oidc_issuer=ACTIONS)
    verifier = CosignVerifier(
        [TrustPolicy(name="two", scopes=[f"{world.registry}/*"], keyless=policy, threshold=2)],
        trusted_root=world.root,
    )
    assert world.verify(image, verifier).verifier_reports[0].reason is FailureReason.THRESHOLD_NOT_MET
    world.sign(image, world.sigstore.signer("alice@example.com", ACTIONS))
    assert not world.verify(image, verifier).is_success  # one identity, twice
    world.sign(image, world.sigstore.signer("bob@example.com", ACTIONS))
    assert world.verify(image, verifier).is_success


def attestations(world: World, pair: KeyPair, *types: str, judge: Any = None) -> AttestationVerifier:
    return AttestationVerifier(
        [TrustPolicy(name="team", scopes=[f"{world.registry}/*"], keys=[KeyRef(provider="k")])],
        KeyProviders([InlineKeyProvider("k", pair.public_pem())]),
        predicate_types=types,
        judge=judge,
        trusted_root=world.root,
    )


def test_attestations(world: World, key_pair: Callable[..., KeyPair]) -> None:
    pair = key_pair()
    image = world.image("attested")
    world.attest(image, pair, {"buildType": "https://example.com/build"}, "slsaprovenance1")
    world.attest(image, pair, {"spdxVersion": "SPDX-2.3"}, "spdxjson")
    result = world.verify(image, attestations(world, pair, "slsaprovenance1"))
    assert result.is_success, result.to_dict()
    [statement] = [s for r in result.verifier_reports for s in r.statements]
    assert statement["predicateType"] == "https://slsa.dev/provenance/v1"
    assert statement["predicate"] == {"buildType": "https://example.com/build"}
    assert "statement" in str(result.to_dict())
    # the wrong predicate type
    reason, _ = first_failure(world.verify(image, attestations(world, pair, "cyclonedx")))
    assert reason in (FailureReason.PREDICATE_MISMATCH, FailureReason.NO_SIGNATURES)
    # the wrong key
    reason, _ = first_failure(world.verify(image, attestations(world, key_pair("ecdsa-p256", 1), "spdxjson")))
    assert reason is FailureReason.SIGNATURE_INVALID
    # the judge sees the verified statement and may refuse it
    judged = attestations(
        world, pair, "spdxjson", judge=lambda a: a.predicate.get("spdxVersion") == "SPDX-2.2"
    )
    reason, _ = first_failure(world.verify(image, judged))
    assert reason is FailureReason.ATTESTATION_REJECTED
    assert world.verify(image, attestations(world, pair, "spdxjson", judge=lambda a: True)).is_success
    forgot_to_return = attestations(world, pair, "spdxjson", judge=lambda a: None)
    reason, message = first_failure(world.verify(image, forgot_to_return))
    assert reason is FailureReason.ATTESTATION_REJECTED and "returned None" in message


def test_an_attestation_for_another_digest_fails(world: World, key_pair: Callable[..., KeyPair]) -> None:
    from cosign_verify.testing import make_attestation

    pair = key_pair()
    image, other = world.image("attested-here"), world.image("attested-there")
    assert other.digest
    statement = make_attestation(other.digest, other.name, "https://slsa.dev/provenance/v1", {})
    world.attest(image, pair, None, "slsaprovenance1", statement=statement)
    reason, message = first_failure(world.verify(image, attestations(world, pair, "slsaprovenance1")))
    assert reason is FailureReason.SUBJECT_MISMATCH, message


def test_an_attestation_is_never_a_signature(world: World, key_pair: Callable[..., KeyPair]) -> None:
    pair = key_pair()
    image = world.image("only-attested")
    world.attest(image, pair, {}, "slsaprovenance1")
    result = world.verify(image, keyed(world, pair))
    assert result.reason is FailureReason.NO_SIGNATURES
    # and a signature is never an attestation
    signed = world.image("only-signed")
    world.sign(signed, pair)
    assert not world.verify(signed, attestations(world, pair)).is_success


def test_cosign_v3_signature_and_sbom_bundles_pass_the_default_all(referrers_world: World) -> None:
    world = referrers_world  # cosign 3 bundles are OCI 1.1 referrers
    image = world.image("v3")
    signer = world.sigstore.signer(WORKFLOW, ACTIONS)
    world.sign(image, signer, format="bundle")
    world.attest(image, signer, {"bomFormat": "CycloneDX"}, "cyclonedx")
    verifier = keyless(world)
    signatures = Executor(OCIRegistryStore(), [verifier]).verify(image)  # ConfigPolicy(): 'all'
    assert signatures.is_success, signatures.to_dict()
    attested = AttestationVerifier(
        [
            TrustPolicy(
                name="ci",
                scopes=[f"{world.registry}/*"],
                keyless=Keyless(certificate_identity=WORKFLOW, certificate_oidc_issuer=ACTIONS),
            )
        ],
        predicate_types=["cyclonedx"],
        trusted_root=world.root,
    )
    both = Executor(OCIRegistryStore(), [verifier, attested], ConfigPolicy({"default": "any"})).verify(image)
    assert both.is_success and {r.type for r in both.verifier_reports} == {"cosign", "cosign-attestation"}


def test_a_config_policy_can_require_an_attestation_in_either_layout(
    world: World, key_pair: Callable[..., KeyPair]
) -> None:
    """cosign 3 signatures and attestations are both bundle referrers: a signature must not stand in for
    a required attestation. Every attestation report is decided under our attestation artifact type."""
    pair = key_pair()
    image = world.image("attestation-required")
    world.sign(image, pair, **({"format": "bundle"} if world.referrers else {}))
    require = ConfigPolicy({COSIGN_ATTESTATION_ARTIFACT_TYPE: "any"})

    def verify() -> VerificationResult:
        verifiers = (keyed(world, pair), attestations(world, pair, "slsaprovenance1"))
        return Executor(OCIRegistryStore(), verifiers, require).verify(image)

    missing = verify()
    assert not missing.is_success
    assert f"policy requires artifact type {COSIGN_ATTESTATION_ARTIFACT_TYPE!r}" in (missing.message or "")
    world.attest(image, pair, {"bomFormat": "CycloneDX"}, "cyclonedx")  # not the wanted type
    assert not verify().is_success
    world.attest(image, pair, {"builder": {"id": "ci"}}, "slsaprovenance1")
    passed = verify()
    assert passed.is_success, passed.to_dict()
    decided = {r.type: r.artifact_type for r in passed.verifier_reports if r.is_success}
    assert decided["cosign-attestation"] == COSIGN_ATTESTATION_ARTIFACT_TYPE


def test_a_predicate_type_with_a_comma_is_routed(world: World, key_pair: Callable[..., KeyPair]) -> None:
    pair = key_pair()
    image = world.image("comma")
    kind = "https://example.com/predicates/build,v1"
    world.attest(image, pair, {"built": True}, kind)
    result = world.verify(image, attestations(world, pair, kind))
    assert result.is_success, result.to_dict()
    assert result.verifier_reports[0].statements[0]["predicateType"] == kind
    elsewhere = world.verify(image, attestations(world, pair, "https://example.com/predicates/build"))
    assert not elsewhere.is_success
