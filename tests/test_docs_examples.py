"""Every example in the README and docs/ runs as written: shell sessions print what the page shows, Python
examples run and print, pytest examples pass, and the commands of ``sh`` blocks are commands we accept."""

from __future__ import annotations

import contextlib
import io
import os
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cosign_verify.cli.parser import build_parser

from .conftest import ROOT
from .docs_examples import Example, Sandbox, Snippet, console_examples, matches, sandbox, snippets

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
EXAMPLES = [example for page in PAGES for example in console_examples(page, ROOT)]
PYTHON = [s for page in PAGES for s in snippets(page, ROOT, ("python",))]
SHELL = [s for page in PAGES for s in snippets(page, ROOT, ("sh",))]


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


@pytest.mark.parametrize("snippet", PYTHON, ids=lambda s: s.source)
def test_python_example(snippet: Snippet, world: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Python example runs in the sandbox and prints its result (no False); one that defines tests passes them."""
    monkeypatch.chdir(world.directory)
    if "def test_" in snippet.code:
        path = world.directory / f"test_example_{abs(hash(snippet.source))}.py"
        path.write_text(snippet.code)
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)],
            capture_output=True, text=True, cwd=world.directory, timeout=300, check=False,
            env={**os.environ, "DOCKER_CONFIG": str(world.directory / ".docker")},
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
        return
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(snippet.code, snippet.source, "exec"), {"__name__": "__docs__"})
    assert printed.getvalue().strip(), f"{snippet.source}: an example prints its result"
    assert "False" not in printed.getvalue(), printed.getvalue()


@pytest.mark.parametrize("snippet", SHELL, ids=lambda s: s.source)
def test_shell_commands_are_ones_we_accept(snippet: Snippet) -> None:
    """``sh`` blocks hold commands for a machine of yours (installs, a cluster): ours must parse, files must exist."""
    for line in snippet.code.replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        if not words:
            continue
        if words[0] == "cosign-verify":
            build_parser().parse_args(words[1:])
        for word in words:
            for value in (word, word.partition("=")[2]):
                if value.startswith(("docs/", "benchmarks/")) and not value.endswith("/"):
                    assert (ROOT / value).exists(), f"{snippet.source}: {value} does not exist"


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


def test_blocks_are_found(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "```console\n$ one \\\n  --flag\nout 1\n$ two\nout 2\nout 3\n```\n\n```python\nprint(1)\n```\n"
    )
    assert [(e.command, e.expected) for e in console_examples(page, tmp_path)] == [
        ("one \\\n  --flag", ("out 1",)),
        ("two", ("out 2", "out 3")),
    ]
    assert [s.code for s in snippets(page, tmp_path, ("python",))] == ["print(1)\n"]
