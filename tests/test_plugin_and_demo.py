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
    out = io.StringIO()
    assert main(["demo"], out=out, err=io.StringIO()) == 0
    text = out.getvalue()
    assert "every outcome is as expected" in text
    assert "dev/cross:v1" in text and "signature does not verify with key 'dev-keys'" in text
    out = io.StringIO()
    assert main(["demo", "--output", "json"], out=out, err=io.StringIO()) == 0
    cases = json.loads(out.getvalue().split("\n\n")[0])
    assert [c["isSuccess"] for c in cases] == [True, True, False, False]
