"""Reading OCI documents a registry returns: image indexes of referrers, digests, the tag schema."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .._internal.failure import Failure
from .._internal.strict_json import loads_strict
from ..errors import StoreError
from ..mediatypes import OCI_IMAGE_MANIFEST
from ..reference import check_digest
from .base import Descriptor


def referrers_tag(digest: str) -> str:
    """The referrers tag schema's tag for a subject digest: ``sha256-<hex>``."""
    algorithm, _, encoded = digest.partition(":")
    return f"{algorithm}-{encoded}"


def checked_digest(value: str, where: str) -> str:
    try:
        return check_digest(value)
    except ValueError as exc:
        raise StoreError(f"{where}: {exc}") from None


def parse_json(data: bytes, what: str) -> Any:
    try:
        return loads_strict(data, what)
    except Failure as exc:
        raise StoreError(exc.message) from None


def descriptors(index: Any, where: str) -> Iterator[Descriptor]:
    if not isinstance(index, dict) or not isinstance(index.get("manifests", []), list):
        raise StoreError(f"{where} is not an OCI image index")
    for entry in index.get("manifests") or []:
        if not isinstance(entry, dict):
            raise StoreError(f"{where} has a malformed descriptor")
        try:
            digest = check_digest(entry["digest"])
            size = int(entry["size"])
        except (KeyError, TypeError, ValueError) as exc:  # ValueError includes InvalidReferenceError
            raise StoreError(f"{where} has a malformed descriptor: {exc}") from None
        annotations = entry.get("annotations") or {}
        yield Descriptor(
            media_type=str(entry.get("mediaType") or OCI_IMAGE_MANIFEST),
            digest=digest,
            size=size,
            artifact_type=entry.get("artifactType") or None,
            annotations={str(k): str(v) for k, v in annotations.items()}
            if isinstance(annotations, dict)
            else {},
        )
