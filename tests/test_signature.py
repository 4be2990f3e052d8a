from __future__ import annotations

import json
from typing import Any

import pytest

from cosign_verify import FailureReason
from cosign_verify._internal.failure import Failure
from cosign_verify._internal.simple_signing import (
    ANNOTATION_BUNDLE,
    ANNOTATION_CERTIFICATE,
    ANNOTATION_SIGNATURE,
    SignatureLayer,
    load_signature,
    parse_signature_manifest,
    parse_simple_signing,
)
from cosign_verify.testing import make_payload

from .conftest import fails_with

# Every parse failure below is MALFORMED but these (keyed by the message each case expects).
NOT_MALFORMED = {
    "300 layers": FailureReason.TOO_LARGE,
    "at most": FailureReason.TOO_LARGE,
    "not a cosign simple-signing payload": FailureReason.NOT_A_SIGNATURE,
}


def parse_reason(message: str) -> FailureReason:
    return NOT_MALFORMED.get(message, FailureReason.MALFORMED)


DIGEST = "sha256:" + "e" * 64
LAYER = {
    "mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
    "digest": DIGEST,
    "size": 10,
    "annotations": {ANNOTATION_SIGNATURE: "c2ln"},
}


def manifest(**overrides: Any) -> bytes:
    doc: dict[str, Any] = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json"}
    doc["layers"] = [LAYER]
    doc.update(overrides)
    return json.dumps(doc).encode()


def test_parse_manifest() -> None:
    [layer] = parse_signature_manifest(manifest())
    assert layer.digest == DIGEST and layer.size == 10
    assert layer.annotations[ANNOTATION_SIGNATURE] == "c2ln"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{", "not valid JSON"),
        (b"\xff", "not valid JSON: not UTF-8"),
        (b'{"schemaVersion": 2, "schemaVersion": 2}', "duplicate key 'schemaVersion'"),
        (b"[]", "manifest must be a JSON object"),
        (manifest(schemaVersion=1), "schemaVersion 2"),
        (manifest(mediaType="application/vnd.oci.image.index.v1+json"), "unexpected media type"),
        (manifest(layers=[]), "has no layers"),
        (manifest(layers="x"), "has no layers"),
        (manifest(layers=[LAYER] * 300), "300 layers"),
        (manifest(layers=[{**LAYER, "digest": "sha256:zz"}]), "layers[0].digest"),
        (manifest(layers=[{**LAYER, "size": -1}]), "layers[0].size"),
        (manifest(layers=[{**LAYER, "size": True}]), "layers[0].size"),
        (manifest(layers=[{**LAYER, "annotations": {"a": 1}}]), "annotations must map strings"),
        (manifest(layers=[LAYER, "x"]), "layers[1] must be a JSON object"),
        (manifest(layers=[{k: v for k, v in LAYER.items() if k != "mediaType"}]), "layers[0].mediaType"),
        (b'{"schemaVersion": NaN}', "non-standard constant NaN"),
    ],
)
def test_bad_manifests(data: bytes, message: str) -> None:
    with pytest.raises(Failure) as info:
        parse_signature_manifest(data)
    assert message in str(info.value)
    assert info.value.reason is parse_reason(message)


def layer(**annotations: str) -> SignatureLayer:
    return SignatureLayer(
        digest=DIGEST,
        size=1,
        media_type="application/vnd.dev.cosign.simplesigning.v1+json",
        annotations=annotations,
    )


def test_load_signature_annotations() -> None:
    sig = load_signature(
        layer(**{ANNOTATION_SIGNATURE: "c2ln", ANNOTATION_CERTIFICATE: "PEM", ANNOTATION_BUNDLE: "{}"}),
        b"payload",
    )
    assert sig.signature == b"sig" and sig.certificate == b"PEM" and sig.bundle == "{}"
    assert sig.chain is None and sig.rfc3161_timestamp is None


@pytest.mark.parametrize(
    ("the_layer", "message"),
    [
        (layer(), "no dev.cosignproject.cosign/signature annotation"),
        (layer(**{ANNOTATION_SIGNATURE: "not base64!"}), "not valid base64"),
        (layer(**{ANNOTATION_SIGNATURE: "="}), "not valid base64"),
        (
            SignatureLayer(digest=DIGEST, size=1, media_type="application/octet-stream", annotations={}),
            "not a cosign simple-signing payload",
        ),
    ],
)
def test_bad_signature_layers(the_layer: SignatureLayer, message: str) -> None:
    with fails_with(parse_reason(message), match=message):
        load_signature(the_layer, b"payload")


def test_parse_payload() -> None:
    parsed = parse_simple_signing(make_payload(DIGEST, "ghcr.io/o/r", optional={"k": "v"}))
    assert parsed.docker_manifest_digest == DIGEST
    assert parsed.docker_reference == "ghcr.io/o/r"
    assert parsed.type == "cosign container image signature"
    assert parsed.optional == {"k": "v"}


def payload(critical: Any, **extra: Any) -> bytes:
    return json.dumps({"critical": critical, **extra}).encode()


GOOD_CRITICAL = {
    "identity": {"docker-reference": "r"},
    "image": {"docker-manifest-digest": DIGEST},
    "type": "cosign container image signature",
}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not valid JSON"),
        (b"[]", "payload must be a JSON object"),
        (payload(GOOD_CRITICAL, extra=1), "unknown top-level field(s) ['extra']"),
        (payload({**GOOD_CRITICAL, "Image": {}}), "unknown field(s) ['Image']"),
        (payload(None), "payload.critical must be a JSON object"),
        (
            payload({**GOOD_CRITICAL, "image": {"docker-manifest-digest": 5}}),
            "docker-manifest-digest must be a string",
        ),
        (payload({**GOOD_CRITICAL, "image": []}), "payload.critical.image must be a JSON object"),
        (payload({**GOOD_CRITICAL, "type": None}), "payload.critical.type must be a string"),
        (payload(GOOD_CRITICAL, optional=[]), "optional must be an object or null"),
        (
            b'{"critical": {"identity": {"docker-reference": "r"}, "image": {"docker-manifest-digest": "a", '
            b'"docker-manifest-digest": "b"}, "type": "t"}}',
            "duplicate key 'docker-manifest-digest'",
        ),
        (b" " * (1 << 20 + 1), "at most"),
    ],
)
def test_bad_payloads(data: bytes, message: str) -> None:
    with pytest.raises(Failure) as info:
        parse_simple_signing(data)
    assert message in str(info.value)
    assert info.value.reason is parse_reason(message)
