"""The Sigstore client conformance assets (bundle-verify), through verify_bundle, offline.

Each directory passes or fails exactly as its name says (``_fail`` suffix).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cosign_verify import ConfigError, FailureReason, verify_bundle

from .conftest import ROOT

CASES_DIR = ROOT.parent / "shared" / "vectors" / "sigstore-conformance" / "bundle-verify"
if not CASES_DIR.is_dir():
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"{CASES_DIR} is missing; CI must run the conformance tests")
    pytest.skip("../shared/vectors is not present (a user's clone)", allow_module_level=True)

DEFAULT_IDENTITY = (
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
    ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
)
DEFAULT_ISSUER = "https://token.actions.githubusercontent.com"
CASES = sorted(p.name for p in CASES_DIR.iterdir() if p.is_dir())


def read(case: Path, name: str, default: str) -> str:
    path = case / name
    return path.read_text().strip() if path.exists() else default


@pytest.mark.parametrize("name", CASES)
def test_conformance_case(name: str) -> None:
    case = CASES_DIR / name
    artifact = (case / "artifact" if (case / "artifact").exists() else CASES_DIR / "a.txt").read_bytes()
    key = case / "key.pub"
    trusted_root = case / "trusted_root.json" if (case / "trusted_root.json").exists() else None
    uses_key = key.exists() or name.startswith("managed-key")
    expected = not name.endswith("_fail")
    try:
        result = verify_bundle(
            case / "bundle.sigstore.json",
            artifact,
            certificate_identity=None if uses_key else read(case, "identity", DEFAULT_IDENTITY),
            certificate_oidc_issuer=None if uses_key else read(case, "issuer", DEFAULT_ISSUER),
            keys=[key.read_bytes()] if key.exists() else None,
            trusted_root=trusted_root,
        )
    except ConfigError:
        # An unreadable key or trusted root is the caller's error; a conformance client exits non-zero.
        assert not expected, name
        return
    assert result.is_success is expected, result.reasons or result.summary
    assert (result.reason is None) is expected


def test_there_are_seventy_cases() -> None:
    assert len(CASES) == 70


def test_a_rekor_v2_entry_needs_a_log_key_valid_when_it_was_stamped(tmp_path: Path) -> None:
    """A Rekor v2 entry has no SET: the log's key is checked against the RFC 3161 timestamp's time."""
    case = CASES_DIR / "rekor2-happy-path"
    root = json.loads((case / "trusted_root.json").read_text())

    def verified_with_log_valid_until(end: str) -> bool:
        for log in root["tlogs"]:
            if "log2025" in log["baseUrl"]:
                log["publicKey"]["validFor"]["end"] = end
        path = tmp_path / "trusted_root.json"  # rewritten: read again
        path.write_text(json.dumps(root))
        result = verify_bundle(
            case / "bundle.sigstore.json",
            (CASES_DIR / "a.txt").read_bytes(),
            certificate_identity=DEFAULT_IDENTITY,
            certificate_oidc_issuer=DEFAULT_ISSUER,
            trusted_root=path,
        )
        if not result.is_success:
            assert result.reason is FailureReason.TLOG_INVALID, result.reasons
            assert any("was not valid at" in reason for reason in result.reasons), result.reasons
        return result.is_success

    assert verified_with_log_valid_until("2099-01-01T00:00:00Z")
    assert not verified_with_log_valid_until("2025-04-16T00:00:01Z")  # retired before the entry was stamped
