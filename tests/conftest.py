from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from cosign_verify import FailureReason, MemoryStore
from cosign_verify._internal.failure import Failure
from cosign_verify.testing import KeyPair
from cosign_verify.testing.docker_registry import free_port

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "docs" / "examples"


@contextmanager
def fails_with(reason: FailureReason, match: str | None = None) -> Iterator[None]:
    """The block raises a :class:`Failure` with ``reason`` (and, where given, a message matching ``match``)."""
    with pytest.raises(Failure, match=match) as info:
        yield
    assert info.value.reason is reason, f"{info.value.reason} is not {reason}: {info.value}"


def unreachable_url() -> str:
    """An http URL on loopback where nothing listens (a Rekor that cannot be reached)."""
    return f"http://127.0.0.1:{free_port()}"


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
