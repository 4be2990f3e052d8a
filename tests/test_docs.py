"""The README: its first lines are the two commands, and it stays short, pointing into the documentation."""

from __future__ import annotations

import os
import re

from .conftest import ROOT


def test_readme_starts_with_the_two_commands() -> None:
    lines = [line for line in (ROOT / "README.md").read_text().splitlines() if line.strip()]
    assert lines[1] == "```sh"
    assert "nox -s demo" in lines[2] and "nox -s tests" in lines[3] and lines[4] == "```"
    assert "nox -s tests" in (ROOT / ".ci" / "run").read_text()
    assert os.access(ROOT / ".ci" / "run", os.X_OK)


def test_readme_stays_short_and_its_links_resolve() -> None:
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) < 160
    links = re.findall(r"\]\(([^)#]+)\)", text)
    local = [link for link in links if not link.startswith("http")]
    assert len(local) >= 10
    for link in local:
        assert (ROOT / link).exists(), link


def test_the_performance_page_is_generated_from_the_results() -> None:
    """docs/performance.md and its charts are what benchmarks/report.py makes of benchmarks/results/."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("report", ROOT / "benchmarks" / "report.py")
    assert spec is not None and spec.loader is not None
    report = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(report)
    files = report.render()
    assert {p.name for p in files} >= {"performance.md", "verify.svg", "server.svg"}
    for path, content in files.items():
        assert path.read_text() == content, f"{path} is out of date: run python benchmarks/report.py"
