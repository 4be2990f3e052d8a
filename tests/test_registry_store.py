"""OCIRegistryStore over real HTTP, against the toolkit's RegistryServer (auth, pagination, faults)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

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
    VerificationResult,
)
from cosign_verify.mediatypes import COSIGN_SIGNATURE_ARTIFACT_TYPE, OCI_EMPTY, OCI_IMAGE_INDEX
from cosign_verify.store import (
    Credentials,
    DockerConfigAuthProvider,
    OCIRegistryStore,
    RegistryOptions,
    StaticAuthProvider,
)
from cosign_verify.store.oci import referrers_tag
from cosign_verify.testing import KeyPair, SignOptions, push_image, sign_image
from cosign_verify.testing.registry import RegistryServer

from .conftest import cause

FAST = RegistryOptions(backoff=0.01, max_backoff=0.05, deadline=3.0, read_timeout=1.0)


@pytest.fixture
def server() -> Iterator[RegistryServer]:
    with RegistryServer() as running:
        yield running


def executor(store: OCIRegistryStore, pair: KeyPair) -> Executor:
    policy = TrustPolicy(name="p", scopes=["*"], keys=[KeyRef(provider="kp")], tlog_verify=False)
    verifier = CosignVerifier([policy], KeyProviders([InlineKeyProvider("kp", pair.public_pem())]))
    return Executor(store, [verifier], ConfigPolicy({COSIGN_SIGNATURE_ARTIFACT_TYPE: "any"}))


def signed(server: RegistryServer, pair: KeyPair, name: str = "ns/app", layout: str = "tag") -> Reference:
    writer = OCIRegistryStore(FAST)
    image = push_image(writer, f"{server.registry}/{name}:v1")
    sign_image(writer, image, pair, SignOptions(layout=layout))  # type: ignore[arg-type]
    return image


def verify(
    server: RegistryServer, image: Reference, pair: KeyPair, options: RegistryOptions = FAST
) -> VerificationResult:
    return executor(OCIRegistryStore(options), pair).verify(image)


def test_referrers_api_with_pagination_and_filter(key_pair: Callable[..., KeyPair]) -> None:
    pair = key_pair()
    with RegistryServer(page_size=2) as server:
        writer = OCIRegistryStore(FAST)
        image = push_image(writer, f"{server.registry}/ns/app:v1")
        assert image.digest
        for _ in range(5):
            sign_image(writer, image, pair, SignOptions(layout="referrer"))
        reader = OCIRegistryStore(RegistryOptions(cosign_enabled=False, cache_enabled=False))
        subject = image.with_digest(image.digest)
        server.clear()
        found = reader.list_referrers(subject)
        assert len({d.digest for d in found}) == 5
        assert server.count("GET", "/referrers/") == 3
        assert reader.referrers_mode(server.registry) == "api"
        assert reader.list_referrers(subject, artifact_type="application/example") == []
        assert len(reader.list_referrers(subject, artifact_type=COSIGN_SIGNATURE_ARTIFACT_TYPE)) == 5
        assert executor(reader, pair).verify(image).is_success


def test_registry_without_referrers_api_uses_tag_schema(key_pair: Callable[..., KeyPair]) -> None:
    pair = key_pair()
    with RegistryServer(referrers_api=False) as server:
        image = signed(server, pair, layout="referrer")
        store = OCIRegistryStore(FAST)
        assert executor(store, pair).verify(image).is_success
        assert store.referrers_mode(server.registry) == "tag-schema"


def test_index_entries_with_empty_artifact_type_are_read(key_pair: Callable[..., KeyPair]) -> None:
    # cosign#4422: tag-schema index entries written with artifactType oci.empty (or none).
    pair = key_pair()
    with RegistryServer(referrers_api=False) as server:
        writer = OCIRegistryStore(FAST)
        image = signed(server, pair, layout="referrer")
        assert image.digest
        index_ref = Reference(
            registry=image.registry, repository=image.repository, tag=referrers_tag(image.digest)
        )
        index = json.loads(writer.fetch_manifest(image, writer.resolve(index_ref).digest))
        index["manifests"][0]["artifactType"] = OCI_EMPTY
        writer.push_manifest(image, json.dumps(index).encode(), OCI_IMAGE_INDEX, tag=index_ref.tag)
        reader = OCIRegistryStore(RegistryOptions(cosign_enabled=False))
        [found] = reader.list_referrers(image.with_digest(image.digest))
        assert found.artifact_type == COSIGN_SIGNATURE_ARTIFACT_TYPE
        assert executor(reader, pair).verify(image).is_success


@pytest.mark.parametrize("auth", ["basic", "bearer"])
def test_auth(auth: str, key_pair: Callable[..., KeyPair]) -> None:
    pair = key_pair()
    with RegistryServer(auth=auth, users={"alice": "wonderland"}) as server:
        good = StaticAuthProvider({server.registry: Credentials(username="alice", password="wonderland")})
        writer = OCIRegistryStore(FAST, auth=good)
        image = push_image(writer, f"{server.registry}/ns/app:v1")
        sign_image(writer, image, pair)
        reader = OCIRegistryStore(FAST, auth=good)
        ex = executor(reader, pair)
        assert ex.verify(image).is_success
        anonymous = executor(OCIRegistryStore(FAST), pair).verify(image)
        assert not anonymous.is_success and anonymous.reason is FailureReason.STORE_FAILED
        # Every registry failure is STORE_FAILED: the message tells an auth refusal from the others.
        assert "no credentials" in (anonymous.message or "") or "HTTP 401" in (anonymous.message or "")
        bad = StaticAuthProvider({server.registry: Credentials(username="alice", password="oops")})
        wrong = executor(OCIRegistryStore(FAST, auth=bad), pair).verify(image)
        assert not wrong.is_success and wrong.reason is FailureReason.STORE_FAILED
        assert "HTTP 401" in (wrong.message or "")


def test_bearer_tokens_are_cached_and_refreshed(key_pair: Callable[..., KeyPair]) -> None:
    pair = key_pair()
    with RegistryServer(auth="bearer") as server:  # anonymous tokens
        image = signed(server, pair)
        store = OCIRegistryStore(RegistryOptions(cache_enabled=False))
        ex = executor(store, pair)
        issued = server.tokens_issued
        assert ex.verify(image).is_success
        assert ex.verify(image).is_success
        assert server.tokens_issued == issued + 1  # one pull token, reused
        server._tokens.clear()  # the registry forgets every token: the next request gets a 401
        assert ex.verify(image).is_success
        assert server.tokens_issued == issued + 2


def test_credentials_never_follow_a_redirect_to_another_host(key_pair: Callable[..., KeyPair]) -> None:
    pair = key_pair()
    with RegistryServer(auth="basic", users={"alice": "wonderland"}) as server, RegistryServer() as elsewhere:
        creds = StaticAuthProvider({server.registry: Credentials(username="alice", password="wonderland")})
        writer = OCIRegistryStore(FAST, auth=creds)
        image = push_image(writer, f"{server.registry}/ns/app:v1")
        sign_image(writer, image, pair)
        server.fail(
            "/blobs/", method="GET", times=-1, redirect=f"{elsewhere.url}/v2/ns/app/blobs/sha256:{'0' * 64}"
        )
        result = executor(OCIRegistryStore(FAST, auth=creds), pair).verify(image)
        assert not result.is_success
        assert elsewhere.count("GET", "/blobs/") >= 1
        assert all("Authorization" not in headers for _, _, headers in elsewhere.log)
        [signature] = result.verifier_reports[0].signatures  # the payload blob is what was redirected
        assert signature.reason is FailureReason.FETCH_FAILED


@pytest.mark.parametrize(
    ("path", "fault"),
    [
        ("/manifests/sha256-", {"status": 500, "times": 2}),
        ("/manifests/sha256-", {"status": 429, "times": 1, "headers": {"Retry-After": "0"}}),
        ("/blobs/", {"status": 503, "times": 3}),
        ("/blobs/", {"truncate": 10, "times": 1}),
    ],
)
def test_transient_faults_are_retried(
    path: str, fault: dict[str, object], key_pair: Callable[..., KeyPair]
) -> None:
    pair = key_pair()
    with RegistryServer() as server:
        image = signed(server, pair)
        server.fail(path, method="GET", **fault)
        assert verify(server, image, pair).is_success


@pytest.mark.parametrize(
    ("path", "fault", "reason", "message"),
    [
        (
            "/blobs/",
            {"corrupt": True, "times": -1},
            FailureReason.DIGEST_MISMATCH,
            "does not match its digest",
        ),
        ("/blobs/", {"truncate": 10, "times": -1}, FailureReason.FETCH_FAILED, "truncated"),
        ("/blobs/", {"status": 500, "times": -1}, FailureReason.FETCH_FAILED, "HTTP 500"),
        (
            "/manifests/",
            {"corrupt": True, "times": -1},
            FailureReason.DIGEST_MISMATCH,
            "does not match",
        ),
        (
            "/manifests/",
            {"headers": {"Content-Length": "999999999"}, "times": -1},
            FailureReason.TOO_LARGE,
            "over the",
        ),
        ("/blobs/", {"delay": 1.5, "times": -1}, FailureReason.FETCH_FAILED, "timed out"),
    ],
)
def test_persistent_faults_fail_clearly(
    path: str, fault: dict[str, object], reason: FailureReason, message: str, key_pair: Callable[..., KeyPair]
) -> None:
    pair = key_pair()
    with RegistryServer() as server:
        image = signed(server, pair)
        server.fail(path, method="GET", **fault)
        result = verify(
            server,
            image,
            pair,
            RegistryOptions(backoff=0.01, max_backoff=0.02, deadline=4.0, read_timeout=0.5, max_retries=2),
        )
        assert not result.is_success
        assert cause(result) is reason, result.to_dict()
        assert message in json.dumps(result.to_dict()), (
            result.to_dict()
        )  # which transport fault, for FETCH_FAILED


def test_oversized_manifest_is_refused_unread(key_pair: Callable[..., KeyPair]) -> None:
    pair = key_pair()
    with RegistryServer() as server:
        image = signed(server, pair)
        small = RegistryOptions(max_manifest_size=200, backoff=0.01)
        result = verify(server, image, pair, small)
        assert not result.is_success
        # The .sig manifest is read while listing referrers: the subject fails before any report.
        assert result.reason is FailureReason.TOO_LARGE and result.verifier_reports == ()


def test_slow_registry_beyond_the_deadline(key_pair: Callable[..., KeyPair]) -> None:
    pair = key_pair()
    with RegistryServer() as server:
        image = signed(server, pair)
        server.fail("/manifests/", times=-1, status=503, delay=0.3)
        result = verify(
            server, image, pair, RegistryOptions(backoff=0.2, max_backoff=0.5, deadline=1.0, max_retries=10)
        )
        assert not result.is_success and result.reason is FailureReason.DEADLINE_EXCEEDED


def test_head_unsupported_falls_back_to_get_and_checks_digest(key_pair: Callable[..., KeyPair]) -> None:
    pair = key_pair()
    with RegistryServer() as server:
        image = signed(server, pair)
        server.fail("/manifests/v1", method="HEAD", times=-1, status=405)
        store = OCIRegistryStore(FAST)
        assert store.resolve(Reference.parse(f"{server.registry}/ns/app:v1")).digest == image.digest
        server.fail(
            "/manifests/v2", method="GET", times=-1, headers={"Docker-Content-Digest": "sha256:" + "f" * 64}
        )
        push_image(OCIRegistryStore(FAST), f"{server.registry}/ns/app:v2")
        server.fail("/manifests/v2", method="HEAD", times=-1, status=405)
        with pytest.raises(StoreError, match="does not match its digest"):
            store.resolve(Reference.parse(f"{server.registry}/ns/app:v2"))


def test_cache_saves_requests(key_pair: Callable[..., KeyPair]) -> None:
    pair = key_pair()
    with RegistryServer() as server:
        image = signed(server, pair)
        store = OCIRegistryStore()
        ex = executor(store, pair)
        server.clear()
        assert ex.verify(image).is_success
        cold = len(server.log)
        assert ex.verify(image).is_success
        assert len(server.log) == cold  # everything came from the cache
        uncached = OCIRegistryStore(RegistryOptions(cache_enabled=False))
        for _ in range(2):  # without a cache, every verification lists the referrers again
            before = len(server.log)
            assert executor(uncached, pair).verify(image).is_success
            asked = [path for _, path, _ in server.log[before:]]
            assert any("/referrers/" in path or path.endswith(".sig") for path in asked), asked
            assert not any("/blobs/" in path for path in asked)  # a payload parsed before is known by digest


def test_plain_http_only_for_loopback_and_insecure() -> None:
    # converter=tuple leaves mypy's attrs plugin with an unsolved Iterable[_T_co] parameter.
    insecure = RegistryOptions(insecure_registries=("registry.internal:5000",))  # type: ignore[arg-type]
    store = OCIRegistryStore(insecure)
    assert store.transport.base_url("registry.example") == "https://registry.example/v2"
    assert store.transport.base_url("docker.io") == "https://registry-1.docker.io/v2"
    assert store.transport.base_url("registry.internal:5000") == "http://registry.internal:5000/v2"
    assert store.transport.base_url("localhost:5000") == "http://localhost:5000/v2"
    assert store.transport.base_url("127.0.0.1:5000") == "http://127.0.0.1:5000/v2"
    assert store.transport.base_url("[::1]:5000") == "http://[::1]:5000/v2"
    assert (
        OCIRegistryStore(RegistryOptions(use_http=True)).transport.base_url("r.example")
        == "http://r.example/v2"
    )


def test_token_realm_over_plain_http_is_refused(key_pair: Callable[..., KeyPair]) -> None:
    with RegistryServer() as server:
        server.fail(
            "/v2/",
            times=-1,
            status=401,
            headers={"WWW-Authenticate": 'Bearer realm="http://auth.example/token",service="x"'},
        )
        store = OCIRegistryStore(FAST)
        with pytest.raises(StoreError, match="refusing to fetch a token from plain-HTTP realm"):
            store.resolve(Reference.parse(f"{server.registry}/ns/app:v1"))


def test_identity_token_from_docker_config(tmp_path: Path, key_pair: Callable[..., KeyPair]) -> None:
    pair = key_pair()
    with RegistryServer(auth="bearer", users={"alice": "wonderland"}) as server:
        server.refresh_tokens.add("refresh-123")
        writer = OCIRegistryStore(
            FAST,
            auth=StaticAuthProvider({server.registry: Credentials(username="alice", password="wonderland")}),
        )
        image = push_image(writer, f"{server.registry}/ns/app:v1")
        sign_image(writer, image, pair)
        config = tmp_path / "config.json"
        config.write_text(json.dumps({"auths": {server.registry: {"identitytoken": "refresh-123"}}}))
        reader = OCIRegistryStore(FAST, auth=DockerConfigAuthProvider(config))
        assert executor(reader, pair).verify(image).is_success
        assert server.count("POST", "^/token$") == 1
        config.write_text(json.dumps({"auths": {server.registry: {"identitytoken": "revoked"}}}))
        denied = executor(OCIRegistryStore(FAST, auth=DockerConfigAuthProvider(config)), pair).verify(image)
        assert not denied.is_success and denied.reason is FailureReason.STORE_FAILED
        assert "token request" in (denied.message or "")  # rather than another registry failure
