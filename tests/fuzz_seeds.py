"""Real documents of every kind the verifier parses from outside, to mutate in property tests.

Made with the toolkit (a fake Sigstore signs them, so they verify and the
parsers' deep paths are reached), plus, when ``../shared/vectors`` is
present, the real cosign artifacts and Sigstore conformance bundles there.
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

import attrs
from cryptography.hazmat.primitives import serialization

from cosign_verify import MemoryStore, TrustedRoot
from cosign_verify._internal.log_entry import SignedContent
from cosign_verify.testing import FakeSigstore, SignOptions, generate_key_pair, push_image, sign_image

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT.parent / "shared" / "vectors"
EXAMPLES = ROOT / "docs" / "examples"


@attrs.frozen(kw_only=True)
class Seeds:
    """Templates by kind; ``content``/``dsse_content`` are what the logged entries describe, ``key_pem``
    verifies the signatures and ``bundle_subject`` is the digest the first bundle signs."""

    manifests: tuple[bytes, ...]
    payloads: tuple[bytes, ...]
    bundles: tuple[bytes, ...]
    cosign_bundles: tuple[str, ...]
    entry_bodies: tuple[bytes, ...]
    rekor_records: tuple[Any, ...]
    trusted_roots: tuple[bytes, ...]
    checkpoints: tuple[str, ...]
    timestamps: tuple[str, ...]
    configs: tuple[Any, ...]
    yaml_configs: tuple[str, ...]
    keys: tuple[bytes, ...]
    root: TrustedRoot = attrs.field(repr=False)
    log_id: bytes
    key_pem: str
    bundle_subject: str
    content: SignedContent = attrs.field(repr=False)
    dsse_content: SignedContent = attrs.field(repr=False)


def _pem(key: Any) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)  # type: ignore[no-any-return]


@cache
def seeds() -> Seeds:
    """Every seed, made once per process."""
    fake = FakeSigstore()
    pair = generate_key_pair("ecdsa-p256")
    store = MemoryStore()
    image = push_image(store, "registry.example/team/app:v1")
    descriptor = sign_image(store, image, pair, SignOptions(rekor=fake))
    manifest = store.fetch_manifest(image, descriptor.digest)
    layer = json.loads(manifest)["layers"][0]
    payload = store.fetch_blob(image, layer["digest"])
    signature = base64.b64decode(layer["annotations"]["dev.cosignproject.cosign/signature"])
    record = fake.records[-1]
    bundled = sign_image(store, image, pair, SignOptions(format="bundle", rekor=fake))
    bundle = store.fetch_blob(
        image, json.loads(store.fetch_manifest(image, bundled.digest))["layers"][0]["digest"]
    )
    dsse = json.loads(bundle)["dsseEnvelope"]
    _, annotations = fake.sign(b"payload", timestamp=True)
    checkpoint, _ = fake.checkpoint()
    certificate = annotations["dev.sigstore.cosign/certificate"].encode()
    real = _real_artifacts()
    return Seeds(
        manifests=(manifest, *real["manifests"]),
        payloads=(payload, *real["payloads"]),
        bundles=(bundle, *real["bundles"]),
        cosign_bundles=(
            record.cosign_bundle(),
            annotations["dev.sigstore.cosign/bundle"],
            *real["cosign_bundles"],
        ),
        entry_bodies=tuple(base64.b64decode(r.body) for r in fake.records),
        rekor_records=tuple(next(iter(fake.entry_document(r).values())) for r in fake.records),
        trusted_roots=(fake.trusted_root_json().encode(), *real["trusted_roots"]),
        checkpoints=(checkpoint,),
        timestamps=(annotations["dev.sigstore.cosign/rfc3161timestamp"],),
        configs=(json.loads((EXAMPLES / "ratify-cli-config.json").read_text()),),
        yaml_configs=tuple(path.read_text() for path in sorted((EXAMPLES / "k8s").glob("*.yaml"))),
        keys=(
            pair.public_pem().encode(),
            *(generate_key_pair(a).public_pem().encode() for a in ("rsa-2048", "ed25519", "ecdsa-p384")),
            certificate,
            *real["keys"],
        ),
        root=TrustedRoot.from_json(fake.trusted_root_json(), source="fake"),
        log_id=fake.rekor_log_id,
        key_pem=pair.public_pem(),
        bundle_subject=str(image.digest),
        content=SignedContent(
            signature=signature,
            verifier_spki=pair.private_key.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            ),
            artifact_sha256=hashlib.sha256(payload).digest(),
            artifact=payload,
        ),
        dsse_content=SignedContent(
            signature=base64.b64decode(dsse["signatures"][0]["sig"]),
            verifier_spki=pair.private_key.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            ),
            envelope=(dsse["payloadType"], base64.b64decode(dsse["payload"])),
        ),
    )


def _real_artifacts() -> dict[str, list[Any]]:
    """Artifacts from ../shared/vectors, read in place (none when the directory is absent)."""
    found: dict[str, list[Any]] = {
        k: [] for k in ("manifests", "payloads", "bundles", "cosign_bundles", "trusted_roots", "keys")
    }
    for path in sorted((VECTORS / "real-cosign").glob("*.json")) + sorted(
        (VECTORS / "cosign-legacy").glob("*.json")
    ):
        vector = json.loads(path.read_text())
        layers = vector.get("layers") or (
            [{**vector["layer"], "payload": vector["payload"]}] if "layer" in vector else []
        )
        entries = []
        for layer in layers:
            data = layer["payload"].encode()
            found["payloads"].append(data)
            annotations = layer.get("annotations") or {}
            if "dev.sigstore.cosign/bundle" in annotations:
                found["cosign_bundles"].append(annotations["dev.sigstore.cosign/bundle"])
            entries.append(
                {
                    "mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
                    "digest": "sha256:" + hashlib.sha256(data).hexdigest(),
                    "size": len(data),
                    "annotations": annotations,
                }
            )
        if entries:
            manifest = {
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "layers": entries,
            }
            found["manifests"].append(json.dumps(manifest).encode())
        if isinstance(vector.get("bundle"), str):
            found["bundles"].append(vector["bundle"].encode())
        found["keys"].extend(key.encode() for key in vector.get("keys") or [])
    conformance = VECTORS / "sigstore-conformance" / "bundle-verify"
    found["bundles"].extend(p.read_bytes() for p in sorted(conformance.glob("*/bundle.sigstore.json")))
    found["trusted_roots"].extend(p.read_bytes() for p in sorted(conformance.glob("*/trusted_root.json"))[:3])
    return found
