from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cosign_verify import MemoryStore
from cosign_verify.testing import KeyPair, generate_key_pair

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "docs" / "examples"


@pytest.fixture
def example_config_path() -> Path:
    return EXAMPLES / "ratify-cli-config.json"


_KEYS: dict[tuple[str, int], KeyPair] = {}


@pytest.fixture(scope="session")
def key_pair() -> Callable[..., KeyPair]:
    """``key_pair("rsa-4096", n=0)``: a key pair cached for the session (RSA generation is slow)."""

    def get(algorithm: str = "ecdsa-p256", n: int = 0) -> KeyPair:
        if (algorithm, n) not in _KEYS:
            _KEYS[algorithm, n] = generate_key_pair(algorithm)
        return _KEYS[algorithm, n]

    return get


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()
