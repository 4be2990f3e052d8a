"""Golden reports: the JSON of every verification in ``golden_cases`` and the conformance decisions, byte for byte.

A change in any message, field or shape fails here. An intended change is
made by regenerating the files (``UPDATE_GOLDEN=1 pytest tests/test_golden.py``)
and reviewing their diff like code.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from cosign_verify import verify_bundle

from .golden_cases import CASES, build, scrub
from .test_conformance import CASES as CONFORMANCE_CASES
from .test_conformance import CASES_DIR, DEFAULT_IDENTITY, DEFAULT_ISSUER, read

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("golden")
    return {name: render(scrub(result, tmp)) for name, result in build(tmp)}


def render(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def check(name: str, text: str) -> None:
    path = GOLDEN / f"{name}.json"
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path.name} is missing: run UPDATE_GOLDEN=1 pytest {__file__}"
    assert text == path.read_text(encoding="utf-8"), f"{name}: report differs from {path}"


@pytest.mark.parametrize("name", list(CASES))
def test_golden_report(name: str, results: dict[str, str]) -> None:
    check(name, results[name])


def test_golden_conformance_decisions() -> None:
    decisions: dict[str, dict[str, Any]] = {}
    for name in CONFORMANCE_CASES:
        case = CASES_DIR / name
        artifact = (case / "artifact" if (case / "artifact").exists() else CASES_DIR / "a.txt").read_bytes()
        key = case / "key.pub"
        uses_key = key.exists() or name.startswith("managed-key")
        try:
            result = verify_bundle(
                case / "bundle.sigstore.json",
                artifact,
                certificate_identity=None if uses_key else read(case, "identity", DEFAULT_IDENTITY),
                certificate_oidc_issuer=None if uses_key else read(case, "issuer", DEFAULT_ISSUER),
                keys=[key.read_bytes()] if key.exists() else None,
                trusted_root=case / "trusted_root.json" if (case / "trusted_root.json").exists() else None,
            )
        except Exception as exc:  # recorded: the golden file says which cases raise and how
            decisions[name] = {"raises": f"{type(exc).__name__}: {exc}"}
            continue
        decisions[name] = {"isSuccess": result.is_success, "reasons": list(result.reasons)}
    check("conformance", render(scrub(decisions, CASES_DIR)))
