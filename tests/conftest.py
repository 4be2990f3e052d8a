from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "docs" / "examples"


@pytest.fixture
def example_config_path() -> Path:
    return EXAMPLES / "ratify-cli-config.json"
