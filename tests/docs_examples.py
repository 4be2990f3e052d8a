"""The shell examples in the README and docs/, run as written against a sandbox, their output compared.

A ``console`` block holds commands (``$ ...``, continued with a trailing
backslash) each followed by the output it prints (stdout and stderr as a
terminal shows them). In expected output, ``...`` inside a line matches any
text and a line of only ``...`` matches any number of lines.

The sandbox is a directory and a registry: the examples' host
``registry.example`` is the sandbox registry's address (swapped into every
command, and back in every output); ``registry.example/org/app:v1`` is signed
with ``cosign.pub`` and the annotation ``env=prod``, and attested (SLSA
provenance v1) with the same key, both logged in the sandbox's fake Rekor,
whose ``trusted_root.json`` is there too; ``registry.example/org/release:v1``
is signed keyless by the release workflow of ``github.com/org/app`` (its
certificate says ``refs/tags/v1`` as workflow and source ref), and
``registry.example/org/app:unsigned`` is not signed. ``artifact.txt`` has a
keyless Sigstore bundle, ``artifact.sigstore.json``, by the same workflow.
``config.json`` trusts ``cosign.pub`` for ``registry.example/org/*``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import attrs
from cryptography.hazmat.primitives import serialization

from cosign_verify.mediatypes import COSIGN_SIGNATURE_ARTIFACT_TYPE
from cosign_verify.store import OCIRegistryStore
from cosign_verify.testing import (
    AttestOptions,
    FakeSigstore,
    RegistryServer,
    SignOptions,
    attest_image,
    generate_key_pair,
    push_image,
    sign_bytes,
    sign_image,
)

HOST = "registry.example"
WORKFLOW = "https://github.com/org/app/.github/workflows/release.yml@refs/tags/v1"
ACTIONS = "https://token.actions.githubusercontent.com"


@attrs.frozen
class Example:
    """One command of a console block and the output the page shows for it."""

    source: str  # "README.md:42"
    command: str
    expected: tuple[str, ...]


def console_examples(path: Path, root: Path) -> Iterator[Example]:
    """The commands of every ``console`` block in ``path``, with their expected output."""
    lines = path.read_text().splitlines()
    index = 0
    while index < len(lines):
        if lines[index].strip() != "```console":
            index += 1
            continue
        index += 1
        command: list[str] = []
        expected: list[str] = []
        start = index
        while index < len(lines) and lines[index].strip() != "```":
            line = lines[index]
            if line.startswith("$ ") and not (command and command[-1].endswith("\\")):
                if command:
                    yield Example(
                        f"{path.relative_to(root)}:{start + 1}", "\n".join(command), tuple(expected)
                    )
                command, expected, start = [line[2:]], [], index
            elif command and command[-1].endswith("\\"):
                command.append(line)
            else:
                expected.append(line)
            index += 1
        if command:
            yield Example(f"{path.relative_to(root)}:{start + 1}", "\n".join(command), tuple(expected))
        index += 1


@attrs.frozen
class Snippet:
    """One fenced block of a page: its language and code."""

    source: str
    language: str
    code: str


def snippets(path: Path, root: Path, languages: tuple[str, ...]) -> Iterator[Snippet]:
    """The fenced blocks of ``path`` in ``languages``, each named by its page and line."""
    lines = path.read_text().splitlines()
    index = 0
    while index < len(lines):
        fence = lines[index].strip()
        if fence.startswith("```") and fence[3:] in languages:
            start, body = index + 1, []
            index += 1
            while index < len(lines) and lines[index].strip() != "```":
                body.append(lines[index])
                index += 1
            yield Snippet(f"{path.relative_to(root)}:{start}", fence[3:], "\n".join(body) + "\n")
        index += 1


def matches(expected: tuple[str, ...], actual: list[str]) -> bool:
    """Whether ``actual`` lines fit ``expected`` (``...`` wildcards)."""
    if not expected:
        return not actual
    head, rest = expected[0], expected[1:]
    if head.strip() == "...":
        return any(matches(rest, actual[skip:]) for skip in range(len(actual) + 1))
    if not actual:
        return False
    pattern = ".*".join(re.escape(part) for part in head.rstrip().split("..."))
    return re.fullmatch(pattern, actual[0].rstrip()) is not None and matches(rest, actual[1:])


@attrs.frozen
class Sandbox:
    directory: Path
    registry: str

    def run(self, command: str) -> list[str]:
        """The command's output lines (stdout and stderr together), with the registry named as in the docs."""
        env = {
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "DOCKER_CONFIG": str(self.directory / ".docker"),
            "COLUMNS": "100",
        }
        result = subprocess.run(
            ["bash", "-c", command.replace(HOST, self.registry)],
            cwd=self.directory,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=120,
            check=False,
        )
        return result.stdout.replace(self.registry, HOST).splitlines()


def _config(registry: str) -> dict[str, object]:
    return {
        "store": {"version": "1.0.0", "plugins": [{"name": "oras", "cosignEnabled": True}]},
        "policy": {
            "version": "1.0.0",
            "plugin": {"name": "configPolicy", "artifactVerificationPolicies": {"default": "any"}},
        },
        "verifier": {
            "version": "1.0.0",
            "plugins": [
                {
                    "name": "cosign",
                    "artifactTypes": COSIGN_SIGNATURE_ARTIFACT_TYPE,
                    "trustedRoot": "trusted_root.json",
                    "trustPolicies": [
                        {"name": "org", "scopes": [f"{registry}/org/*"], "keys": [{"file": "cosign.pub"}]}
                    ],
                }
            ],
        },
    }


@contextmanager
def sandbox(directory: Path) -> Iterator[Sandbox]:
    """The world the examples are written for (see the module's docstring)."""
    sigstore = FakeSigstore()
    key = generate_key_pair("ecdsa-p256")
    (directory / "cosign.pub").write_text(key.public_pem())
    sigstore.write_trusted_root(directory / "trusted_root.json")
    artifact = b"a release artifact\n"
    (directory / "artifact.txt").write_bytes(artifact)
    certificate, private_key = sigstore.issue(WORKFLOW, ACTIONS)
    signature = sign_bytes(private_key, artifact)
    record = sigstore.log(artifact, signature, certificate.public_bytes(serialization.Encoding.PEM))
    bundle = sigstore.sigstore_bundle(artifact, signature, certificate, record)
    (directory / "artifact.sigstore.json").write_text(json.dumps(bundle, indent=2))
    with RegistryServer() as server:
        store = OCIRegistryStore()
        app = push_image(store, f"{server.registry}/org/app:v1")
        sign_image(store, app, key, SignOptions(rekor=sigstore, payload_annotations={"env": "prod"}))
        provenance = {"buildDefinition": {"buildType": "https://example.com/ci"}}
        attest_image(
            store, app, key, provenance, AttestOptions(predicate_type="slsaprovenance1", rekor=sigstore)
        )
        push_image(store, f"{server.registry}/org/app:unsigned")
        release = push_image(store, f"{server.registry}/org/release:v1")
        claims = {"certificateGithubWorkflowRef": "refs/tags/v1", "sourceRepositoryRef": "refs/tags/v1"}
        sign_image(store, release, sigstore.signer(WORKFLOW, ACTIONS, extensions=claims))
        (directory / "config.json").write_text(json.dumps(_config(server.registry), indent=2))
        (directory / "images.txt").write_text(
            f"{server.registry}/org/app:v1\n{server.registry}/org/release:v1\n"
        )
        (directory / "docs").symlink_to(Path(__file__).resolve().parent.parent / "docs")
        yield Sandbox(directory, server.registry)
