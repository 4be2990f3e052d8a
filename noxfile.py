"""Developer sessions: ``nox -s tests lint typecheck docs benchmarks demo fuzz screenshots``."""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True


@nox.session
def tests(session: nox.Session) -> None:
    """The whole test suite (integration tests included where their servers are installed)."""
    session.install("-e", ".[test,yaml,redis,server]")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: lint and formatting."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", "cosign_verify", "tests", "benchmarks", "docs", "noxfile.py")
    session.run("ruff", "format", "--check", "cosign_verify", "tests", "benchmarks", "docs", "noxfile.py")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package, its tests and its benchmarks."""
    session.install(
        "-e",
        ".[test,yaml,redis,server]",
        "mypy>=1.10",
        "types-requests",
        "types-PyYAML",
        "types-tqdm",
        "types-jsonschema",
    )
    session.run(
        "mypy", "--strict", "cosign_verify", "tests", "benchmarks", "docs/hooks.py", "docs/screenshots.py"
    )


@nox.session
def docs(session: nox.Session) -> None:
    """The documentation site (MkDocs, Material, mkdocstrings) into build/site, warnings as errors."""
    session.install("-e", ".[docs,yaml,redis,server]")
    session.run("python", "benchmarks/report.py", "--check")
    session.run("mkdocs", "build", "--strict")


@nox.session
def screenshots(session: nox.Session) -> None:
    """The built site's home page and one guide, rendered by headless Chromium into build/screenshots (to look at).

    Needs Debian's chromium (apt-get install -y chromium).
    """
    session.install("-e", ".[docs,yaml,redis,server]")
    session.run("mkdocs", "build", "--strict")
    session.run("python", "docs/screenshots.py", "build/site", "build/screenshots")


@nox.session
def benchmarks(session: nox.Session) -> None:
    """Run every benchmark in benchmarks/ (results in benchmarks/results/), then regenerate docs/performance.md."""
    session.install("-e", ".[server,yaml,redis]")
    for script in sorted(Path("benchmarks").glob("bench_*.py")):
        session.run("python", str(script))
    session.run("python", "benchmarks/report.py")


@nox.session
def fuzz(session: nox.Session) -> None:
    """Fuzz the parsers: a long Hypothesis run, then atheris over a fresh seed corpus (nox -s fuzz -- 600)."""
    seconds = session.posargs[0] if session.posargs else "300"
    session.install("-e", ".[test,yaml]", "atheris")
    session.run("pytest", "-q", "tests/test_fuzz_parsers.py", env={"FUZZ_EXAMPLES": "20000"})
    session.run("python", "fuzz/make_corpus.py", "build/fuzz-corpus")
    session.run(
        "python",
        "fuzz/fuzz_parsers.py",
        f"-max_total_time={seconds}",
        "-timeout=10",
        "-rss_limit_mb=2048",
        "build/fuzz-corpus",
    )


@nox.session
def demo(session: nox.Session) -> None:
    """The main job: the two-namespace walkthrough on a built-in registry."""
    session.install("-e", ".")
    session.run("cosign-verify", "demo")
