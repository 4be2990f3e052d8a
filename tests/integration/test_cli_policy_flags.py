"""cosign's -a, claim flags, COSIGN_REPOSITORY and verify-attestation, through ``python -m cosign_verify``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from cosign_verify.store import OCIRegistryStore
from cosign_verify.testing import (
    AttestOptions,
    FakeSigstore,
    KeyPair,
    SignOptions,
    attest_image,
    push_image,
    sign_image,
)

from .test_cli_flags import cli, pinned

pytestmark = pytest.mark.integration

WORKFLOW = "https://github.com/org/app/.github/workflows/release.yml@refs/tags/v1"
ACTIONS = "https://token.actions.githubusercontent.com"
KEYLESS = (
    "--certificate-identity",
    WORKFLOW,
    "--certificate-oidc-issuer",
    ACTIONS,
    "--trusted-root",
    "root.json",
)


@pytest.fixture
def base(docker_registry: str, tmp_path: Path) -> str:
    return f"{docker_registry}/policyflags{tmp_path.name[-8:]}"


def test_annotations_flag(base: str, tmp_path: Path, key_pair: Callable[..., KeyPair]) -> None:
    pair = key_pair()
    (tmp_path / "k.pub").write_text(pair.public_pem())
    image = push_image(OCIRegistryStore(), f"{base}/app:v1")
    sign_image(OCIRegistryStore(), image, pair, SignOptions(payload_annotations={"env": "prod"}))
    flags = ("verify", pinned(image), "--key", "k.pub", "--insecure-ignore-tlog", "-q", "--output", "text")
    assert cli(*flags, "-a", "env=prod", cwd=tmp_path).returncode == 0
    wrong = cli(*flags, "--annotations", "env=dev", cwd=tmp_path)
    assert wrong.returncode == 1 and "payload annotation 'env' is 'prod', not 'dev'" in wrong.stdout
    bad = cli(*flags, "-a", "env", cwd=tmp_path)
    assert bad.returncode == 2 and "--annotations 'env': write KEY=VALUE" in bad.stderr


def test_claim_flags(base: str, tmp_path: Path) -> None:
    sigstore = FakeSigstore()
    sigstore.write_trusted_root(tmp_path / "root.json")
    image = push_image(OCIRegistryStore(), f"{base}/claims:v1")
    claims = {
        "certificateGithubWorkflowRef": "refs/tags/v1",
        "sourceRepositoryURI": "https://github.com/org/app",
    }
    sign_image(OCIRegistryStore(), image, sigstore.signer(WORKFLOW, ACTIONS, extensions=claims))
    flags = ("verify", pinned(image), *KEYLESS, "--output", "text")
    passed = cli(
        *flags, "--certificate-github-workflow-ref", "refs/tags/v1",
        "--certificate-extension", "sourceRepositoryURI=https://github.com/org/app", cwd=tmp_path,
    )  # fmt: skip
    assert passed.returncode == 0, passed.stdout
    wrong = cli(*flags, "--certificate-github-workflow-ref", "refs/heads/main", cwd=tmp_path)
    assert wrong.returncode == 1 and "certificateGithubWorkflowRef is 'refs/tags/v1'" in wrong.stdout
    unknown = cli(*flags, "--certificate-extension", "sourceRepoURI=x", cwd=tmp_path)
    assert unknown.returncode == 2 and "did you mean 'sourceRepositoryURI'" in unknown.stderr


def test_cosign_repository_from_the_environment(
    base: str, tmp_path: Path, key_pair: Callable[..., KeyPair]
) -> None:
    pair = key_pair()
    (tmp_path / "k.pub").write_text(pair.public_pem())
    image = push_image(OCIRegistryStore(), f"{base}/app:v1")
    sign_image(OCIRegistryStore(), image, pair, SignOptions(signature_repository=f"{base}/signatures"))
    argv = [sys.executable, "-m", "cosign_verify", "verify", pinned(image), "--key", "k.pub",
            "--insecure-ignore-tlog", "-q", "--output", "text"]  # fmt: skip
    env = {**os.environ, "COSIGN_REPOSITORY": f"{base}/signatures", "DOCKER_CONFIG": str(tmp_path)}
    found = subprocess.run(
        argv, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60, check=False
    )
    assert found.returncode == 0, found.stdout + found.stderr
    assert cli(*argv[3:], cwd=tmp_path).returncode == 1  # without it, no signature beside the image


def test_verify_attestation(base: str, tmp_path: Path, key_pair: Callable[..., KeyPair]) -> None:
    pair = key_pair()
    (tmp_path / "k.pub").write_text(pair.public_pem())
    image = push_image(OCIRegistryStore(), f"{base}/attested:v1")
    attest_image(
        OCIRegistryStore(),
        image,
        pair,
        {"builder": {"id": "ci"}},
        AttestOptions(predicate_type="slsaprovenance1"),
    )
    flags = ("verify-attestation", pinned(image), "--key", "k.pub", "--insecure-ignore-tlog", "-q")
    passed = cli(*flags, "--type", "slsaprovenance1", cwd=tmp_path)
    assert passed.returncode == 0, passed.stdout
    report = json.loads(passed.stdout)["verifierReports"][0]
    statement = report["extensions"]["signatures"][0]["verifications"][0]["statement"]
    assert statement["predicate"] == {"builder": {"id": "ci"}} and report["type"] == "cosign-attestation"
    wrong = cli(*flags, "--type", "cyclonedx", "--output", "text", cwd=tmp_path)
    assert wrong.returncode == 1
    assert "no attestations found for" in wrong.stdout
    assert "cosign attestations (https://slsa.dev/provenance/v1)" in wrong.stdout
    unknown = cli(*flags, "--type", "sbom", cwd=tmp_path)
    assert unknown.returncode == 2 and "unknown predicate type 'sbom'" in unknown.stderr


def test_verify_attestation_never_takes_a_signature_for_an_attestation(
    base: str, tmp_path: Path, key_pair: Callable[..., KeyPair]
) -> None:
    """An empty --type (an unset shell variable) is an error, not a signature check."""
    pair = key_pair()
    (tmp_path / "k.pub").write_text(pair.public_pem())
    image = push_image(OCIRegistryStore(), f"{base}/signed-only:v1")
    sign_image(OCIRegistryStore(), image, pair)
    flags = ("verify-attestation", pinned(image), "--key", "k.pub", "--insecure-ignore-tlog", "-q")
    empty = cli(*flags, "--type", "", cwd=tmp_path)
    assert empty.returncode == 2 and "argument --type: empty" in empty.stderr, empty.stderr
    default = cli(*flags, "--output", "text", cwd=tmp_path)  # --type custom
    assert default.returncode == 1 and "no attestations found for" in default.stdout, default.stdout
    assert (
        cli(
            "verify", pinned(image), "--key", "k.pub", "--insecure-ignore-tlog", "-q", cwd=tmp_path
        ).returncode
        == 0
    )


def test_an_attestation_verifier_in_a_configuration(
    base: str, tmp_path: Path, key_pair: Callable[..., KeyPair]
) -> None:
    pair = key_pair()
    (tmp_path / "k.pub").write_text(pair.public_pem())
    image = push_image(OCIRegistryStore(), f"{base}/configured:v1")
    sign_image(OCIRegistryStore(), image, pair)
    attest_image(OCIRegistryStore(), image, pair, {}, AttestOptions(predicate_type="spdxjson"))
    policy = {"name": "team", "scopes": [f"{base}/*"], "keys": [{"file": "k.pub"}], "tLogVerify": False}
    config = {
        "store": {"plugins": [{"name": "oras", "cosignEnabled": True}]},
        # attestations are required: a type the policy names must have a passing report
        "policy": {
            "plugin": {
                "name": "configPolicy",
                "artifactVerificationPolicies": {"application/vnd.cosign-verify.attestation.v1+json": "any"},
            }
        },
        "verifier": {
            "plugins": [
                {
                    "name": "signatures",
                    "type": "cosign",
                    "artifactTypes": "application/vnd.dev.cosign.artifact.sig.v1+json",
                    "trustPolicies": [policy],
                },
                {
                    "name": "sboms",
                    "type": "cosign-attestation",
                    "artifactTypes": "application/vnd.cosign-verify.attestation.v1+json",
                    "predicateTypes": ["spdxjson"],
                    "trustPolicies": [policy],
                },
            ]
        },
    }
    (tmp_path / "config.json").write_text(json.dumps(config))
    result = cli("verify", pinned(image), "--config", "config.json", "-q", cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    assert {r["name"] for r in json.loads(result.stdout)["verifierReports"]} == {"signatures", "sboms"}
    config["verifier"]["plugins"][1]["predicateTypes"] = ["cyclonedx"]  # type: ignore[index]
    (tmp_path / "config.json").write_text(json.dumps(config))
    missing = cli("verify", pinned(image), "--config", "config.json", "-q", cwd=tmp_path)
    assert missing.returncode == 1
    assert (
        "policy requires artifact type 'application/vnd.cosign-verify.attestation.v1+json'" in missing.stdout
    )
