"""Pushing test images and signing them exactly as cosign does."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping
from typing import Any, Literal, Protocol

import attrs
from cryptography.hazmat.primitives import serialization

from .._internal.log_entry import pae
from .._internal.simple_signing import ANNOTATION_SIGNATURE, COSIGN_SIGNATURE_TYPE
from ..errors import StoreError
from ..mediatypes import (
    ANNOTATION_BUNDLE_CONTENT,
    ANNOTATION_BUNDLE_PREDICATE_TYPE,
    COSIGN_SIGN_PREDICATE,
    COSIGN_SIGNATURE_ARTIFACT_TYPE,
    COSIGN_SIMPLESIGNING_LAYER,
    IN_TOTO_PAYLOAD_TYPE,
    IN_TOTO_STATEMENT_V1,
    OCI_EMPTY,
    OCI_IMAGE_MANIFEST,
    SIGSTORE_BUNDLE_V03,
)
from ..reference import Reference
from ..store.base import Descriptor, cosign_signature_tag
from .fake_sigstore import FakeSigstore, KeylessSigner
from .keys import KeyPair, PrivateKey
from .profiles import DEFAULT_PROFILE, SignerProfile
from .profiles import profile as find_profile

OCI_IMAGE_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
EMPTY_JSON = b"{}"


class PushTarget(Protocol):
    """A store that can be written to (:class:`~cosign_verify.MemoryStore` is one)."""

    def push_blob(self, repository: Reference, data: bytes) -> Descriptor: ...

    def push_manifest(
        self, repository: Reference, data: bytes, media_type: str = ..., *, tag: str | None = None
    ) -> Descriptor: ...

    def resolve(self, reference: Reference) -> Descriptor: ...

    def fetch_manifest(self, repository: Reference, digest: str) -> bytes: ...


def _as_reference(value: str | Reference) -> Reference:
    return value if isinstance(value, Reference) else Reference.parse(value)


def _canonical(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":"), sort_keys=False).encode()


def push_image(store: PushTarget, reference: str | Reference, *, content: bytes | None = None) -> Reference:
    """Push a small random image (config + one layer) and tag it; returns ``repo:tag@digest``."""
    ref = _as_reference(reference)
    layer = store.push_blob(ref, content if content is not None else os.urandom(64))
    config = {
        "architecture": "amd64",
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [layer.digest]},
    }
    config_data = _canonical(config)
    config_desc = store.push_blob(ref, config_data)
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_IMAGE_MANIFEST,
        "config": {"mediaType": OCI_IMAGE_CONFIG, "digest": config_desc.digest, "size": len(config_data)},
        "layers": [{"mediaType": OCI_LAYER, "digest": layer.digest, "size": layer.size}],
    }
    descriptor = store.push_manifest(ref, _canonical(manifest), OCI_IMAGE_MANIFEST, tag=ref.tag or "latest")
    return Reference(registry=ref.registry, repository=ref.repository, tag=ref.tag, digest=descriptor.digest)


def make_payload(
    digest: str,
    docker_reference: str,
    *,
    optional: Mapping[str, Any] | None = None,
    type: str = COSIGN_SIGNATURE_TYPE,
) -> bytes:
    """cosign's simple-signing payload for an image digest (``docker_reference`` is the repository)."""
    document = {
        "critical": {
            "identity": {"docker-reference": docker_reference},
            "image": {"docker-manifest-digest": digest},
            "type": type,
        },
        "optional": dict(optional) if optional is not None else None,
    }
    return _canonical(document)


def make_statement(
    digest: str,
    name: str,
    *,
    predicate_type: str = COSIGN_SIGN_PREDICATE,
    annotations: Mapping[str, str] | None = None,
) -> bytes:
    """The in-toto Statement cosign v3 signs for an image: the image digest as subject.

    ``annotations`` go on the subject, where cosign 3.0.3 and later write ``cosign sign -a``.
    """
    algorithm, _, encoded = digest.partition(":")
    subject: dict[str, Any] = {"name": name, "digest": {algorithm: encoded}}
    if annotations:
        subject["annotations"] = dict(annotations)
    document = {
        "_type": IN_TOTO_STATEMENT_V1,
        "subject": [subject],
        "predicateType": predicate_type,
        "predicate": {},
    }
    return _canonical(document)


def signature_layer(
    store: PushTarget,
    repository: Reference,
    payload: bytes,
    signature: bytes,
    annotations: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Push ``payload`` and return the manifest layer entry that carries ``signature``."""
    blob = store.push_blob(repository, payload)
    return {
        "mediaType": COSIGN_SIMPLESIGNING_LAYER,
        "digest": blob.digest,
        "size": len(payload),
        "annotations": {ANNOTATION_SIGNATURE: base64.b64encode(signature).decode(), **(annotations or {})},
    }


def _config_for(store: PushTarget, repository: Reference, layers: list[dict[str, Any]]) -> dict[str, Any]:
    config = {
        "architecture": "",
        "created": "0001-01-01T00:00:00Z",
        "history": [{"created": "0001-01-01T00:00:00Z"} for _ in layers],
        "os": "",
        "rootfs": {"type": "layers", "diff_ids": [layer["digest"] for layer in layers]},
        "config": {},
    }
    data = _canonical(config)
    desc = store.push_blob(repository, data)
    return {"mediaType": OCI_IMAGE_CONFIG, "digest": desc.digest, "size": len(data)}


@attrs.frozen(kw_only=True)
class SignOptions:
    """How :func:`sign_image` writes a signature.

    - ``layout``: ``"tag"`` appends a layer to the ``sha256-<hex>.sig``
      manifest; ``"referrer"`` pushes an OCI 1.1 referrer with artifact type
      ``application/vnd.dev.cosign.artifact.sig.v1+json``.
    - ``format``: ``"legacy"`` (cosign 2's simple-signing layer) or
      ``"bundle"`` (cosign 3: an in-toto Statement in a DSSE envelope, in a
      Sigstore bundle v0.3 attached as a referrer; it needs a log: a keyless
      signer, or ``rekor``).
    - ``payload`` replaces the simple-signing payload (or the statement), to
      sign something else on purpose; ``annotations`` are added to the layer
      (and override the generated ones); ``predicate_type`` is the bundle
      statement's.
    - ``rekor``: log a key-based signature in this fake Sigstore and attach
      its Rekor bundle.
    - ``payload_annotations``: ``cosign sign -a key=value``: the payload's
      ``optional`` section, or with ``format="bundle"`` the statement
      subject's ``annotations`` (as cosign 3.0.3 and later write them).
    - ``bundle_content``: ``"dsse"`` (cosign 3's in-toto statement) or
      ``"message-signature"`` (a message signature over a simple-signing
      payload, carried as a second layer).
    - ``signature_repository``: write the signature into this repository
      instead of the subject's (cosign's ``COSIGN_REPOSITORY``).
    - ``profile``: sign as this signer signs (:mod:`cosign_verify.testing.profiles`:
      ``cosign-2.5``, ``cosign-2.6``, ``cosign-3``, ``kms-...``); ``format``
      defaults to the profile's (``bundle`` for ``cosign-3``).
    """

    layout: Literal["tag", "referrer"] = "tag"
    format: Literal["legacy", "bundle"] | None = None
    profile: str = DEFAULT_PROFILE
    payload: bytes | None = None
    annotations: Mapping[str, str] = attrs.field(factory=dict)
    predicate_type: str = COSIGN_SIGN_PREDICATE
    rekor: FakeSigstore | None = None
    payload_annotations: Mapping[str, str] = attrs.field(factory=dict)
    signature_repository: str | None = None
    bundle_content: Literal["dsse", "message-signature"] = "dsse"


Signer = KeyPair | PrivateKey | KeylessSigner


def sign_image(
    store: PushTarget, subject: str | Reference, signer: Signer, options: SignOptions | None = None
) -> Descriptor:
    """Sign ``subject`` as cosign does and write the signature into ``store``; returns its manifest's descriptor.

    ``signer`` is a key pair (or private key), or a keyless signer from
    :meth:`FakeSigstore.signer` (a fresh Fulcio-like certificate per
    signature, logged in the fake's Rekor). A subject given by tag is
    resolved through the store first.
    """
    options = options or SignOptions()
    signing = find_profile(options.profile)
    ref = _as_reference(subject)
    digest = ref.digest or store.resolve(ref).digest
    target = _as_reference(options.signature_repository) if options.signature_repository else ref
    subject_descriptor = store.resolve(ref.with_digest(digest))
    bundled = (options.format or signing.format) == "bundle"
    if bundled and options.bundle_content == "dsse":
        statement = options.payload or make_statement(
            digest, ref.name, predicate_type=options.predicate_type, annotations=options.payload_annotations
        )
        bundle = _bundle(statement, signer, options.rekor, signing)
        return attach_bundle(
            store, ref, bundle, predicate_type=options.predicate_type, at=target, found=subject_descriptor
        )
    optional = dict(options.payload_annotations) or None
    payload = (
        options.payload if options.payload is not None else make_payload(digest, ref.name, optional=optional)
    )
    if bundled:
        return _message_bundle(store, target, subject_descriptor, payload, signer, options.rekor, signing)
    signature, generated = _sign_legacy(payload, signer, options.rekor, signing)
    layer = signature_layer(store, target, payload, signature, {**generated, **options.annotations})
    if options.layout == "referrer":
        return push_referrer(store, target, subject_descriptor, [layer], COSIGN_SIGNATURE_ARTIFACT_TYPE)
    if options.layout != "tag":
        raise ValueError(f"layout must be 'tag' or 'referrer', not {options.layout!r}")
    return append_to_tag(store, target, cosign_signature_tag(digest), layer)


def _sign_legacy(
    payload: bytes, signer: Signer, rekor: FakeSigstore | None, signing: SignerProfile
) -> tuple[bytes, dict[str, str]]:
    if isinstance(signer, KeylessSigner):
        return signer.sign(payload)
    private_key = signer.private_key if isinstance(signer, KeyPair) else signer
    signature = signing.sign(private_key, payload)
    if rekor is None:
        return signature, {}
    public_pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    record = rekor.log(payload, signature, public_pem, hash_algorithm=signing.entry_hash(private_key))
    return signature, {"dev.sigstore.cosign/bundle": record.cosign_bundle()}


def push_referrer(
    store: PushTarget,
    ref: Reference,
    found: Descriptor,
    layers: list[dict[str, Any]],
    artifact_type: str,
    annotations: Mapping[str, str] | None = None,
) -> Descriptor:
    """Push an OCI 1.1 referrer of ``found`` (the subject's descriptor) into ``ref``'s repository."""
    empty = store.push_blob(ref, EMPTY_JSON)
    manifest: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": OCI_IMAGE_MANIFEST,
        "artifactType": artifact_type,
        "config": {"mediaType": OCI_EMPTY, "digest": empty.digest, "size": len(EMPTY_JSON)},
        "layers": layers,
        "subject": {"mediaType": found.media_type, "digest": found.digest, "size": found.size},
    }
    if annotations:
        manifest["annotations"] = dict(annotations)
    return store.push_manifest(ref, _canonical(manifest), OCI_IMAGE_MANIFEST)


def append_to_tag(store: PushTarget, ref: Reference, tag: str, layer: dict[str, Any]) -> Descriptor:
    """Append ``layer`` to the manifest tagged ``tag`` in ``ref``'s repository (cosign's ``.sig``/``.att``)."""
    layers: list[dict[str, Any]] = []
    try:
        existing = store.resolve(Reference(registry=ref.registry, repository=ref.repository, tag=tag))
        layers = list(json.loads(store.fetch_manifest(ref, existing.digest))["layers"])
    except StoreError:
        pass
    layers.append(layer)
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_IMAGE_MANIFEST,
        "config": _config_for(store, ref, layers),
        "layers": layers,
    }
    return store.push_manifest(ref, _canonical(manifest), OCI_IMAGE_MANIFEST, tag=tag)


def _bundle(
    statement: bytes, signer: Signer, rekor: FakeSigstore | None, signing: SignerProfile
) -> dict[str, Any]:
    to_sign = pae(IN_TOTO_PAYLOAD_TYPE, statement)
    if isinstance(signer, KeylessSigner):
        return signer.sign_bundle(statement)
    if rekor is None:
        raise ValueError("format='bundle' needs a keyless signer, or a key with SignOptions(rekor=...)")
    private = signer.private_key if isinstance(signer, KeyPair) else signer
    signature = signing.sign(private, to_sign)
    public = private.public_key()
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    record = rekor.log_dsse(statement, signature, pem)
    return rekor.sigstore_bundle(
        statement, signature, None, record, payload_type=IN_TOTO_PAYLOAD_TYPE, public_key=public
    )


def attach_bundle(
    store: PushTarget,
    subject: str | Reference,
    bundle: Mapping[str, Any] | bytes,
    *,
    predicate_type: str = COSIGN_SIGN_PREDICATE,
    at: str | Reference | None = None,
    found: Descriptor | None = None,
) -> Descriptor:
    """Attach a Sigstore bundle to ``subject`` as an OCI referrer, as cosign v3 does (the annotations are hints).

    ``at``: the repository to write it to (default: the subject's).
    """
    ref = _as_reference(subject)
    found = found or store.resolve(ref)
    target = _as_reference(at) if at is not None else ref
    data = bundle if isinstance(bundle, bytes) else json.dumps(bundle, separators=(",", ":")).encode()
    blob = store.push_blob(target, data)
    layer = {"mediaType": SIGSTORE_BUNDLE_V03, "digest": blob.digest, "size": len(data)}
    annotations = {
        ANNOTATION_BUNDLE_CONTENT: "dsse-envelope",
        ANNOTATION_BUNDLE_PREDICATE_TYPE: predicate_type,
    }
    return push_referrer(store, target, found, [layer], SIGSTORE_BUNDLE_V03, annotations)


def _message_bundle(
    store: PushTarget,
    target: Reference,
    found: Descriptor,
    payload: bytes,
    signer: Signer,
    rekor: FakeSigstore | None,
    signing: SignerProfile,
) -> Descriptor:
    """A message-signature bundle over a simple-signing payload, with the payload as a second layer."""
    if isinstance(signer, KeylessSigner):
        sigstore = signer.sigstore
        certificate, key = sigstore.issue(signer.identity, signer.issuer, **signer.certificate_options)
        signature = signing.sign(key, payload)
        record = sigstore.log(payload, signature, certificate.public_bytes(serialization.Encoding.PEM))
        bundle = sigstore.sigstore_bundle(payload, signature, certificate, record)
    else:
        if rekor is None:
            raise ValueError("a bundle needs a keyless signer, or a key with SignOptions(rekor=...)")
        private = signer.private_key if isinstance(signer, KeyPair) else signer
        signature = signing.sign(private, payload)
        pem = private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        record = rekor.log(payload, signature, pem)
        bundle = rekor.sigstore_bundle(payload, signature, None, record, public_key=private.public_key())
    data = json.dumps(bundle, separators=(",", ":")).encode()
    layers = [
        {"mediaType": SIGSTORE_BUNDLE_V03, "digest": store.push_blob(target, data).digest, "size": len(data)},
        {
            "mediaType": COSIGN_SIMPLESIGNING_LAYER,
            "digest": store.push_blob(target, payload).digest,
            "size": len(payload),
        },
    ]
    annotations = {
        ANNOTATION_BUNDLE_CONTENT: "message-signature",
        ANNOTATION_BUNDLE_PREDICATE_TYPE: COSIGN_SIGN_PREDICATE,
    }
    return push_referrer(store, target, found, layers, SIGSTORE_BUNDLE_V03, annotations)
