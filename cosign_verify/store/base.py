"""The referrer store seam: descriptors and the protocol stores implement."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import attrs

from ..errors import DigestMismatchError
from ..reference import Reference, check_digest


@attrs.frozen(kw_only=True)
class Descriptor:
    """An OCI content descriptor, as a store reports a manifest or a referrer."""

    media_type: str
    digest: str
    size: int
    artifact_type: str | None = None
    annotations: Mapping[str, str] = attrs.field(factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The OCI JSON form."""
        out: dict[str, Any] = {"mediaType": self.media_type, "digest": self.digest, "size": self.size}
        if self.artifact_type:
            out["artifactType"] = self.artifact_type
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        return out


@runtime_checkable
class ReferrerStore(Protocol):
    """Where subjects, their referrers and the referrers' content come from.

    Every method raises :class:`StoreError` when it cannot answer. The
    verifier checks every manifest and blob against its digest itself, so a
    store need not be trusted for integrity.
    """

    def resolve(self, reference: Reference) -> Descriptor:
        """The descriptor of the manifest ``reference`` names (by tag or digest)."""
        ...

    def list_referrers(self, subject: Reference) -> Sequence[Descriptor]:
        """Artifacts that refer to ``subject`` (a reference in digest form)."""
        ...

    def fetch_manifest(self, repository: Reference, digest: str) -> bytes:
        """The manifest ``digest`` in ``repository``'s repository."""
        ...

    def fetch_blob(self, repository: Reference, digest: str) -> bytes:
        """The blob ``digest`` in ``repository``'s repository."""
        ...


def referrer_descriptor(manifest: Any, *, media_type: str, digest: str, size: int) -> Descriptor:
    """How a manifest appears among its subject's referrers.

    The artifact type is the manifest's ``artifactType``, else its
    ``config.mediaType`` (as the image spec says); annotations are the manifest's.
    """
    document = manifest if isinstance(manifest, Mapping) else {}
    config = document.get("config")
    config_type = config.get("mediaType") if isinstance(config, Mapping) else None
    artifact_type = document.get("artifactType") or config_type
    annotations = document.get("annotations")
    return Descriptor(
        media_type=media_type,
        digest=digest,
        size=size,
        artifact_type=artifact_type if isinstance(artifact_type, str) and artifact_type else None,
        annotations={str(k): str(v) for k, v in annotations.items()}
        if isinstance(annotations, Mapping)
        else {},
    )


def compute_digest(data: bytes, algorithm: str = "sha256") -> str:
    """``algorithm:hex`` of ``data`` (sha256 or sha512)."""
    if algorithm not in ("sha256", "sha512"):
        raise ValueError(f"unsupported digest algorithm {algorithm!r}")
    return f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"


def check_content(data: bytes, digest: str, what: str) -> bytes:
    """Return ``data`` if it hashes to ``digest``; raise :class:`StoreError` otherwise."""
    check_digest(digest)
    actual = (
        ("sha256:" + hashlib.sha256(data).hexdigest())
        if digest.startswith("sha256:")
        else compute_digest(data, "sha512")
    )
    if actual != digest:
        raise DigestMismatchError(
            f"{what} content does not match its digest: expected {digest}, got {actual}"
        )
    return data


def cosign_signature_tag(digest: str) -> str:
    """cosign's signature tag for a subject digest: ``sha256-<hex>.sig``."""
    algorithm, _, encoded = digest.partition(":")
    return f"{algorithm}-{encoded}.sig"
