from __future__ import annotations

import io
import json
from collections.abc import Callable

from cosign_verify import MemoryStore, Reference
from cosign_verify.cli import main
from cosign_verify.store import OCIRegistryStore
from cosign_verify.testing import KeyPair
from cosign_verify.testing.registry import RegistryServer


def test_plugin_fixtures(
    cosign_registry: RegistryServer,
    cosign_memory_store: MemoryStore,
    cosign_key_pair: Callable[..., KeyPair],
    cosign_signed_image: Callable[..., tuple[Reference, KeyPair]],
) -> None:
    assert cosign_key_pair("ed25519") is cosign_key_pair("ed25519")
    image, pair = cosign_signed_image(cosign_memory_store, "r.example/a/b:v1")
    assert image.digest and len(cosign_memory_store.list_referrers(image.with_digest(image.digest))) == 1
    store = OCIRegistryStore()
    remote, _ = cosign_signed_image(store, f"{cosign_registry.registry}/a/b:v1", key=pair, layout="referrer")
    assert remote.digest and len(store.list_referrers(remote.with_digest(remote.digest))) == 1


def test_demo_command() -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(["demo"], out=out, err=err) == 0
    text = out.getvalue()
    assert text.rstrip().endswith("every outcome is as expected")
    assert '"trustedRoot": "trusted_root.json"' in text  # the configuration it used
    assert "dev/cross:v1" in text and "signature does not verify with key 'dev.pub'" in text
    commands = [line for line in text.splitlines() if line.startswith("  $ cosign-verify verify ")]
    assert len(commands) == 4 and all(
        "--key " in c and "--trusted-root trusted_root.json" in c for c in commands
    )
    assert text.count("PASS (exit 0)") == 2 and text.count("FAIL (exit 1)") == 2

    out, err = io.StringIO(), io.StringIO()
    assert main(["demo", "--output", "json"], out=out, err=err) == 0
    demo = json.loads(out.getvalue())  # stdout is one JSON document, nothing else
    assert err.getvalue() == "every outcome is as expected\n"
    assert demo["asExpected"] is True
    assert [c["result"]["isSuccess"] for c in demo["cases"]] == [True, True, False, False]
    assert [c["commandPassed"] for c in demo["cases"]] == [True, True, False, False]
    assert demo["config"]["verifier"]["plugins"][0]["trustPolicies"][0]["name"] == "dev"
