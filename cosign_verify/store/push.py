"""Pushing blobs and manifests to a registry (for the testing toolkit and tools), keeping the tag-schema index."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from ..errors import NotFoundError, StoreError
from ..mediatypes import OCI_IMAGE_INDEX, OCI_IMAGE_MANIFEST
from ..reference import Reference
from .base import Descriptor, compute_digest, referrer_descriptor
from .oci import referrers_tag
from .urls import split_url

if TYPE_CHECKING:
    from .registry import OCIRegistryStore


def push_blob(store: OCIRegistryStore, repository: Reference, data: bytes) -> Descriptor:
    """Upload a blob (POST then PUT), unless the registry already has it."""
    digest = compute_digest(data)
    descriptor = Descriptor(media_type="application/octet-stream", digest=digest, size=len(data))
    head = store._get(repository, f"/blobs/{digest}", method="HEAD", scope="pull,push")
    if head.status == 200:
        return descriptor
    start = store._get(repository, "/blobs/uploads/", method="POST", scope="pull,push", data=b"")
    location = start.headers.get("Location")
    if start.status != 202 or not location:
        raise store._fail(start, f"cannot start blob upload to {repository.name}")
    target = split_url(location, f"blob upload to {repository.name}")
    prefix = f"/v2/{repository.repository}"
    if target.netloc and target.netloc != urlsplit(start.url).netloc:
        raise StoreError(f"upload location {location!r} points to another host")
    if not target.path.startswith(prefix):
        raise StoreError(f"unexpected upload location {location!r}")
    params = dict(parse_qsl(target.query))
    params["digest"] = digest
    done = store._get(
        repository,
        target.path[len(prefix) :],
        method="PUT",
        scope="pull,push",
        params=params,
        data=data,
        headers={"Content-Type": "application/octet-stream"},
    )
    if done.status != 201:
        raise store._fail(done, f"cannot upload blob {digest} to {repository.name}")
    return descriptor


def push_manifest(
    store: OCIRegistryStore,
    repository: Reference,
    data: bytes,
    media_type: str = OCI_IMAGE_MANIFEST,
    *,
    tag: str | None = None,
) -> Descriptor:
    """Upload a manifest by tag (or by digest). A manifest with a ``subject`` is added to the
    referrers tag-schema index when the registry does not say it handled the subject itstore."""
    digest = compute_digest(data)
    response = store._get(
        repository,
        f"/manifests/{tag or digest}",
        method="PUT",
        scope="pull,push",
        data=data,
        headers={"Content-Type": media_type},
    )
    if response.status != 201:
        raise store._fail(response, f"cannot push manifest to {repository.name}")
    descriptor = Descriptor(media_type=media_type, digest=digest, size=len(data))
    document = json.loads(data)
    if tag is not None:
        _invalidate(store, repository, tag)
    subject = document.get("subject") if isinstance(document, dict) else None
    if isinstance(subject, dict) and "OCI-Subject" not in response.headers:
        entry = referrer_descriptor(document, media_type=media_type, digest=digest, size=len(data))
        _add_to_referrers_index(store, repository, str(subject["digest"]), entry)
    if isinstance(subject, dict):
        _invalidate_referrers(store, repository, str(subject["digest"]))
    return descriptor


def _invalidate(store: OCIRegistryStore, repository: Reference, tag: str) -> None:
    store.cache.delete(f"resolve:{repository.name}:{tag}")
    match = re.fullmatch(r"(sha256|sha512)-([0-9a-f]+)(\.sig)?", tag)
    if match:
        _invalidate_referrers(store, repository, f"{match.group(1)}:{match.group(2)}")


def _invalidate_referrers(store: OCIRegistryStore, repository: Reference, subject_digest: str) -> None:
    # Filtered lists are cached under their artifact type too; those expire with the TTL.
    for flag in (0, 1):
        store.cache.delete(f"referrers:{repository.name}@{subject_digest}:{flag}:")


def _add_to_referrers_index(
    store: OCIRegistryStore, repository: Reference, subject_digest: str, entry: Descriptor
) -> None:
    tag = referrers_tag(subject_digest)
    ref = Reference(registry=repository.registry, repository=repository.repository, tag=tag)
    manifests: list[dict[str, Any]] = []
    try:
        existing = store.resolve(ref)
        manifests = list(json.loads(store.fetch_manifest(ref, existing.digest)).get("manifests") or [])
    except NotFoundError:
        pass  # the first referrer of this subject
    if any(m.get("digest") == entry.digest for m in manifests):
        return
    manifests.append(entry.to_dict())
    index = {"schemaVersion": 2, "mediaType": OCI_IMAGE_INDEX, "manifests": manifests}
    push_manifest(store, ref, json.dumps(index, separators=(",", ":")).encode(), OCI_IMAGE_INDEX, tag=tag)
