"""The fuzzing harness (fuzz/) runs without atheris: a corpus is built from real artifacts and replayed."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

from cosign_verify import ConfigError

ROOT = Path(__file__).resolve().parent.parent
FUZZ = ROOT / "fuzz"


def harness() -> ModuleType:
    """``fuzz/fuzz_parsers.py``, imported as a module."""
    spec = importlib.util.spec_from_file_location("fuzz_parsers_under_test", FUZZ / "fuzz_parsers.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *map(str, args)], capture_output=True, text=True, timeout=300, check=False, cwd=ROOT
    )


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("corpus")
    made = run(FUZZ / "make_corpus.py", directory)
    assert made.returncode == 0, made.stderr
    return directory


def test_the_corpus_seeds_every_target(corpus: Path) -> None:
    fuzz = harness()
    seeded = {fuzz.target_of(path.read_bytes()) for path in corpus.iterdir()}
    assert seeded == set(fuzz.NAMES)
    for path in corpus.iterdir():  # each file is named after its target, and selects it
        assert path.name.startswith(fuzz.target_of(path.read_bytes()) + "-")


def test_the_corpus_replays_without_a_problem(corpus: Path) -> None:
    replayed = run(FUZZ / "fuzz_parsers.py", "--replay", corpus)
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    count = len(list(corpus.iterdir()))
    assert f"{count} inputs replayed, 0 problem(s)" in replayed.stdout


def test_replay_reports_errors_not_ours_and_slow_inputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fuzz = harness()

    def foreign(data: bytes) -> None:
        raise TypeError("not ours")

    def ours(data: bytes) -> None:
        raise ConfigError("ours")

    def slow(data: bytes) -> None:
        time.sleep(0.05)

    monkeypatch.setitem(fuzz.TARGETS, "reference", foreign)
    monkeypatch.setitem(fuzz.TARGETS, "scope", ours)
    monkeypatch.setitem(fuzz.TARGETS, "link", slow)
    for name in ("reference", "scope", "link"):
        (tmp_path / name).write_bytes(fuzz.selector(name) + b"input")
    (tmp_path / "empty").write_bytes(b"")
    count, problems = fuzz.replay([tmp_path], slow=0.01)
    assert count == 4
    assert sorted((p.path.name, p.target, p.kind) for p in problems) == [
        ("link", "link", "slow"),
        ("reference", "reference", "TypeError"),
    ]
    assert "not ours" in str(next(p for p in problems if p.kind == "TypeError"))


def test_the_command_line_lists_targets_and_exits_1_on_a_problem(tmp_path: Path) -> None:
    fuzz = harness()
    listed = run(FUZZ / "fuzz_parsers.py", "--list-targets")
    assert listed.returncode == 0
    assert [line.split()[1] for line in listed.stdout.splitlines()] == list(fuzz.NAMES)
    (tmp_path / "input").write_bytes(fuzz.selector("retry_after") + b"120")
    assert run(FUZZ / "fuzz_parsers.py", "--replay", tmp_path).returncode == 0
    every_input_is_slow = run(FUZZ / "fuzz_parsers.py", "--replay", tmp_path, "--slow", "0")
    assert every_input_is_slow.returncode == 1
    assert "retry_after: slow: took" in every_input_is_slow.stdout


def test_atheris_is_imported_only_to_fuzz() -> None:
    before = set(sys.modules)
    harness()
    assert "atheris" not in set(sys.modules) - before
    source = (FUZZ / "fuzz_parsers.py").read_text()
    assert "import atheris" not in source  # only importlib.import_module("atheris"), inside fuzz()
