"""Bundle referrers written by the toolkit, verified from docker-registry (tag schema) and RegistryServer (API)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cosign_verify import CosignVerifier, Executor, Keyless, Reference, TrustPolicy
from cosign_verify.cli import main
from cosign_verify.mediatypes import COSIGN_SIGNATURE_ARTIFACT_TYPE as SIG
from cosign_verify.mediatypes import OCI_EMPTY, OCI_IMAGE_INDEX
from cosign_verify.mediatypes import SIGSTORE_BUNDLE_V03 as BUNDLE
from cosign_verify.store import OCIRegistryStore, RegistryOptions
from cosign_verify.store.oci import referrers_tag
from cosign_verify.testing import FakeSigstore, KeyPair, RegistryServer, SignOptions, push_image, sign_image

pytestmark = pytest.mark.integration
IDENTITY, ISSUER = "builder@example.com", "https://issuer.example"


def config_file(tmp_path: Path, scope: str, pair: KeyPair) -> Path:
    config = {
        "store": {"plugins": [{"name": "oras", "cosignEnabled": True}]},
        "policy": {
            "plugin": {
                "name": "configPolicy",
                "artifactVerificationPolicies": {BUNDLE: "any", "default": "any"},
            }
        },
        "verifier": {
            "plugins": [
                {
                    "name": "cosign",
                    "artifactTypes": f"{SIG},{BUNDLE}",
                    "trustedRoot": "trusted_root.json",
                    "trustPolicies": [
                        {
                            "name": "ci",
                            "scopes": [f"{scope}/ci/*"],
                            "keyless": {"certificateIdentity": IDENTITY, "certificateOIDCIssuer": ISSUER},
                        },
                        {"name": "keys", "scopes": [f"{scope}/keys/*"], "keys": [{"provider": "kp"}]},
                    ],
                }
            ]
        },
        "keyManagementProviders": [
            {"name": "kp", "type": "inline", "parameters": {"contentType": "key", "value": pair.public_pem()}}
        ],
    }
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return path


def cli(config: Path, subject: str) -> tuple[int, dict[str, Any]]:
    out = io.StringIO()
    code = main(["verify", "--config", str(config), "--subject", subject], out=out, err=io.StringIO())
    return code, json.loads(out.getvalue())


def test_bundles_on_docker_registry_through_the_cli(
    docker_registry: str, tmp_path: Path, key_pair: Callable[..., KeyPair]
) -> None:
    fake = FakeSigstore()
    fake.write_trusted_root(tmp_path / "trusted_root.json")
    pair = key_pair()
    base = f"{docker_registry}/bundles{tmp_path.name[-6:]}"
    config = config_file(tmp_path, base, pair)
    store = OCIRegistryStore()

    keyless = push_image(store, f"{base}/ci/app:v1")
    sign_image(store, keyless, fake.signer(IDENTITY, ISSUER), SignOptions(format="bundle"))
    keyed = push_image(store, f"{base}/keys/app:v1")
    sign_image(store, keyed, pair, SignOptions(rekor=fake, format="bundle"))
    both = push_image(store, f"{base}/ci/both:v1")
    sign_image(store, both, fake.signer(IDENTITY, ISSUER), SignOptions(format="bundle"))
    sign_image(store, both, fake.signer(IDENTITY, ISSUER))
    attestation = push_image(store, f"{base}/ci/attested:v1")
    sign_image(
        store,
        attestation,
        fake.signer(IDENTITY, ISSUER),
        SignOptions(format="bundle", predicate_type="https://slsa.dev/provenance/v1"),
    )

    for image in (keyless, keyed, both):
        code, result = cli(config, str(image))
        assert code == 0, result
    code, result = cli(config, str(both))
    assert sorted(r["artifactType"] for r in result["verifierReports"]) == sorted([SIG, BUNDLE])
    code, result = cli(config, str(attestation))
    assert code == 1, result
    # An attestation is not a signature: with only an attestation, the image has no signature to verify.
    assert result["reason"] == "no-signatures"
    assert "attestation https://slsa.dev/provenance/v1" in result["message"]


def test_old_cosign_index_entries_with_empty_artifact_type(docker_registry: str, tmp_path: Path) -> None:
    # cosign#4422: the tag-schema index entry says oci.empty; the manifest itself is a bundle.
    fake = FakeSigstore()
    fake.write_trusted_root(tmp_path / "root.json")
    store = OCIRegistryStore()
    image = push_image(store, f"{docker_registry}/oldcosign{tmp_path.name[-6:]}/app:v1")
    sign_image(store, image, fake.signer(IDENTITY, ISSUER), SignOptions(format="bundle"))
    assert image.digest
    tag = Reference(registry=image.registry, repository=image.repository, tag=referrers_tag(image.digest))
    index = json.loads(store.fetch_manifest(image, store.resolve(tag).digest))
    for entry in index["manifests"]:
        entry["artifactType"] = OCI_EMPTY
        entry.pop("annotations", None)
    store.push_manifest(image, json.dumps(index).encode(), OCI_IMAGE_INDEX, tag=tag.tag)
    policy = TrustPolicy(
        name="p",
        scopes=["*"],
        keyless=Keyless(certificate_identity=IDENTITY, certificate_oidc_issuer=ISSUER),
        trusted_root=str(tmp_path / "root.json"),
    )
    reader = OCIRegistryStore(RegistryOptions(cache_enabled=False))
    assert Executor(reader, [CosignVerifier([policy], artifact_types=[BUNDLE])]).verify(image).is_success


def test_bundles_through_the_referrers_api(tmp_path: Path) -> None:
    fake = FakeSigstore()
    fake.write_trusted_root(tmp_path / "root.json")
    with RegistryServer() as server:
        store = OCIRegistryStore()
        image = push_image(store, f"{server.registry}/team/app:v1")
        sign_image(store, image, fake.signer(IDENTITY, ISSUER), SignOptions(format="bundle"))
        policy = TrustPolicy(
            name="p",
            scopes=["*"],
            keyless=Keyless(certificate_identity=IDENTITY, certificate_oidc_issuer=ISSUER),
            trusted_root=str(tmp_path / "root.json"),
        )
        reader = OCIRegistryStore()
        result = Executor(reader, [CosignVerifier([policy], artifact_types=[BUNDLE])]).verify(image)
        assert result.is_success, result.to_dict()
        assert reader.referrers_mode(server.registry) == "api"
        assert server.count("GET", "/referrers/") >= 1
        assert server.count("GET", r"/manifests/sha256-[0-9a-f]{64}$") == 0  # no tag-schema lookups
