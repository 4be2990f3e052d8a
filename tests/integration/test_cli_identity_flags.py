"""cosign's identity flags and ``verify-bundle`` through ``python -m cosign_verify``, signed by the fake Sigstore."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from cosign_verify.store import OCIRegistryStore
from cosign_verify.testing import FakeSigstore, KeyPair, push_image, sign_bytes, sign_image

from .test_cli_flags import cli, pinned

pytestmark = pytest.mark.integration

WORKFLOW = "https://github.com/org/app/.github/workflows/release.yml@refs/tags/v1"
ACTIONS = "https://token.actions.githubusercontent.com"


@pytest.fixture
def signed(docker_registry: str, tmp_path: Path) -> str:
    """An image signed keyless as WORKFLOW; the fake Sigstore's trusted root in tmp_path/root.json."""
    sigstore = FakeSigstore()
    sigstore.write_trusted_root(tmp_path / "root.json")
    store = OCIRegistryStore()
    image = push_image(store, f"{docker_registry}/idflags{tmp_path.name[-8:]}/app:v1")
    sign_image(store, image, sigstore.signer(WORKFLOW, ACTIONS))
    return pinned(image)


@pytest.mark.parametrize(
    "identity",
    [
        ("--certificate-identity", WORKFLOW, "--certificate-oidc-issuer", ACTIONS),
        (
            "--certificate-identity-regexp", r"^https://github\.com/org/.+/release\.yml@refs/tags/v\d+$",
            "--certificate-oidc-issuer-regexp", r"https://token\.actions\..*",
        ),
    ],
    ids=["exact", "regexp"],
)  # fmt: skip
def test_identity_flags_pass(signed: str, tmp_path: Path, identity: tuple[str, ...]) -> None:
    result = cli("verify", signed, *identity, "--trusted-root", "root.json", cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    report = json.loads(result.stdout)
    assert report["subject"] == signed
    summary = report["verifierReports"][0]["extensions"]["signatures"][0]["verifications"][0]["summary"]
    assert any(f"identity '{WORKFLOW}' matched" in line for line in summary)


@pytest.mark.parametrize(
    "identity",
    [
        ("--certificate-identity", WORKFLOW.replace("v1", "v2"), "--certificate-oidc-issuer", ACTIONS),
        ("--certificate-identity", WORKFLOW, "--certificate-oidc-issuer", "https://accounts.google.com"),
        # a regexp must match the whole identity, as cosign's does
        ("--certificate-identity-regexp", "github.com/org", "--certificate-oidc-issuer", ACTIONS),
    ],
    ids=["other-identity", "other-issuer", "partial-regexp"],
)
def test_identity_flags_fail(signed: str, tmp_path: Path, identity: tuple[str, ...]) -> None:
    result = cli("verify", signed, *identity, "--trusted-root", "root.json", "--output", "text", cwd=tmp_path)
    assert result.returncode == 1
    assert "not verified under trust policy 'command-line'" in result.stdout


def test_without_the_private_trusted_root_the_chain_is_refused(signed: str, tmp_path: Path) -> None:
    result = cli(
        "verify", signed, "--certificate-identity", WORKFLOW, "--certificate-oidc-issuer", ACTIONS,
        "--output", "text", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 1  # the public-good root does not know the fake Fulcio


def test_missing_sct_needs_insecure_ignore_sct(docker_registry: str, tmp_path: Path) -> None:
    sigstore = FakeSigstore()
    sigstore.write_trusted_root(tmp_path / "root.json")
    store = OCIRegistryStore()
    image = push_image(store, f"{docker_registry}/nosct{tmp_path.name[-8:]}/app:v1")
    sign_image(store, image, sigstore.signer(WORKFLOW, ACTIONS, sct=False))
    flags = (
        "--certificate-identity",
        WORKFLOW,
        "--certificate-oidc-issuer",
        ACTIONS,
        "--trusted-root",
        "root.json",
    )
    refused = cli("verify", pinned(image), *flags, "--output", "text", cwd=tmp_path)
    assert refused.returncode == 1 and "SCT" in refused.stdout, refused.stdout
    assert cli("verify", pinned(image), *flags, "--insecure-ignore-sct", cwd=tmp_path).returncode == 0


# --- verify-bundle ---------------------------------------------------------------------------


@pytest.fixture
def keyless_bundle(tmp_path: Path) -> Path:
    """artifact.txt, its keyless bundle (bundle.json) and the fake Sigstore's root.json, in tmp_path."""
    sigstore = FakeSigstore()
    sigstore.write_trusted_root(tmp_path / "root.json")
    artifact = b"release artifact\n"
    (tmp_path / "artifact.txt").write_bytes(artifact)
    certificate, key = sigstore.issue(WORKFLOW, ACTIONS)
    signature = sign_bytes(key, artifact)
    record = sigstore.log(artifact, signature, certificate.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "bundle.json").write_text(
        json.dumps(sigstore.sigstore_bundle(artifact, signature, certificate, record))
    )
    return tmp_path / "artifact.txt"


def test_verify_bundle_with_an_identity(keyless_bundle: Path, tmp_path: Path) -> None:
    flags = ("--bundle", "bundle.json", "--trusted-root", "root.json", "--certificate-oidc-issuer", ACTIONS)
    passed = cli("verify-bundle", "artifact.txt", *flags, "--certificate-identity", WORKFLOW, cwd=tmp_path)
    assert passed.returncode == 0, passed.stdout
    assert passed.stdout.startswith("PASS bundle.json for artifact.txt\n")

    digest = "sha256:" + hashlib.sha256(keyless_bundle.read_bytes()).hexdigest()
    as_json = cli(
        "verify-bundle", digest, *flags, "--certificate-identity-regexp", ".*/release.yml@.*", "--output", "json",
        cwd=tmp_path,
    )  # fmt: skip
    assert as_json.returncode == 0
    assert json.loads(as_json.stdout)["isSuccess"] is True

    other = cli(
        "verify-bundle", "artifact.txt", *flags, "--certificate-identity", "someone@else", cwd=tmp_path
    )
    assert other.returncode == 1 and other.stdout.startswith("FAIL bundle.json for artifact.txt")

    keyless_bundle.write_bytes(b"release artifact, changed\n")
    changed = cli("verify-bundle", "artifact.txt", *flags, "--certificate-identity", WORKFLOW, cwd=tmp_path)
    assert changed.returncode == 1


def test_verify_bundle_with_a_key(tmp_path: Path, key_pair: Callable[..., KeyPair]) -> None:
    sigstore, pair, other = FakeSigstore(), key_pair("ecdsa-p256", 0), key_pair("ecdsa-p256", 1)
    sigstore.write_trusted_root(tmp_path / "root.json")
    (tmp_path / "a.pub").write_text(pair.public_pem())
    (tmp_path / "b.pub").write_text(other.public_pem())
    artifact = b"signed with a cosign key"
    (tmp_path / "artifact.bin").write_bytes(artifact)
    signature = pair.sign(artifact)
    record = sigstore.log(artifact, signature, pair.public_pem().encode())
    bundle = sigstore.sigstore_bundle(artifact, signature, None, record, public_key=pair.public_key)
    (tmp_path / "bundle.json").write_text(json.dumps(bundle))
    flags = ("verify-bundle", "artifact.bin", "--bundle", "bundle.json", "--trusted-root", "root.json")
    assert cli(*flags, "--key", "a.pub", cwd=tmp_path).returncode == 0
    wrong = cli(*flags, "--key", "b.pub", cwd=tmp_path)
    assert wrong.returncode == 1 and wrong.stdout.startswith("FAIL")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("artifact.txt", "--bundle", "bundle.json"), "nothing says who signed"),
        (("sha256:abc", "--bundle", "bundle.json", "--key", "k.pub"), "is not a sha256 digest"),
        (("artifact.txt", "--bundle", "missing.json", "--key", "k.pub"), "cannot read bundle"),
        (("artifact.txt", "--key", "k.pub"), "the following arguments are required: --bundle"),
    ],
)
def test_verify_bundle_usage_errors(
    keyless_bundle: Path,
    tmp_path: Path,
    argv: tuple[str, ...],
    message: str,
    key_pair: Callable[..., KeyPair],
) -> None:
    (tmp_path / "k.pub").write_text(key_pair().public_pem())
    result = cli("verify-bundle", *argv, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
