"""An in-memory OCI store: the store for tests, fixtures and embedding."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence

from ..errors import NotFoundError, StoreError
from ..mediatypes import COSIGN_SIGNATURE_ARTIFACT_TYPE, OCI_IMAGE_MANIFEST
from ..reference import Reference, check_digest
from .base import Descriptor, compute_digest, cosign_signature_tag, referrer_descriptor


class _Repository:
    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}
        self.manifests: dict[str, tuple[bytes, str]] = {}
        self.tags: dict[str, str] = {}
        self.referrers: dict[str, list[Descriptor]] = {}
        self.signature_descriptors: dict[str, Descriptor] = {}


class MemoryStore:
    """A complete :class:`ReferrerStore` held in memory, with push methods.

    Referrers are manifests pushed with a ``subject``; their artifact type is
    the manifest's ``artifactType``, else its ``config.mediaType``. With
    ``cosign_enabled`` (the default) cosign's ``sha256-<hex>.sig`` tag is
    listed as a referrer of type ``application/vnd.dev.cosign.artifact.sig.v1+json``.
    Content is returned as stored: tests may plant bad content with
    :meth:`put_raw_blob` to check that verifiers notice.
    """

    def __init__(self, *, cosign_enabled: bool = True) -> None:
        self.cosign_enabled = cosign_enabled
        self._repos: dict[str, _Repository] = {}
        self._lock = threading.Lock()

    def _repo(self, reference: Reference, *, create: bool = False) -> _Repository:
        repo = self._repos.get(reference.name)
        if repo is None:
            if not create:
                raise StoreError(f"repository {reference.name} not found")
            repo = self._repos[reference.name] = _Repository()
        return repo

    # --- writing ---------------------------------------------------------

    def push_blob(self, repository: Reference, data: bytes) -> Descriptor:
        """Store ``data`` as a blob; returns its descriptor."""
        digest = compute_digest(data)
        with self._lock:
            self._repo(repository, create=True).blobs[digest] = bytes(data)
        return Descriptor(media_type="application/octet-stream", digest=digest, size=len(data))

    def put_raw_blob(self, repository: Reference, digest: str, data: bytes) -> None:
        """Store ``data`` under ``digest`` without checking it (to test tamper detection)."""
        with self._lock:
            self._repo(repository, create=True).blobs[check_digest(digest)] = bytes(data)

    def push_manifest(
        self,
        repository: Reference,
        data: bytes,
        media_type: str = OCI_IMAGE_MANIFEST,
        *,
        tag: str | None = None,
    ) -> Descriptor:
        """Store a manifest (and tag it); a manifest with a ``subject`` becomes a referrer."""
        digest = compute_digest(data)
        try:
            parsed = json.loads(data)
        except ValueError as exc:
            raise StoreError(f"manifest is not JSON: {exc}") from None
        descriptor = Descriptor(media_type=media_type, digest=digest, size=len(data))
        with self._lock:
            repo = self._repo(repository, create=True)
            repo.manifests[digest] = (bytes(data), media_type)
            if tag is not None:
                repo.tags[tag] = digest
            subject = parsed.get("subject") if isinstance(parsed, dict) else None
            if isinstance(subject, dict) and isinstance(subject.get("digest"), str):
                referrer = referrer_descriptor(parsed, media_type=media_type, digest=digest, size=len(data))
                listed = repo.referrers.setdefault(subject["digest"], [])
                if all(d.digest != digest for d in listed):
                    listed.append(referrer)
        return descriptor

    def tags(self, repository: Reference) -> list[str]:
        """The tags of ``repository``'s repository, sorted (none for an unknown repository)."""
        with self._lock:
            repo = self._repos.get(repository.name)
            return sorted(repo.tags) if repo else []

    # --- ReferrerStore ---------------------------------------------------

    def resolve(self, reference: Reference) -> Descriptor:
        """The manifest descriptor for a tag or digest reference."""
        with self._lock:
            repo = self._repo(reference)
            digest = reference.digest or repo.tags.get(reference.tag or "")
            if digest is None:
                raise NotFoundError(f"tag {reference.tag!r} not found in {reference.name}")
            entry = repo.manifests.get(digest)
        if entry is None:
            raise StoreError(f"manifest {digest} not found in {reference.name}")
        data, media_type = entry
        return Descriptor(media_type=media_type, digest=digest, size=len(data))

    def list_referrers(self, subject: Reference) -> Sequence[Descriptor]:
        """Referrers of ``subject``'s digest, then the cosign signature tag (when enabled)."""
        if subject.digest is None:
            raise StoreError(f"subject {subject} has no digest")
        with self._lock:
            repo = self._repos.get(subject.name)
            if repo is None:
                return []
            found = list(repo.referrers.get(subject.digest, ()))
            sig_digest = repo.tags.get(cosign_signature_tag(subject.digest)) if self.cosign_enabled else None
            if sig_digest is not None and all(d.digest != sig_digest for d in found):
                found.append(self._signature_descriptor(repo, sig_digest))
        return found

    @staticmethod
    def _signature_descriptor(repo: _Repository, digest: str) -> Descriptor:
        found = repo.signature_descriptors.get(digest)
        if found is None:
            data, media_type = repo.manifests[digest]
            found = Descriptor(
                media_type=media_type,
                digest=digest,
                size=len(data),
                artifact_type=COSIGN_SIGNATURE_ARTIFACT_TYPE,
            )
            repo.signature_descriptors[digest] = found
        return found

    def fetch_manifest(self, repository: Reference, digest: str) -> bytes:
        """The stored manifest bytes."""
        with self._lock:
            entry = self._repo(repository).manifests.get(digest)
        if entry is None:
            raise StoreError(f"manifest {digest} not found in {repository.name}")
        return entry[0]

    def fetch_blob(self, repository: Reference, digest: str) -> bytes:
        """The stored blob bytes."""
        with self._lock:
            data = self._repo(repository).blobs.get(digest)
        if data is None:
            raise StoreError(f"blob {digest} not found in {repository.name}")
        return data
