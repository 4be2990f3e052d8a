"""Every shell example in the README and docs/ runs as written and prints what the page says."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import ROOT
from .docs_examples import Example, Sandbox, console_examples, matches, sandbox

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
EXAMPLES = [example for page in PAGES for example in console_examples(page, ROOT)]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    with sandbox(tmp_path_factory.mktemp("docs-sandbox")) as running:
        yield running


def test_the_readme_has_console_examples() -> None:
    assert any(e.source.startswith("README.md") for e in EXAMPLES)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.source)
def test_console_example(example: Example, world: Sandbox) -> None:
    actual = world.run(example.command)
    assert matches(example.expected, actual), (
        f"{example.source}: $ {example.command}\n--- the page shows:\n"
        + "\n".join(example.expected)
        + "\n--- it printed:\n"
        + "\n".join(actual)
    )


@pytest.mark.parametrize(
    ("expected", "actual", "fits"),
    [
        (("a", "b"), ["a", "b"], True),
        (("a",), ["a", "b"], False),
        (("a ... c",), ["a b c"], True),
        (("a", "...", "d"), ["a", "b", "c", "d"], True),
        (("a", "...", "d"), ["a", "b"], False),
        (("x...",), ["y"], False),
    ],
)
def test_the_matcher(expected: tuple[str, ...], actual: list[str], fits: bool) -> None:
    assert matches(expected, actual) is fits


def test_console_blocks_are_split_into_commands(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("```console\n$ one \\\n  --flag\nout 1\n$ two\nout 2\nout 3\n```\n")
    assert [(e.command, e.expected) for e in console_examples(page, tmp_path)] == [
        ("one \\\n  --flag", ("out 1",)),
        ("two", ("out 2", "out 3")),
    ]
