"""Cosign signature artifacts: the manifest, its layers, and the signed payload.

A cosign signature manifest is an OCI image manifest with one layer per
signature. Each layer's blob is a simple-signing payload; its annotations
carry the signature and, for keyless signatures, the certificate, the chain,
the Rekor bundle and an RFC 3161 timestamp.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from typing import Any

import attrs

from ..errors import InvalidReferenceError
from ..mediatypes import COSIGN_SIMPLESIGNING_LAYER, DOCKER_MANIFEST_V2, OCI_IMAGE_MANIFEST
from ..reference import check_digest
from .failure import Failure, FailureReason
from .strict_json import loads_strict

ANNOTATION_SIGNATURE = "dev.cosignproject.cosign/signature"
ANNOTATION_CERTIFICATE = "dev.sigstore.cosign/certificate"
ANNOTATION_CHAIN = "dev.sigstore.cosign/chain"
ANNOTATION_BUNDLE = "dev.sigstore.cosign/bundle"
ANNOTATION_RFC3161 = "dev.sigstore.cosign/rfc3161timestamp"

COSIGN_SIGNATURE_TYPE = "cosign container image signature"
MAX_SIGNATURE_LAYERS = 256
MAX_PAYLOAD_SIZE = 1 << 20


def malformed(message: str) -> Failure:
    """A signature manifest, layer or payload that is malformed (the message says how)."""
    return Failure(FailureReason.MALFORMED, message)


@attrs.frozen(kw_only=True)
class SignatureLayer:
    """One layer descriptor of a signature manifest."""

    digest: str
    size: int
    media_type: str
    annotations: Mapping[str, str]
    # What this layer and its manifest say, in one string: a key for what is parsed from them.
    fingerprint: str = ""


@attrs.frozen(kw_only=True)
class CosignSignature:
    """One cosign signature: the payload bytes, the signature, and what came with it."""

    layer_digest: str
    payload: bytes = attrs.field(repr=False)
    signature: bytes = attrs.field(repr=False)
    signature_b64: str
    certificate: bytes | None = None
    chain: bytes | None = None
    bundle: str | None = None
    rfc3161_timestamp: str | None = None


@attrs.frozen(kw_only=True)
class SimpleSigningPayload:
    """The parsed simple-signing payload (only what cosign defines)."""

    docker_reference: str
    docker_manifest_digest: str
    type: str
    optional: Mapping[str, Any] | None


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise malformed(f"{where} must be a JSON object")
    return value


def _string(obj: dict[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        raise malformed(f"{where}.{key} must be a string")
    return value


def parse_signature_manifest(data: bytes) -> list[SignatureLayer]:
    """The layers of a cosign signature manifest, in manifest order."""
    manifest_digest = hashlib.sha256(data).hexdigest()
    manifest = _object(loads_strict(data, "signature manifest"), "manifest")
    if manifest.get("schemaVersion") != 2:
        raise malformed("signature manifest must have schemaVersion 2")
    media_type = manifest.get("mediaType", OCI_IMAGE_MANIFEST)
    if media_type not in (OCI_IMAGE_MANIFEST, DOCKER_MANIFEST_V2):
        raise malformed(f"signature manifest has unexpected media type {media_type!r}")
    layers = manifest.get("layers")
    if not isinstance(layers, list) or not layers:
        raise malformed("signature manifest has no layers")
    if len(layers) > MAX_SIGNATURE_LAYERS:
        raise Failure(
            FailureReason.TOO_LARGE,
            f"signature manifest has {len(layers)} layers (at most {MAX_SIGNATURE_LAYERS})",
        )
    out = []
    for index, raw in enumerate(layers):
        where = f"layers[{index}]"
        layer = _object(raw, where)
        digest = _string(layer, "digest", where)
        try:
            check_digest(digest)
        except InvalidReferenceError as exc:
            raise malformed(f"{where}.digest: {exc.reason}") from None
        size = layer.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise malformed(f"{where}.size must be a non-negative integer")
        annotations = layer.get("annotations") or {}
        if not isinstance(annotations, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in annotations.items()
        ):
            raise malformed(f"{where}.annotations must map strings to strings")
        out.append(
            SignatureLayer(
                digest=digest,
                size=size,
                media_type=_string(layer, "mediaType", where),
                annotations=annotations,
                fingerprint=f"{manifest_digest}/{index}/{digest}",
            )
        )
    return out


def annotation_bytes(layer: SignatureLayer, annotation: str) -> bytes | None:
    """A PEM annotation's bytes (None when absent); text that is not Unicode is malformed."""
    value = layer.annotations.get(annotation)
    if not value:
        return None
    try:
        return value.encode()
    except UnicodeEncodeError:
        raise malformed(f"{annotation} annotation is not Unicode text (it holds a lone surrogate)") from None


def load_signature(layer: SignatureLayer, payload: bytes) -> CosignSignature:
    """Combine a layer and its (digest-checked) payload into a :class:`CosignSignature`."""
    if layer.media_type != COSIGN_SIMPLESIGNING_LAYER:
        raise Failure(
            FailureReason.NOT_A_SIGNATURE,
            f"layer media type is {layer.media_type!r}, not a cosign simple-signing payload",
        )
    # Go's base64.StdEncoding, which cosign decodes this annotation with, skips CR and LF (signatures
    # wrapped at 76 columns exist); nothing else is forgiven.
    encoded = (layer.annotations.get(ANNOTATION_SIGNATURE) or "").replace("\r", "").replace("\n", "")
    if not encoded:
        raise malformed(f"layer has no {ANNOTATION_SIGNATURE} annotation")
    try:
        signature = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise malformed(f"{ANNOTATION_SIGNATURE} annotation is not valid base64") from None
    if not signature:
        raise malformed(f"{ANNOTATION_SIGNATURE} annotation is empty")
    return layer_signature(layer, payload, signature, encoded)


def layer_signature(layer: SignatureLayer, signed: bytes, signature: bytes, encoded: str) -> CosignSignature:
    """``signature`` (written ``encoded``) over the bytes ``signed``, with what the layer's annotations
    carry beside it (certificate, chain, Rekor bundle, RFC 3161 timestamp)."""
    return CosignSignature(
        layer_digest=layer.digest,
        payload=signed,
        signature=signature,
        signature_b64=encoded,
        certificate=annotation_bytes(layer, ANNOTATION_CERTIFICATE),
        chain=annotation_bytes(layer, ANNOTATION_CHAIN),
        bundle=layer.annotations.get(ANNOTATION_BUNDLE),
        rfc3161_timestamp=layer.annotations.get(ANNOTATION_RFC3161),
    )


def parse_simple_signing(payload: bytes) -> SimpleSigningPayload:
    """Parse a simple-signing payload strictly: cosign's fields, right types, nothing unknown in ``critical``."""
    if len(payload) > MAX_PAYLOAD_SIZE:
        raise Failure(
            FailureReason.TOO_LARGE, f"payload is {len(payload)} bytes (at most {MAX_PAYLOAD_SIZE})"
        )
    document = _object(loads_strict(payload, "payload"), "payload")
    unknown = sorted(set(document) - {"critical", "optional"})
    if unknown:
        raise malformed(f"payload has unknown top-level field(s) {unknown}")
    critical = _object(document.get("critical"), "payload.critical")
    unknown = sorted(set(critical) - {"identity", "image", "type"})
    if unknown:
        raise malformed(f"payload.critical has unknown field(s) {unknown}")
    identity = _object(critical.get("identity"), "payload.critical.identity")
    image = _object(critical.get("image"), "payload.critical.image")
    optional = document.get("optional")
    if optional is not None and not isinstance(optional, dict):
        raise malformed("payload.optional must be an object or null")
    return SimpleSigningPayload(
        docker_reference=_string(identity, "docker-reference", "payload.critical.identity"),
        docker_manifest_digest=_string(image, "docker-manifest-digest", "payload.critical.image"),
        type=_string(critical, "type", "payload.critical"),
        optional=optional,
    )
