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


def error_detail(body: bytes) -> str:
    """The first errors of an OCI distribution error answer (``{"errors": [{"code", "message"}]}``), on one
    short line; empty when the body is not one (whatever it holds: nothing here raises)."""
    try:
        document = loads_strict(body, "error answer")
    except Failure:
        return ""
    errors = document.get("errors") if isinstance(document, dict) else None
    if not isinstance(errors, list):
        return ""
    found = (f"{e.get('code')}: {e.get('message')}" for e in errors[:3] if isinstance(e, dict))
    return " ".join("; ".join(found).split())[:300]


MAX_LINK_HEADER = 8 * 1024


def next_link(header: str) -> str | None:
    """The target of ``rel="next"`` in a ``Link`` header (RFC 8288), read in one linear pass."""
    if len(header) > MAX_LINK_HEADER:
        raise StoreError(f"Link header of {len(header)} characters (at most {MAX_LINK_HEADER})")
    for part in header.split(","):
        target, _, params = part.partition(">")
        target = target.strip()
        if not target.startswith("<"):
            continue
        relations = (p.strip() for p in params.split(";"))
        if any(r.replace(" ", "") in ('rel="next"', "rel=next") for r in relations):
            return target[1:]
    return None


def _descriptor(entry: Any, where: str) -> Descriptor:
    if not isinstance(entry, dict):
        raise StoreError(f"{where} is not an object")
    digest, size = entry.get("digest"), entry.get("size")
    if not isinstance(digest, str) or not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise StoreError(f"{where} needs a digest string and a non-negative integer size")
    media_type, artifact_type = entry.get("mediaType"), entry.get("artifactType")
    if not isinstance(media_type, str | None) or not isinstance(artifact_type, str | None):
        raise StoreError(f"{where}: mediaType and artifactType must be strings")
    annotations = entry.get("annotations") or {}
    if not isinstance(annotations, dict) or not all(isinstance(v, str) for v in annotations.values()):
        raise StoreError(f"{where}: annotations must map strings to strings")
    return Descriptor(
        media_type=media_type or OCI_IMAGE_MANIFEST,
        digest=checked_digest(digest, where),
        size=size,
        artifact_type=artifact_type or None,
        annotations=annotations,
    )


def descriptors(index: Any, where: str) -> Iterator[Descriptor]:
    """The descriptors of an OCI image index of referrers; :class:`StoreError` for anything malformed."""
    if not isinstance(index, dict) or not isinstance(index.get("manifests", []), list):
        raise StoreError(f"{where} is not an OCI image index")
    for position, entry in enumerate(index.get("manifests") or []):
        yield _descriptor(entry, f"{where}: manifests[{position}]")
