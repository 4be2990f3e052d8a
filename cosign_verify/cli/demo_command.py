"""``cosign-verify demo``: the walkthrough, with the configuration it used and the equivalent commands."""

from __future__ import annotations

import argparse
import io
import json
import shlex
from typing import Any

from .console import Console
from .parser import EXIT_FAILED, EXIT_OK, parse
from .render import table

INTRODUCTION = "cosign-verify demo: two namespaces, two keys, two trust policies, on an in-process registry"


def run_demo(args: argparse.Namespace, console: Console) -> int:
    from ..config import load_config
    from ..engine import Executor
    from ..testing.demo import CONFIG_FILE, demo_environment

    cases: list[dict[str, Any]] = []
    with demo_environment() as demo:
        executor = Executor.from_config(load_config(demo.path(CONFIG_FILE)))
        for image in demo.images:
            result = executor.verify(image.reference)
            command = image.command()
            cases.append(
                {
                    "image": image.reference,
                    "story": image.story,
                    "expected": image.expected,
                    "command": f"cosign-verify {shlex.join(command)}",
                    "commandPassed": _run_command(image.command(demo.directory)),
                    "result": result.to_dict(),
                }
            )
        config = demo.config
    matched = all(c["result"]["isSuccess"] is c["expected"] is c["commandPassed"] for c in cases)
    if args.output == "json":
        console.print(json.dumps({"config": config, "cases": cases, "asExpected": matched}, indent=2))
    else:
        _show(config, cases, console)
    verdict = "every outcome is as expected" if matched else "UNEXPECTED OUTCOME"
    if args.output == "json":
        console.print_err(verdict)
    else:
        console.print(f"\n{verdict}")
    return EXIT_OK if matched else EXIT_FAILED


def _run_command(command: list[str]) -> bool:
    """Run ``cosign-verify verify`` as the demo shows it; whether it passed."""
    from .verify_command import run_verify

    args = parse([*command, "--output", "json", "--quiet"])
    return run_verify(args, Console(io.StringIO(), io.StringIO(), quiet=True)) == EXIT_OK


def _why(result: dict[str, Any]) -> str:
    reports = result["verifierReports"]
    if not reports:
        return str(result.get("message", ""))
    return str(reports[0].get("errorReason") or "valid signature found")


def _show(config: dict[str, Any], cases: list[dict[str, Any]], console: Console) -> None:
    console.print(INTRODUCTION)
    console.print(
        "\nThe configuration (Ratify's CLI format; dev.pub, test.pub and trusted_root.json beside it):"
    )
    console.print(json.dumps(config, indent=2))
    console.print()
    rows: list[tuple[str, ...]] = [("IMAGE", "STORY", "EXPECTED", "RESULT", "WHY")]
    for case in cases:
        rows.append(
            (
                case["image"].split("@")[0].split("/", 2)[2],
                case["story"],
                "pass" if case["expected"] else "fail",
                "PASS" if case["result"]["isSuccess"] else "FAIL",
                _why(case["result"]),
            )
        )
    table(rows, console)
    console.print(
        "\nThe same checks with cosign's flags instead of the configuration (run in its directory):"
    )
    for case in cases:
        console.print(f"  $ {case['command']}")
        console.print(
            f"    {'PASS' if case['commandPassed'] else 'FAIL'} (exit {0 if case['commandPassed'] else 1})"
        )
    console.print("\nThe report for the first image, in Ratify's shape:")
    console.print(json.dumps(cases[0]["result"]["verifierReports"][0], indent=2))
