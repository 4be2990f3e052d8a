"""Spellings of a registry host cannot move a subject out of its trust policy: the CLI against docker-registry.

A strict policy trusts key A for ``HOST/prod/*`` and a global policy trusts
key B. Each image is signed with key B only and must fail under every
spelling of HOST (the report naming the strict policy); images signed with
key A pass under every spelling, which shows the spelled subjects really
reach the registry.
"""

from __future__ import annotations

import io
import json
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cosign_verify import FailureReason
from cosign_verify.cli import main
from cosign_verify.mediatypes import COSIGN_SIGNATURE_ARTIFACT_TYPE
from cosign_verify.store import OCIRegistryStore, RegistryOptions
from cosign_verify.testing import KeyPair, push_image, sign_image
from cosign_verify.testing.docker_registry import DockerRegistryProcess

from ..conftest import verify_as_cli
from .conftest import IN_CI, _require_docker_registry
from .tls import local_non_loopback_address, self_signed

pytestmark = pytest.mark.integration


def write_config(path: Path, strict_scope: str, a: KeyPair, b: KeyPair) -> Path:
    config = {
        "store": {"plugins": [{"name": "oras", "cosignEnabled": True}]},
        "verifier": {
            "plugins": [
                {
                    "name": "cosign",
                    "artifactTypes": COSIGN_SIGNATURE_ARTIFACT_TYPE,
                    "trustPolicies": [
                        {
                            "name": "strict",
                            "scopes": [strict_scope],
                            "keys": [{"provider": "a"}],
                            "tLogVerify": False,
                        },
                        {"name": "global", "scopes": ["*"], "keys": [{"provider": "b"}], "tLogVerify": False},
                    ],
                }
            ]
        },
        "keyManagementProviders": [
            {"name": "a", "type": "inline", "parameters": {"contentType": "key", "value": a.public_pem()}},
            {"name": "b", "type": "inline", "parameters": {"contentType": "key", "value": b.public_pem()}},
        ],
    }
    path.write_text(json.dumps(config))
    return path


def verify(config: Path, subject: str) -> tuple[int, dict[str, Any]]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["verify", "--config", str(config), "--subject", subject], out=out, err=err)
    assert "Traceback" not in err.getvalue()
    return code, json.loads(out.getvalue())


def check_spellings(
    tmp_path: Path,
    store: OCIRegistryStore,
    home: str,
    strict_scope: str,
    spellings: list[str],
    key_pair: Callable[..., KeyPair],
) -> None:
    a, b = key_pair("ecdsa-p256", 0), key_pair("ecdsa-p256", 1)
    config = write_config(tmp_path / "config.json", strict_scope, a, b)
    repo = f"prod/app{uuid.uuid4().hex[:8]}"
    only_b = push_image(store, f"{home}/{repo}:only-b")
    sign_image(store, only_b, b)
    with_a = push_image(store, f"{home}/{repo}:with-a")
    sign_image(store, with_a, a)
    for spelling in [home, *spellings]:
        for subject in (f"{spelling}/{repo}@{only_b.digest}", f"{spelling}/{repo}:only-b"):
            code, result = verify(config, subject)
            assert code == 1, (subject, result)
            [report] = result["verifierReports"]
            assert report["extensions"]["trustPolicy"] == "strict", (subject, report)
            # The same verification through the API, which carries the reasons: key 'a' refused it.
            [checked] = verify_as_cli(config, subject).verifier_reports
            assert checked.reason is FailureReason.NO_VALID_SIGNATURE, subject
            [check] = checked.signatures[0].verifications
            assert check.reason is FailureReason.SIGNATURE_INVALID, subject
            assert check.key_information is not None and check.key_information.provider == "a", subject
        code, result = verify(config, f"{spelling}/{repo}@{with_a.digest}")
        assert code == 0, (spelling, result)
        assert result["verifierReports"][0]["extensions"]["trustPolicy"] == "strict"


def test_ipv4_and_port_spellings(
    docker_registry: str, tmp_path: Path, key_pair: Callable[..., KeyPair]
) -> None:
    port = docker_registry.rpartition(":")[2]
    spellings = [
        f"127.1:{port}",
        f"127.000.000.001:{port}",
        f"0x7f.0.0.1:{port}",
        f"2130706433:{port}",
        f"[::ffff:127.0.0.1]:{port}",
        f"127.0.0.1:0{port}",
    ]
    check_spellings(
        tmp_path, OCIRegistryStore(), docker_registry, f"{docker_registry}/prod/*", spellings, key_pair
    )


def test_host_name_case(docker_registry: str, tmp_path: Path, key_pair: Callable[..., KeyPair]) -> None:
    port = docker_registry.rpartition(":")[2]
    home = f"localhost:{port}"
    spellings = [f"LOCALHOST:{port}", f"LocalHost:{port}"]
    check_spellings(tmp_path, OCIRegistryStore(), home, f"{home}/prod/*", spellings, key_pair)


@pytest.fixture(scope="module")
def ipv6_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _require_docker_registry()
    if not socket.has_ipv6:
        _unavailable("this Python has no IPv6")
    with DockerRegistryProcess(tmp_path_factory.mktemp("docker-v6"), host="::1") as registry:
        yield registry.registry


def test_ipv6_literal_spellings(ipv6_registry: str, tmp_path: Path, key_pair: Callable[..., KeyPair]) -> None:
    port = ipv6_registry.rpartition(":")[2]
    spellings = [f"[0:0:0:0:0:0:0:1]:{port}", f"[::0001]:{port}", f"[0000::1]:{port}"]
    check_spellings(tmp_path, OCIRegistryStore(), ipv6_registry, f"[::1]:{port}/prod/*", spellings, key_pair)


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason}; CI must run this test")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def https_registry_on_443(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """docker-registry over HTTPS on port 443 of this machine's own non-loopback address (needs root)."""
    _require_docker_registry()
    address = local_non_loopback_address()
    if address is None:
        _unavailable("no non-loopback IPv4 address to serve HTTPS on port 443 from")
    assert address is not None
    if os.geteuid() != 0:
        _unavailable("serving on port 443 needs root (CI runs as root)")
    directory = tmp_path_factory.mktemp("docker-443")
    cert, key = self_signed(directory, address)
    with DockerRegistryProcess(directory, host=address, port=443, tls=(cert, key)):
        yield address, cert


def test_default_https_port_spellings(
    https_registry_on_443: tuple[str, Path],
    tmp_path: Path,
    key_pair: Callable[..., KeyPair],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    address, cert = https_registry_on_443
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))  # what the CLI's store trusts
    store = OCIRegistryStore(RegistryOptions(ca_bundle=str(cert)))
    spellings = [f"{address}:443", f"{address}:0443"]
    check_spellings(tmp_path, store, address, f"{address}:443/prod/*", spellings, key_pair)
