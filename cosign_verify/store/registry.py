"""``OCIRegistryStore``: the referrer store over the OCI Distribution API.

Referrers come from ``GET /v2/<name>/referrers/<digest>`` (``Link``
pagination), or, on registries without that API, from the referrers tag
schema (the ``sha256-<hex>`` index); which one a registry supports is
remembered. With ``cosign_enabled``, cosign's ``sha256-<hex>.sig`` tag is
listed too. Every manifest and blob is checked against its digest.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import attrs

from ..errors import NotFoundError, StoreError, TooLargeError
from ..mediatypes import (
    COSIGN_SIGNATURE_ARTIFACT_TYPE,
    DOCKER_MANIFEST_LIST,
    DOCKER_MANIFEST_V2,
    OCI_EMPTY,
    OCI_IMAGE_INDEX,
    OCI_IMAGE_MANIFEST,
)
from ..reference import Reference
from .auth import AuthProvider
from .base import Descriptor, check_content, compute_digest, cosign_signature_tag, referrer_descriptor
from .cache import Cache, MemoryCache
from .oci import checked_digest, descriptors, error_detail, next_link, parse_json, referrers_tag
from .options import RegistryOptions
from .push import push_blob, push_manifest
from .singleflight import SingleFlight
from .transport import Response, Transport
from .urls import split_url

log = logging.getLogger(__name__)

MANIFEST_ACCEPT = ", ".join((OCI_IMAGE_MANIFEST, OCI_IMAGE_INDEX, DOCKER_MANIFEST_V2, DOCKER_MANIFEST_LIST))
_API = "api"
_TAG_SCHEMA = "tag-schema"


_CREDENTIALS = (
    "check the credentials for {host}: they are read from Docker's config.json "
    "($DOCKER_CONFIG or ~/.docker/config.json; `docker login {host}` writes them)"
)
_REMEDIATIONS = {
    401: _CREDENTIALS,
    403: _CREDENTIALS + " and must allow pulling this repository",
    404: "check the repository name and the tag or digest",
}


class OCIRegistryStore:
    """A :class:`ReferrerStore` over OCI registries, with one pooled HTTP session.

    ``auth`` supplies credentials (None: anonymous; see
    :class:`DockerConfigAuthProvider`); ``cache`` defaults to an in-memory
    TTL + LRU cache. The store can also push (blobs, manifests, and the
    referrers tag-schema index), which the testing toolkit uses to sign into
    any registry.
    """

    def __init__(
        self,
        options: RegistryOptions | None = None,
        *,
        auth: AuthProvider | None = None,
        cache: Cache | None = None,
    ) -> None:
        self.options = options or RegistryOptions()
        self.transport = Transport(self.options, auth)
        self.cache: Cache = cache if cache is not None else MemoryCache()
        self._referrers_mode: dict[str, str] = {}
        self._mode_locks: dict[str, threading.Lock] = {}
        self._flight = SingleFlight(patience=self.options.deadline)  # a waiter keeps its own deadline

    @property
    def requests_sent(self) -> int:
        """HTTP requests this store has sent (registries and token endpoints), for metrics."""
        return self.transport.requests_sent

    @property
    def cosign_enabled(self) -> bool:
        """Whether cosign's ``.sig`` tag is listed as a referrer."""
        return self.options.cosign_enabled

    # --- helpers ------------------------------------------------------------

    def _get(self, ref: Reference, path: str, *, scope: str = "pull", **kwargs: Any) -> Response:
        return self.transport.request(
            kwargs.pop("method", "GET"),
            ref.registry,
            f"/{ref.repository}{path}",
            scope=f"repository:{ref.repository}:{scope}",
            **kwargs,
        )

    def _get_manifest(
        self, ref: Reference, target: str, *, accept: str = MANIFEST_ACCEPT, what: str = "manifest"
    ) -> Response:
        """GET a manifest by tag or digest, read up to the manifest size limit."""
        return self._get(
            ref,
            f"/manifests/{target}",
            headers={"Accept": accept},
            limit=self.options.max_manifest_size,
            what=what,
        )

    def _cache_get(self, key: str) -> Any | None:
        return self.cache.get(key) if self.options.cache_enabled else None

    def _cache_set(self, key: str, value: Any, ttl: float | None) -> None:
        if self.options.cache_enabled:
            self.cache.set(key, value, ttl)

    @staticmethod
    def _fail(response: Response, what: str) -> StoreError:
        detail = error_detail(response.body)
        host = urlsplit(response.url).netloc
        return StoreError(
            f"{what}: HTTP {response.status}" + (f" ({detail})" if detail else ""),
            remediation=_REMEDIATIONS.get(response.status, "").format(host=host) or None,
        )

    # --- ReferrerStore ---------------------------------------------------------

    def resolve(self, reference: Reference) -> Descriptor:
        """The manifest descriptor of a tag or digest: one GET, the digest computed here, the content kept.

        The manifest is cached by digest, so fetching it next costs no request.
        """
        target = reference.digest or reference.tag or "latest"
        key = f"resolve:{reference.name}:{target}"
        cached = self._cache_get(key)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        descriptor = self._flight.do(key, lambda: self._resolve_by_get(reference, target))
        self._cache_set(key, descriptor, None if reference.digest else self.options.cache_ttl)
        return descriptor

    def _resolve_by_get(self, reference: Reference, target: str) -> Descriptor:
        response = self._get_manifest(reference, target)
        if response.status == 404:
            raise NotFoundError(f"{reference} not found (HTTP 404)", remediation=_REMEDIATIONS[404])
        if response.status != 200:
            raise self._fail(response, f"cannot resolve {reference}")
        claimed = response.headers.get("Docker-Content-Digest")
        expected = reference.digest or claimed
        if expected:
            checked_digest(expected, f"Docker-Content-Digest of {reference}")
            check_content(response.body, expected, f"manifest of {reference}")
        digest = expected or compute_digest(response.body)
        if claimed and claimed != digest:
            raise StoreError(
                f"{reference}: Docker-Content-Digest {claimed} does not match the manifest ({digest})"
            )
        self._cache_set(f"manifest:{reference.name}@{digest}", response.body, self.options.content_ttl)
        return Descriptor(
            media_type=response.headers.get("Content-Type", OCI_IMAGE_MANIFEST).split(";")[0],
            digest=digest,
            size=len(response.body),
        )

    def fetch_manifest(self, repository: Reference, digest: str) -> bytes:
        """The manifest ``digest``, checked against it (and cached: it cannot change)."""
        checked_digest(digest, "manifest digest")
        key = f"manifest:{repository.name}@{digest}"
        cached = self._cache_get(key)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        return self._flight.do(key, lambda: self._fetch_manifest(repository, digest, key))

    def _fetch_manifest(self, repository: Reference, digest: str, key: str) -> bytes:
        response = self._get_manifest(repository, digest)
        if response.status != 200:
            raise self._fail(response, f"cannot fetch manifest {digest} from {repository.name}")
        body = check_content(response.body, digest, f"manifest {digest}")
        self._cache_set(key, body, self.options.content_ttl)
        return body

    def fetch_blob(self, repository: Reference, digest: str) -> bytes:
        """The blob ``digest``, checked against it (and cached)."""
        checked_digest(digest, "blob digest")
        key = f"blob:{repository.name}@{digest}"
        cached = self._cache_get(key)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        return self._flight.do(key, lambda: self._fetch_blob(repository, digest, key))

    def _fetch_blob(self, repository: Reference, digest: str, key: str) -> bytes:
        response = self._get(repository, f"/blobs/{digest}", limit=self.options.max_blob_size, what="blob")
        if response.status != 200:
            raise self._fail(response, f"cannot fetch blob {digest} from {repository.name}")
        body = check_content(response.body, digest, f"blob {digest}")
        self._cache_set(key, body, self.options.content_ttl)
        return body

    def list_referrers(self, subject: Reference, *, artifact_type: str | None = None) -> Sequence[Descriptor]:
        """Referrers of ``subject`` (API or tag schema), then cosign's ``.sig`` tag when enabled.

        ``artifact_type`` keeps only referrers of that type (asked of the
        registry where the API supports it, and checked here either way).
        """
        if subject.digest is None:
            raise StoreError(f"subject {subject} has no digest")
        key = f"referrers:{subject.name}@{subject.digest}:{int(self.cosign_enabled)}:{artifact_type or ''}"
        cached = self._cache_get(key)
        if cached is not None:
            return list(cached)
        assert subject.digest is not None
        digest = subject.digest
        found = self._flight.do(key, lambda: self._list_referrers(subject, digest, artifact_type))
        self._cache_set(key, tuple(found), self.options.cache_ttl)
        return list(found)

    def _list_referrers(self, subject: Reference, digest: str, artifact_type: str | None) -> list[Descriptor]:
        listed = self._referrers(subject, digest, artifact_type)
        untyped = sum(1 for d in listed if not d.artifact_type or d.artifact_type == OCI_EMPTY)
        if untyped > self.options.max_untyped_referrers:
            raise TooLargeError(
                f"{subject} has {untyped} referrers without an artifact type "
                f"(at most {self.options.max_untyped_referrers} are read to learn theirs)"
            )
        found = [self._with_artifact_type(subject, d) for d in listed]
        if artifact_type is not None:
            found = [d for d in found if d.artifact_type == artifact_type]
        if self.cosign_enabled and artifact_type in (None, COSIGN_SIGNATURE_ARTIFACT_TYPE):
            signature = self._cosign_signature(subject, digest)
            if signature is not None and all(d.digest != signature.digest for d in found):
                found.append(signature)
        return found

    def _referrers(self, subject: Reference, digest: str, artifact_type: str | None) -> list[Descriptor]:
        mode = self._referrers_mode.get(subject.registry)
        if mode is None:
            # The first listing on a registry learns its mode; others wait for it rather than probe too.
            with self._mode_locks.setdefault(subject.registry, threading.Lock()):
                mode = self._referrers_mode.get(subject.registry)
                if mode is None:
                    return self._probe(subject, digest, artifact_type)
        if mode == _API:
            listed = self._referrers_api(subject, digest, artifact_type)
            if listed is not None:
                return listed
        return self._referrers_tag_schema(subject, digest)

    def _probe(self, subject: Reference, digest: str, artifact_type: str | None) -> list[Descriptor]:
        listed = self._referrers_api(subject, digest, artifact_type)
        if listed is not None:
            self._referrers_mode[subject.registry] = _API
            return listed
        log.info("%s has no referrers API; using the referrers tag schema", subject.registry)
        self._referrers_mode[subject.registry] = _TAG_SCHEMA
        return self._referrers_tag_schema(subject, digest)

    def referrers_mode(self, registry: str) -> str | None:
        """How referrers are listed for ``registry``: ``"api"``, ``"tag-schema"``, or None before the first try."""
        return self._referrers_mode.get(registry)

    def _referrers_api(
        self, subject: Reference, digest: str, artifact_type: str | None
    ) -> list[Descriptor] | None:
        path = f"/referrers/{digest}"
        params: dict[str, str] | None = {"artifactType": artifact_type} if artifact_type else None
        found: list[Descriptor] = []
        for page in range(self.options.max_referrer_pages):
            response = self._get(
                subject,
                path,
                params=params,
                headers={"Accept": OCI_IMAGE_INDEX},
                limit=self.options.max_manifest_size,
                what="referrers list",
            )
            if response.status in (404, 405, 501) and page == 0:
                return None
            if response.status != 200:
                raise self._fail(response, f"cannot list referrers of {subject}")
            content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
            if page == 0 and content_type and content_type != OCI_IMAGE_INDEX:
                return None  # something answered, but not the referrers API
            index = parse_json(response.body, f"referrers list of {subject}")
            found.extend(descriptors(index, f"referrers list of {subject}"))
            if len(found) > self.options.max_referrers:
                raise TooLargeError(f"{subject} has more than {self.options.max_referrers} referrers")
            link = next_link(response.headers.get("Link", ""))
            if link is None:
                return found
            target = split_url(link, f"referrers list of {subject}: pagination link")
            if target.netloc and target.netloc != urlsplit(response.url).netloc:
                raise StoreError(f"referrers list of {subject}: pagination link points to another host")
            prefix = f"/v2/{subject.repository}"
            if not target.path.startswith(prefix):
                raise StoreError(f"referrers list of {subject}: unexpected pagination link {link[:200]!r}")
            path, params = target.path[len(prefix) :], dict(parse_qsl(target.query))
        raise StoreError(f"referrers list of {subject} has more than {self.options.max_referrer_pages} pages")

    def _referrers_tag_schema(self, subject: Reference, digest: str) -> list[Descriptor]:
        tag = referrers_tag(digest)
        response = self._get_manifest(subject, tag, accept=OCI_IMAGE_INDEX, what="referrers index")
        if response.status == 404:
            return []
        if response.status != 200:
            raise self._fail(response, f"cannot read referrers index {tag} of {subject}")
        claimed = response.headers.get("Docker-Content-Digest")
        if claimed:
            check_content(
                response.body, checked_digest(claimed, f"referrers index {tag}"), f"referrers index {tag}"
            )
        index = parse_json(response.body, f"referrers index {tag} of {subject}")
        found = list(descriptors(index, f"referrers index {tag} of {subject}"))
        if len(found) > self.options.max_referrers:
            raise TooLargeError(f"{subject} has more than {self.options.max_referrers} referrers")
        return found

    def _with_artifact_type(self, subject: Reference, descriptor: Descriptor) -> Descriptor:
        """Fill in an artifact type an index entry left empty (or ``oci.empty``) from the manifest itself."""
        if descriptor.artifact_type and descriptor.artifact_type != OCI_EMPTY:
            return descriptor
        try:
            manifest = parse_json(self.fetch_manifest(subject, descriptor.digest), "referrer manifest")
        except StoreError as exc:
            log.warning(
                "cannot read referrer %s of %s to learn its type: %s", descriptor.digest, subject, exc
            )
            return descriptor
        read = referrer_descriptor(
            manifest, media_type=descriptor.media_type, digest=descriptor.digest, size=descriptor.size
        )
        if read.artifact_type is None:
            return descriptor
        return attrs.evolve(read, annotations=descriptor.annotations or read.annotations)

    def _cosign_signature(self, subject: Reference, digest: str) -> Descriptor | None:
        tag = Reference(
            registry=subject.registry, repository=subject.repository, tag=cosign_signature_tag(digest)
        )
        try:
            found = self.resolve(tag)
        except NotFoundError:
            return None
        return Descriptor(
            media_type=found.media_type,
            digest=found.digest,
            size=found.size,
            artifact_type=COSIGN_SIGNATURE_ARTIFACT_TYPE,
        )

    # --- pushing (for the testing toolkit and tools) ------------------------

    def push_blob(self, repository: Reference, data: bytes) -> Descriptor:
        """Upload a blob (POST then PUT), unless the registry already has it."""
        return push_blob(self, repository, data)

    def push_manifest(
        self,
        repository: Reference,
        data: bytes,
        media_type: str = OCI_IMAGE_MANIFEST,
        *,
        tag: str | None = None,
    ) -> Descriptor:
        """Upload a manifest by tag (or by digest). A manifest with a ``subject`` is added to the
        referrers tag-schema index when the registry does not say it handled the subject itself."""
        return push_manifest(self, repository, data, media_type, tag=tag)
