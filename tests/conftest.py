from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cosign_verify import MemoryStore
from cosign_verify.testing import KeyPair

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "docs" / "examples"


@pytest.fixture
def example_config_path() -> Path:
    return EXAMPLES / "ratify-cli-config.json"


@pytest.fixture(scope="session")
def key_pair(cosign_key_pair: Callable[..., KeyPair]) -> Callable[..., KeyPair]:
    """``key_pair("rsa-4096", n=0)``: the public plugin's session-cached key pairs, by a shorter name."""
    return cosign_key_pair


@pytest.fixture
def store(cosign_memory_store: MemoryStore) -> MemoryStore:
    return cosign_memory_store
