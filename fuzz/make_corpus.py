#!/usr/bin/env python3
"""Write a seed corpus for ``fuzz_parsers.py`` into the directory given on the command line.

    python fuzz/make_corpus.py fuzz/corpus

Seeds are real artifacts, read in place from ``../shared/vectors`` (relative
to the project root: ``real-cosign/*.json``, ``cosign-legacy/*.json``, and
the Sigstore conformance suite's ``bundle-verify/*/bundle.sigstore.json``,
``trusted_root.json`` and ``key.pub``), plus what the ``cosign_verify.testing``
toolkit makes (a signed image's manifest and payload, a Sigstore bundle, a
Rekor entry with its inclusion proof and checkpoint, a trusted root, an RFC
3161 timestamp) and the configuration examples in ``docs/examples``. Each
file is the target's selector byte followed by the artifact. The corpus is
generated, never committed.
"""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
VECTORS = PROJECT.parent / "shared" / "vectors"
EXAMPLES = PROJECT / "docs" / "examples"
sys.path.insert(0, str(HERE))

from fuzz_parsers import NAMES, selector  # noqa: E402

Seed = tuple[str, str, bytes]  # target, where it came from, bytes


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _manifest(layers: list[dict[str, Any]]) -> bytes:
    import hashlib

    entries = [
        {
            "mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
            "digest": "sha256:" + hashlib.sha256(layer["payload"].encode()).hexdigest(),
            "size": len(layer["payload"].encode()),
            "annotations": layer.get("annotations") or {},
        }
        for layer in layers
    ]
    return _json(
        {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "layers": entries}
    )


def _layer_seeds(layers: list[dict[str, Any]], source: str) -> Iterator[Seed]:
    yield "signature_manifest", source, _manifest(layers)
    for layer in layers:
        yield "simple_signing", source, layer["payload"].encode()
        annotations = layer.get("annotations") or {}
        bundle = annotations.get("dev.sigstore.cosign/bundle")
        if bundle:
            yield "cosign_bundle", source, bundle.encode()
            yield "strict_json", source, bundle.encode()
            body = json.loads(bundle).get("Payload", {}).get("body")
            if isinstance(body, str):
                yield "log_entry", source, base64.b64decode(body)
        for name in ("dev.sigstore.cosign/certificate", "dev.sigstore.cosign/chain"):
            if annotations.get(name):
                yield "public_key", source, annotations[name].encode()
        if annotations.get("dev.sigstore.cosign/rfc3161timestamp"):
            yield "timestamp", source, annotations["dev.sigstore.cosign/rfc3161timestamp"].encode()


def _bundle_seeds(text: bytes, source: str) -> Iterator[Seed]:
    yield "sigstore_bundle", source, text
    yield "strict_json", source, text
    try:
        bundle = json.loads(text)
        entries = bundle["verificationMaterial"].get("tlogEntries") or []
    except (ValueError, KeyError, TypeError, AttributeError):
        return
    for entry in entries:
        if isinstance(entry.get("canonicalizedBody"), str):
            yield "log_entry", source, base64.b64decode(entry["canonicalizedBody"])
        envelope = ((entry.get("inclusionProof") or {}).get("checkpoint") or {}).get("envelope")
        if isinstance(envelope, str):
            yield "checkpoint", source, envelope.encode()


def vector_seeds() -> Iterator[Seed]:
    """Seeds from ../shared/vectors, read in place."""
    for path in sorted((VECTORS / "real-cosign").glob("*.json")):
        vector = json.loads(path.read_text())
        source = f"real-cosign-{path.stem}"
        if vector.get("layers"):
            yield from _layer_seeds(vector["layers"], source)
        if isinstance(vector.get("bundle"), str):
            yield from _bundle_seeds(vector["bundle"].encode(), source)
        for key in vector.get("keys") or []:
            yield "public_key", source, key.encode()
        if isinstance(vector.get("subject"), str):
            yield "reference", source, vector["subject"].encode()
    for path in sorted((VECTORS / "cosign-legacy").glob("*.json")):
        vector = json.loads(path.read_text())
        source = f"cosign-legacy-{path.stem}"
        yield from _layer_seeds([{**vector["layer"], "payload": vector["payload"]}], source)
        yield "reference", source, vector["subject"].encode()
    conformance = VECTORS / "sigstore-conformance" / "bundle-verify"
    for directory in sorted(p for p in conformance.glob("*") if p.is_dir()):
        source = f"conformance-{directory.name}"
        if (directory / "bundle.sigstore.json").is_file():
            yield from _bundle_seeds((directory / "bundle.sigstore.json").read_bytes(), source)
        if (directory / "trusted_root.json").is_file():
            yield "trusted_root", source, (directory / "trusted_root.json").read_bytes()
        if (directory / "key.pub").is_file():
            yield "public_key", source, (directory / "key.pub").read_bytes()


def toolkit_seeds() -> Iterator[Seed]:
    """Seeds the testing toolkit makes: a signed image, a logged signature, a bundle, a trusted root."""
    from cosign_verify import MemoryStore
    from cosign_verify.testing import FakeSigstore, SignOptions, generate_key_pair, push_image, sign_image

    fake = FakeSigstore()
    pair = generate_key_pair()
    store = MemoryStore()
    image = push_image(store, "registry.example/team/app:v1")
    signed = sign_image(store, image, pair, SignOptions(rekor=fake))
    manifest = store.fetch_manifest(image, signed.digest)
    layer = json.loads(manifest)["layers"][0]
    yield "signature_manifest", "toolkit", manifest
    yield "simple_signing", "toolkit", store.fetch_blob(image, layer["digest"])
    yield "cosign_bundle", "toolkit", layer["annotations"]["dev.sigstore.cosign/bundle"].encode()
    bundled = sign_image(store, image, pair, SignOptions(format="bundle", rekor=fake))
    bundle_layer = json.loads(store.fetch_manifest(image, bundled.digest))["layers"][0]
    yield from _bundle_seeds(store.fetch_blob(image, bundle_layer["digest"]), "toolkit")
    for record in fake.records:
        yield "log_entry", "toolkit", base64.b64decode(record.body)
        yield "rekor_record", "toolkit", _json(next(iter(fake.entry_document(record).values())))
    yield "checkpoint", "toolkit", fake.checkpoint()[0].encode()
    yield "trusted_root", "toolkit", fake.trusted_root_json().encode()
    _, annotations = fake.sign(b"payload", timestamp=True)
    yield "timestamp", "toolkit", annotations["dev.sigstore.cosign/rfc3161timestamp"].encode()
    yield "public_key", "toolkit", annotations["dev.sigstore.cosign/certificate"].encode()
    for algorithm in ("ecdsa-p256", "rsa-2048", "ed25519"):
        yield "public_key", f"toolkit-{algorithm}", generate_key_pair(algorithm).public_pem().encode()
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [signed.to_dict() | {"artifactType": "application/vnd.dev.cosign.artifact.sig.v1+json"}],
    }
    yield "referrers_index", "toolkit", _json(index)
    from importlib import resources

    from cosign_verify.trusted_root import PUBLIC_GOOD_TUF_DIRECTORY

    public_good = resources.files("sigstore") / "_store" / PUBLIC_GOOD_TUF_DIRECTORY / "trusted_root.json"
    yield "trusted_root", "public-good", public_good.read_bytes()


def header_and_name_seeds() -> Iterator[Seed]:
    """Headers, references, scopes and configurations as registries and operators write them."""
    for value in (
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"',
        'Basic realm="Registry Realm"',
        'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:org/app:pull",error="insufficient_scope"',
    ):
        yield "challenge", "header", value.encode()
    for value in (
        "</v2/team/app/referrers/sha256:" + "0" * 64 + '?last=abc>; rel="next"',
        '<https://other.example/v2/x>; rel="prev", </v2/x?n=1>; rel=next',
    ):
        yield "link", "header", value.encode()
    for value in ("120", "Wed, 21 Oct 2015 07:28:00 GMT", "0"):
        yield "retry_after", "header", value.encode()
    for value in (
        "nginx",
        "localhost:5000/a/b:v1",
        "[::1]:5000/app@sha256:" + "0" * 64,
        "Registry.Example:443/app",
    ):
        yield "reference", "name", value.encode()
    for value in (
        "*",
        "registry.example/team/*",
        "registry.example/app@*",
        "registry.example/app@sha256:" + "0" * 64,
    ):
        yield "scope", "name", value.encode()
    config = (EXAMPLES / "ratify-cli-config.json").read_bytes()
    yield "config_json", "docs-examples", config
    yield "config_dict", "docs-examples", config
    for path in sorted((EXAMPLES / "k8s").glob("*.yaml")):
        yield "config_yaml", f"docs-examples-{path.stem}", path.read_bytes()


def seeds() -> Iterator[Seed]:
    if VECTORS.is_dir():
        yield from vector_seeds()
    else:
        print(f"note: {VECTORS} is absent; seeding from the toolkit and the examples only", file=sys.stderr)
    yield from toolkit_seeds()
    yield from header_and_name_seeds()


def write(directory: Path) -> dict[str, int]:
    """Write every seed into ``directory``; returns how many per target."""
    directory.mkdir(parents=True, exist_ok=True)
    counts = dict.fromkeys(NAMES, 0)
    for target, source, data in seeds():
        counts[target] += 1
        name = f"{target}-{source}-{counts[target]:03d}"
        (directory / name).write_bytes(selector(target) + data)
    return counts


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(f"usage: {argv[0]} DIRECTORY", file=sys.stderr)
        return 2
    counts = write(Path(argv[1]))
    print(
        f"{sum(counts.values())} seeds written to {argv[1]}: "
        + ", ".join(f"{k} {v}" for k, v in counts.items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
