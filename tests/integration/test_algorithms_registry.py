"""Every key type as every signer signs it, end to end against docker-registry (no referrers API: tag schema)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from cosign_verify import FailureReason, OCIRegistryStore, TrustedRoot
from cosign_verify.testing import FakeSigstore, KeyPair, push_image

from ..signer_matrix import CASES, Case, only_check, run, sign_as, verifier

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def fake() -> FakeSigstore:
    return FakeSigstore()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_every_signer_against_docker_registry(
    case: Case, docker_registry: str, fake: FakeSigstore, key_pair: Callable[..., KeyPair]
) -> None:
    root = TrustedRoot.from_json(fake.trusted_root_json())
    store = OCIRegistryStore()
    pair = key_pair(case.key_type)
    base = f"{docker_registry}/algorithms/{case.id}"
    image = push_image(store, f"{base}:v1")
    sign_as(store, image, pair, case, fake)
    result = run(OCIRegistryStore(), image, verifier(pair, root, f"{docker_registry}/algorithms/*"))
    assert result.is_success, result.to_dict()
    assert only_check(result).algorithm == case.algorithm

    wrong = run(OCIRegistryStore(), image, verifier(key_pair(case.key_type, 1), root, f"{docker_registry}/*"))
    assert not wrong.is_success
    assert only_check(wrong).reason is FailureReason.SIGNATURE_INVALID
