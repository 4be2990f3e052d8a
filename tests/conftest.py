from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

from cosign_verify import Executor, FailureReason, MemoryStore, VerificationResult, load_config
from cosign_verify._internal.failure import Failure
from cosign_verify._internal.memo import forget_everything
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


def cause(result: VerificationResult) -> FailureReason | None:
    """Why ``result`` failed, most specifically: the first failed report's first failed check, else that report, else the result."""
    for report in result.verifier_reports:
        if report.is_success:
            continue
        for signature in report.signatures:
            first = signature.first_error
            if first is not None and first[1] is not None:
                return first[1]
        return report.reason
    return result.reason


def verify_as_cli(
    config: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    subject: str,
    namespace: str | None = None,
) -> VerificationResult:
    """What ``cosign-verify verify --config ... --subject ...`` decides, as the Python result (it has the reasons)."""
    return Executor.from_config(load_config(config)).verify(subject, namespace=namespace)


def unreachable_url() -> str:
    """An http URL on loopback where nothing listens (a Rekor that cannot be reached)."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture(autouse=True)
def _nothing_parsed_yet() -> None:
    """Each test starts as a new process would: no signature parsed yet (the memos are process-wide,
    and a test that plants bad content under a digest another test verified must see the store's bytes)."""
    forget_everything()


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
