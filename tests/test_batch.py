"""``Executor.verify_many``: many subjects on many threads, each fetched once, results as if one by one."""

from __future__ import annotations

import collections
from collections.abc import Callable

import pytest

from cosign_verify import (
    CosignVerifier,
    Executor,
    FailureReason,
    InlineKeyProvider,
    KeyProviders,
    KeyRef,
    OCIRegistryStore,
    Reference,
    RegistryOptions,
    TrustPolicy,
)
from cosign_verify.testing import KeyPair, RegistryServer, SignOptions, push_image, sign_image


def executor(store: OCIRegistryStore, pair: KeyPair) -> Executor:
    policy = TrustPolicy(name="team", scopes=["*"], keys=[KeyRef(provider="kp")], tlog_verify=False)
    return Executor(
        store, [CosignVerifier([policy], KeyProviders([InlineKeyProvider("kp", pair.public_pem())]))]
    )


def sign_many(server: RegistryServer, pair: KeyPair, count: int) -> list[Reference]:
    writer = OCIRegistryStore()
    images = []
    for index in range(count):
        image = push_image(writer, f"{server.registry}/batch/app{index}:v1")
        options = SignOptions(layout="referrer") if index % 2 else SignOptions(layout="tag")
        sign_image(writer, image, pair, options)
        images.append(image)
    return images


@pytest.mark.parametrize("referrers_api", [True, False])
def test_sixteen_threads_fetch_each_manifest_and_blob_once(
    referrers_api: bool, key_pair: Callable[..., KeyPair]
) -> None:
    pair = key_pair()
    with RegistryServer(referrers_api=referrers_api) as server:
        images = sign_many(server, pair, 12)
        subjects = [
            str(image.with_digest(image.digest or "")) for image in images
        ] * 4  # the same ones, again
        server.clear()
        results = executor(OCIRegistryStore(), pair).verify_many(subjects, workers=16)
        gets = collections.Counter(path for method, path, _ in server.log if method == "GET")
        repeated = {path: n for path, n in gets.items() if n > 1}
        assert not repeated, (
            repeated
        )  # one fetch per manifest, blob, referrer list and tag, whatever the threads
        assert sum(1 for path in gets if "/referrers/" in path) == (len(images) if referrers_api else 1)

        sequential = [executor(OCIRegistryStore(), pair).verify(subject) for subject in subjects]
    assert [r.to_dict() for r in results] == [r.to_dict() for r in sequential]
    assert all(r.is_success for r in results)


def test_order_is_kept_and_one_failure_touches_no_other(key_pair: Callable[..., KeyPair]) -> None:
    pair, stranger = key_pair(), key_pair("ecdsa-p256", 1)
    with RegistryServer() as server:
        good = sign_many(server, pair, 3)
        writer = OCIRegistryStore()
        bad = push_image(writer, f"{server.registry}/batch/bad:v1")
        sign_image(writer, bad, stranger)
        subjects: list[str | Reference] = [
            good[0],
            "Not A Reference!",
            bad,
            good[1],
            "127.0.0.1:1/nothing:v1",
            good[2],
        ]
        no_retries = OCIRegistryStore(RegistryOptions(max_retries=0))  # 127.0.0.1:1 refuses at once
        results = executor(no_retries, pair).verify_many(subjects, workers=4)
    assert [r.is_success for r in results] == [True, False, False, True, False, True]
    assert results[1].reason is FailureReason.SUBJECT_UNRESOLVED
    assert results[2].reason is FailureReason.POLICY_NOT_SATISFIED
    assert results[4].reason is FailureReason.SUBJECT_UNRESOLVED
    assert [r.subject.split("@")[0] for r in (results[0], results[3], results[5])] == [
        str(image).split(":v1")[0] for image in good
    ]
