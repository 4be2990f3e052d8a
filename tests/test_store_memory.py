from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from cosign_verify import MemoryStore, Reference, StoreError
from cosign_verify.store import check_content, compute_digest
from cosign_verify.testing import KeyPair, push_image, sign_image


def test_resolve_and_fetch() -> None:
    store = MemoryStore()
    image = push_image(store, "r.example/a/b:v1", content=b"layer")
    assert image.digest and image.tag == "v1"
    assert store.resolve(Reference.parse("r.example/a/b:v1")).digest == image.digest
    assert (
        store.resolve(image.with_digest(image.digest)).media_type
        == "application/vnd.oci.image.manifest.v1+json"
    )
    manifest = json.loads(store.fetch_manifest(image, image.digest))
    assert store.fetch_blob(image, manifest["layers"][0]["digest"]) == b"layer"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda s: s.resolve(Reference.parse("r.example/none/x:v1")),
            "repository r.example/none/x not found",
        ),
        (lambda s: s.resolve(Reference.parse("r.example/a/b:v2")), "tag 'v2' not found"),
        (lambda s: s.resolve(Reference.parse("r.example/a/b@sha256:" + "0" * 64)), "manifest sha256:000"),
        (lambda s: s.fetch_blob(Reference.parse("r.example/a/b"), "sha256:" + "0" * 64), "blob sha256:000"),
        (
            lambda s: s.fetch_manifest(Reference.parse("r.example/a/b"), "sha256:" + "0" * 64),
            "manifest sha256",
        ),
        (lambda s: s.list_referrers(Reference.parse("r.example/a/b:v1")), "has no digest"),
        (lambda s: s.push_manifest(Reference.parse("r.example/a/b"), b"{"), "manifest is not JSON"),
    ],
)
def test_errors(call: Callable[[MemoryStore], object], message: str) -> None:
    store = MemoryStore()
    push_image(store, "r.example/a/b:v1")
    with pytest.raises(StoreError, match=message):
        call(store)


def test_cosign_tag_only_when_enabled(key_pair: Callable[..., KeyPair]) -> None:
    store = MemoryStore(cosign_enabled=False)
    image = push_image(store, "r.example/a/b:v1")
    assert image.digest
    sign_image(store, image, key_pair())
    assert store.list_referrers(image.with_digest(image.digest)) == []
    store.cosign_enabled = True
    assert len(store.list_referrers(image.with_digest(image.digest))) == 1
    assert store.list_referrers(Reference.parse("r.example/unknown@" + image.digest)) == []


def test_check_content() -> None:
    digest = compute_digest(b"abc")
    assert check_content(b"abc", digest, "blob") == b"abc"
    with pytest.raises(StoreError, match="blob content does not match its digest"):
        check_content(b"abd", digest, "blob")
    assert compute_digest(b"abc", "sha512").startswith("sha512:")
    assert check_content(b"abc", compute_digest(b"abc", "sha512"), "blob") == b"abc"
    with pytest.raises(ValueError, match="unsupported digest algorithm"):
        compute_digest(b"abc", "md5")
