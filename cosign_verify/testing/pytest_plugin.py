"""pytest fixtures for testing code that verifies cosign signatures.

Loaded automatically (``pytest11`` entry point) when cosign-verify is installed:

- ``cosign_registry``: a started :class:`RegistryServer` (referrers API on);
- ``cosign_key_pair``: ``cosign_key_pair("ed25519", n=0)``, key pairs cached for the session;
- ``cosign_memory_store``: an empty :class:`~cosign_verify.MemoryStore`;
- ``cosign_signed_image``: ``cosign_signed_image(store, "reg/repo:tag", key=None, layout="tag")``
  pushes an image, signs it and returns ``(reference, key_pair)``.

Imports are deferred so that merely having the plugin installed costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ..reference import Reference
    from ..store.memory import MemoryStore
    from .keys import KeyPair
    from .registry import RegistryServer

_KEYS: dict[tuple[str, int], Any] = {}


@pytest.fixture
def cosign_registry() -> Iterator[RegistryServer]:
    """An in-process OCI registry on a free loopback port, stopped after the test."""
    from .registry import RegistryServer

    with RegistryServer() as server:
        yield server


@pytest.fixture(scope="session")
def cosign_key_pair() -> Callable[..., KeyPair]:
    """A factory of key pairs, cached per ``(algorithm, n)`` for the session."""
    from .keys import generate_key_pair

    def get(algorithm: str = "ecdsa-p256", n: int = 0) -> KeyPair:
        if (algorithm, n) not in _KEYS:
            _KEYS[algorithm, n] = generate_key_pair(algorithm)
        return _KEYS[algorithm, n]  # type: ignore[no-any-return]

    return get


@pytest.fixture
def cosign_memory_store() -> MemoryStore:
    """An empty in-memory store."""
    from ..store.memory import MemoryStore

    return MemoryStore()


@pytest.fixture
def cosign_signed_image(
    cosign_key_pair: Callable[..., KeyPair],
) -> Callable[..., tuple[Reference, KeyPair]]:
    """A factory that pushes a fresh image to a store and signs it as cosign does."""
    from .signer import SignOptions, push_image, sign_image

    def make(
        store: Any, reference: str, key: KeyPair | None = None, layout: str = "tag"
    ) -> tuple[Reference, KeyPair]:
        pair = key if key is not None else cosign_key_pair()
        image = push_image(store, reference)
        sign_image(store, image, pair, SignOptions(layout=layout))  # type: ignore[arg-type]
        return image, pair

    return make
