"""The registry store against a real registry: Debian's docker-registry (distribution 2.8)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from cosign_verify import (
    ConfigPolicy,
    CosignVerifier,
    Executor,
    FailureReason,
    InlineKeyProvider,
    KeyProviders,
    KeyRef,
    Reference,
    StoreError,
    TrustPolicy,
)
from cosign_verify.mediatypes import COSIGN_SIGNATURE_ARTIFACT_TYPE, OCI_IMAGE_INDEX
from cosign_verify.store import Credentials, OCIRegistryStore, RegistryOptions, StaticAuthProvider
from cosign_verify.store.oci import referrers_tag
from cosign_verify.testing import KeyPair, SignOptions, push_image, sign_image

from .conftest import DOCKER_PASSWORD, DOCKER_USER

pytestmark = pytest.mark.integration


def executor(store: OCIRegistryStore, registry: str, pair: KeyPair) -> Executor:
    policy = TrustPolicy(name="p", scopes=[f"{registry}/*"], keys=[KeyRef(provider="kp")], tlog_verify=False)
    return Executor(
        store, [CosignVerifier([policy], KeyProviders([InlineKeyProvider("kp", pair.public_pem())]))]
    )


def test_resolve(docker_registry: str) -> None:
    store = OCIRegistryStore()
    image = push_image(store, f"{docker_registry}/resolve/app:v1")
    resolved = store.resolve(Reference.parse(f"{docker_registry}/resolve/app:v1"))
    assert resolved.digest == image.digest
    assert resolved.media_type == "application/vnd.oci.image.manifest.v1+json"
    with pytest.raises(StoreError, match="not found"):
        store.resolve(Reference.parse(f"{docker_registry}/resolve/app:missing"))


def test_sig_tag(docker_registry: str, key_pair: Callable[..., KeyPair]) -> None:
    store = OCIRegistryStore()
    pair = key_pair()
    image = push_image(store, f"{docker_registry}/sigtag/app:v1")
    sign_image(store, image, pair)
    result = executor(OCIRegistryStore(), docker_registry, pair).verify(f"{docker_registry}/sigtag/app:v1")
    assert result.is_success, result.to_dict()
    [report] = result.verifier_reports
    assert report.artifact_type == COSIGN_SIGNATURE_ARTIFACT_TYPE


def test_tag_schema_fallback(docker_registry: str, key_pair: Callable[..., KeyPair]) -> None:
    writer = OCIRegistryStore()
    pair = key_pair()
    image = push_image(writer, f"{docker_registry}/tagschema/app:v1")
    assert image.digest
    descriptor = sign_image(writer, image, pair, SignOptions(layout="referrer"))
    # The writer kept the referrers tag-schema index up to date: docker-registry has no referrers API.
    index_ref = Reference(
        registry=image.registry, repository=image.repository, tag=referrers_tag(image.digest)
    )
    index = json.loads(writer.fetch_manifest(image, writer.resolve(index_ref).digest))
    assert index["mediaType"] == OCI_IMAGE_INDEX
    assert [m["digest"] for m in index["manifests"]] == [descriptor.digest]

    reader = OCIRegistryStore(RegistryOptions(cosign_enabled=False, cache_enabled=False))
    result = executor(reader, docker_registry, pair).verify(image)
    assert result.is_success, result.to_dict()
    assert reader.referrers_mode(docker_registry) == "tag-schema"
    before = reader.transport.requests_sent
    reader.list_referrers(image.with_digest(image.digest))
    assert reader.transport.requests_sent - before == 1  # the index only: the missing API is remembered


def test_sig_tag_and_referrer_together(docker_registry: str, key_pair: Callable[..., KeyPair]) -> None:
    store = OCIRegistryStore()
    trusted, other = key_pair(), key_pair("ed25519")
    image = push_image(store, f"{docker_registry}/both/app:v1")
    sign_image(store, image, trusted, SignOptions(layout="referrer"))
    sign_image(store, image, other, SignOptions(layout="tag"))
    strict = executor(OCIRegistryStore(), docker_registry, trusted)  # default policy: 'all'
    result = strict.verify(image)
    assert [r.is_success for r in result.verifier_reports] == [True, False]
    assert [r.reason for r in result.verifier_reports] == [None, FailureReason.NO_VALID_SIGNATURE]
    assert not result.is_success and result.reason is FailureReason.POLICY_NOT_SATISFIED
    lenient = Executor(strict.store, strict.verifiers, ConfigPolicy({COSIGN_SIGNATURE_ARTIFACT_TYPE: "any"}))
    assert lenient.verify(image).is_success


def test_basic_auth(docker_registry_basic: str, key_pair: Callable[..., KeyPair]) -> None:
    credentials = StaticAuthProvider(
        {docker_registry_basic: Credentials(username=DOCKER_USER, password=DOCKER_PASSWORD)}
    )
    store = OCIRegistryStore(auth=credentials)
    pair = key_pair()
    image = push_image(store, f"{docker_registry_basic}/auth/app:v1")
    sign_image(store, image, pair)
    assert executor(OCIRegistryStore(auth=credentials), docker_registry_basic, pair).verify(image).is_success
    anonymous = executor(OCIRegistryStore(), docker_registry_basic, pair).verify(image)
    assert not anonymous.is_success and anonymous.reason is FailureReason.STORE_FAILED
    # Every registry failure is STORE_FAILED: the messages tell the two auth refusals from the others.
    assert "requires basic authentication and no credentials are configured" in (anonymous.message or "")
    wrong = StaticAuthProvider({docker_registry_basic: Credentials(username=DOCKER_USER, password="nope")})
    denied = executor(OCIRegistryStore(auth=wrong), docker_registry_basic, pair).verify(image)
    assert not denied.is_success and denied.reason is FailureReason.STORE_FAILED
    assert "HTTP 401" in (denied.message or "")
