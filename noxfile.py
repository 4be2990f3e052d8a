"""Developer sessions: ``nox -s tests lint typecheck docs benchmarks demo``."""

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
    session.run("ruff", "check", "cosign_verify", "tests", "benchmarks", "noxfile.py")
    session.run("ruff", "format", "--check", "cosign_verify", "tests", "benchmarks", "noxfile.py")


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
    session.run("mypy", "--strict", "cosign_verify", "tests", "benchmarks")


@nox.session
def docs(session: nox.Session) -> None:
    """API reference (pdoc) into build/docs, and the examples in docs/ checked."""
    session.install("-e", ".", "pdoc>=14")
    session.run("pdoc", "cosign_verify", "-o", "build/docs")
    session.run(
        "cosign-verify", "check-config", "--config", "docs/examples/ratify-cli-config.json", silent=True
    )


@nox.session
def benchmarks(session: nox.Session) -> None:
    """Run every benchmark in benchmarks/; results go to benchmarks/results/."""
    session.install("-e", ".")
    for script in sorted(Path("benchmarks").glob("bench_*.py")):
        session.run("python", str(script))


@nox.session
def demo(session: nox.Session) -> None:
    """The main job: the two-namespace walkthrough on a built-in registry."""
    session.install("-e", ".")
    session.run("cosign-verify", "demo")
