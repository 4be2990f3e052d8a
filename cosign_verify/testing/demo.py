"""``cosign-verify demo``: the multi-namespace walkthrough on an embedded default.

An in-process registry gets images in a ``dev`` and a ``test`` namespace,
each signed with its own key and logged in a fake Rekor; a configuration in
Ratify's CLI format trusts the dev key for ``.../dev*`` and the test key for
``.../test*``. A cross-signed image and an unsigned one must fail. The demo's
files (the configuration, both public keys, the fake Sigstore's trusted root)
are written to a temporary directory, so that what it shows is what it ran.
The demo lives in the testing toolkit because it signs; the library itself
never does.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs

from ..config import load_config
from ..engine import Executor
from ..mediatypes import COSIGN_SIGNATURE_ARTIFACT_TYPE
from ..report import VerificationResult
from ..store.registry import OCIRegistryStore
from .fake_sigstore import FakeSigstore
from .keys import generate_key_pair
from .registry import RegistryServer
from .signer import SignOptions, push_image, sign_image

CONFIG_FILE = "config.json"
TRUSTED_ROOT_FILE = "trusted_root.json"


@attrs.frozen
class DemoImage:
    """One image of the walkthrough: the outcome it must have, and the key its trust policy trusts."""

    reference: str
    story: str
    expected: bool
    key_file: str

    def command(self, directory: Path | None = None) -> list[str]:
        """The ``cosign-verify`` arguments that verify this image without the configuration.

        File names are relative to the demo's directory, or under ``directory`` when given.
        """
        key, root = (
            str(directory / name) if directory else name for name in (self.key_file, TRUSTED_ROOT_FILE)
        )
        return ["verify", self.reference, "--key", key, "--trusted-root", root]


@attrs.frozen
class Demo:
    """A running walkthrough: its registry's images and the directory holding its files."""

    directory: Path
    images: tuple[DemoImage, ...]

    @property
    def config(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.directory / CONFIG_FILE).read_text())
        return data

    def path(self, name: str) -> str:
        """A file of the demo (a key, the trusted root, the configuration), by absolute path."""
        return str(self.directory / name)


@attrs.frozen
class DemoCase:
    """One image of the walkthrough and the outcome it must have."""

    reference: str
    story: str
    expected: bool
    result: VerificationResult


def _config(base: str) -> dict[str, Any]:
    def policy(name: str) -> dict[str, Any]:
        return {
            "name": name,
            "scopes": [f"{base}/{name}*"],
            "keys": [{"file": f"{name}.pub"}],
            "trustedRoot": TRUSTED_ROOT_FILE,
        }

    return {
        "store": {"version": "1.0.0", "plugins": [{"name": "oras", "cosignEnabled": True}]},
        "policy": {
            "version": "1.0.0",
            "plugin": {
                "name": "configPolicy",
                "artifactVerificationPolicies": {COSIGN_SIGNATURE_ARTIFACT_TYPE: "any"},
            },
        },
        "verifier": {
            "version": "1.0.0",
            "plugins": [
                {
                    "name": "verifier-cosign",
                    "type": "cosign",
                    "artifactTypes": COSIGN_SIGNATURE_ARTIFACT_TYPE,
                    "trustPolicies": [policy("dev"), policy("test")],
                }
            ],
        },
    }


@contextmanager
def demo_environment() -> Iterator[Demo]:
    """The walkthrough's registry (running while the block runs), its signed images and its files."""
    sigstore = FakeSigstore()
    with (
        tempfile.TemporaryDirectory(prefix="cosign-verify-demo-") as temporary,
        RegistryServer(referrers_api=True) as server,
    ):
        directory = Path(temporary)
        base = f"{server.registry}/demo"
        store = OCIRegistryStore()
        keys = {"dev": generate_key_pair("ecdsa-p256"), "test": generate_key_pair("ecdsa-p256")}
        for name, pair in keys.items():
            (directory / f"{name}.pub").write_text(pair.public_pem())
        (directory / TRUSTED_ROOT_FILE).write_text(sigstore.trusted_root_json())
        (directory / CONFIG_FILE).write_text(json.dumps(_config(base), indent=2) + "\n")
        images = {
            "dev": push_image(store, f"{base}/dev/app:v1"),
            "test": push_image(store, f"{base}/test/app:v1"),
            "cross": push_image(store, f"{base}/dev/cross:v1"),
            "unsigned": push_image(store, f"{base}/test/unsigned:v1"),
        }
        sign_image(store, images["dev"], keys["dev"], SignOptions(rekor=sigstore))
        sign_image(store, images["test"], keys["test"], SignOptions(layout="referrer", rekor=sigstore))
        sign_image(store, images["cross"], keys["test"], SignOptions(rekor=sigstore))
        yield Demo(
            directory=directory,
            images=(
                DemoImage(str(images["dev"]), "signed with the dev key (.sig tag)", True, "dev.pub"),
                DemoImage(
                    str(images["test"]), "signed with the test key (OCI 1.1 referrer)", True, "test.pub"
                ),
                DemoImage(str(images["cross"]), "in dev, but signed with the test key", False, "dev.pub"),
                DemoImage(str(images["unsigned"]), "in test, never signed", False, "test.pub"),
            ),
        )


def run_demo() -> list[DemoCase]:
    """Run the walkthrough against a fresh in-process registry; returns every case with its result."""
    with demo_environment() as demo:
        executor = Executor.from_config(load_config(demo.path(CONFIG_FILE)))
        return [
            DemoCase(image.reference, image.story, image.expected, executor.verify(image.reference))
            for image in demo.images
        ]
