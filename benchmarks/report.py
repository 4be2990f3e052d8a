"""The performance page of the documentation, generated from benchmarks/results/*.json: tables and SVG charts.

``python benchmarks/report.py`` writes docs/performance.md and
docs/assets/performance/*.svg; ``--check`` exits 1 when they differ from what
the results say (the test suite runs it, so the page cannot drift from the
numbers). ``nox -s benchmarks`` runs it after the benchmarks.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
PAGE = ROOT / "docs" / "performance.md"
CHARTS = ROOT / "docs" / "assets" / "performance"


def bar_chart(title: str, unit: str, bars: Sequence[tuple[str, float]], *, mark: float | None = None) -> str:
    """A horizontal bar chart as SVG text; ``mark`` draws a dashed line at that value (a goal, a floor)."""
    width, label_width, row, top = 640, 190, 26, 34
    scale_max = max([value for _, value in bars] + ([mark] if mark else [])) * 1.15 or 1.0
    span = width - label_width - 70
    height = top + row * len(bars) + 16
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'font-family="sans-serif" font-size="13">',
        f'<text x="8" y="20" font-weight="bold">{escape(title)}</text>',
    ]
    for index, (label, value) in enumerate(bars):
        y = top + index * row
        length = max(value / scale_max * span, 1.0)
        parts += [
            f'<text x="{label_width - 8}" y="{y + 16}" text-anchor="end">{escape(label)}</text>',
            f'<rect x="{label_width}" y="{y + 4}" width="{length:.1f}" height="{row - 8}" fill="#3f51b5"/>',
            f'<text x="{label_width + length + 6:.1f}" y="{y + 16}">{value:g} {escape(unit)}</text>',
        ]
    if mark:
        x = label_width + mark / scale_max * span
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 8}" stroke="#d32f2f" '
            'stroke-dasharray="4 3"/>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _load(name: str) -> dict[str, Any] | None:
    path = RESULTS / f"{name}.json"
    data: dict[str, Any] | None = json.loads(path.read_text()) if path.exists() else None
    return data


def sections() -> tuple[list[str], dict[str, str]]:
    """The page's sections and the charts they show."""
    text: list[str] = []
    charts: dict[str, str] = {}
    for build in (_verify, _registry, _batch, _server, _scope, _keyless):
        build(text, charts)
    return text, charts


def _verify(text: list[str], charts: dict[str, str]) -> None:
    data = _load("verify")
    if data is None:
        return
    text += [
        "## Warm verification against the bare cryptography",
        "",
        "`benchmarks/bench_verify.py`: one signature of each key type, verified again and again (its manifest"
        " and payload cached), by `CosignVerifier` and by the whole `Executor`, against the bare signature"
        " check in `cryptography` (PyNaCl for Ed25519ph) that it stands on. The goal is 2x or less.",
        "",
        table(
            ["key type", "bare crypto (us)", "verifier (us)", "executor (us)", "executor / crypto"],
            [
                [k, v["bare_crypto_us"], v["verifier_us"], v["executor_us"], v["executor_over_crypto"]]
                for k, v in data.items()
            ],
        ),
        "",
        "![Executor time over bare cryptography](assets/performance/verify.svg)",
        "",
    ]
    bars = [(k, v["executor_over_crypto"]) for k, v in data.items()]
    charts["verify"] = bar_chart("Executor over bare cryptography (lower is better)", "x", bars, mark=2.0)


def _registry(text: list[str], charts: dict[str, str]) -> None:
    data = _load("registry")
    if data is None:
        return
    text += [
        "## Cold verification against a bare HTTP replay",
        "",
        "`benchmarks/bench_registry.py`: a first verification per signature layout against the fewest requests"
        " the distribution spec allows for a correct answer, replayed by a bare `http.client` on one connection."
        " The referrer-API row runs against the toolkit's Python registry, where each request costs little and"
        " our client's own cost shows most.",
        "",
        table(
            ["layout", "requests (ours / minimal)", "cold verify (ms)", "bare replay (ms)", "ratio"],
            [
                [
                    k,
                    f"{v['requests_sent']} / {v['requests_minimal']}",
                    v["cold_verify_ms"],
                    v["replay_minimal_ms"],
                    v["cold_over_replay"],
                ]
                for k, v in data.items()
            ],
        ),
        "",
        "![Cold verification over a bare replay](assets/performance/registry.svg)",
        "",
    ]
    bars = [(k, v["cold_over_replay"]) for k, v in data.items()]
    charts["registry"] = bar_chart(
        "Cold verification over a bare replay (lower is better)", "x", bars, mark=1.5
    )


def _batch(text: list[str], charts: dict[str, str]) -> None:
    data = _load("batch")
    if data is None:
        return
    latency, docker = data["latency_5ms"], data["docker_registry"]
    text += [
        "## Batches",
        "",
        "`benchmarks/bench_batch.py`: `Executor.verify_many(workers=16)` against one-by-one verification, beside"
        " a bare threaded client's speed-up in the same run.",
        "",
        table(
            ["setup", "images", "sequential (s)", "16 workers (s)", "speed-up", "bare client's speed-up"],
            [
                [
                    "5 ms per request",
                    latency["images"],
                    latency["sequential_s"],
                    latency["verify_many_s"],
                    latency["speedup"],
                    latency["bare_speedup"],
                ],
                [
                    "docker-registry, 2 cores",
                    docker["images"],
                    docker["sequential_s"],
                    docker["verify_many_s"],
                    docker["speedup"],
                    docker["bare_speedup"],
                ],
            ],
        ),
        "",
        "![Batch speed-ups](assets/performance/batch.svg)",
        "",
    ]
    bars = [
        ("ours, 5 ms latency", latency["speedup"]),
        ("bare, 5 ms latency", latency["bare_speedup"]),
        ("ours, docker-registry", docker["speedup"]),
        ("bare, docker-registry", docker["bare_speedup"]),
    ]
    charts["batch"] = bar_chart("Speed-up of 16 workers over one by one", "x", bars)


def _server(text: list[str], charts: dict[str, str]) -> None:
    data = _load("server")
    if data is None:
        return
    rows = [
        [
            name,
            v["requests"],
            v["errors"],
            v["p50_ms"],
            v["p90_ms"],
            v["p99_ms"],
            v["max_ms"],
            v["requests_per_second"],
        ]
        for name, v in (("verify", data["verify"]), ("/healthz", data["healthz"]))
    ]
    text += [
        "## The Gatekeeper provider under load",
        "",
        f"`benchmarks/bench_server.py`: {data['setup']}.",
        "",
        table(
            ["endpoint", "requests", "errors", "p50 (ms)", "p90 (ms)", "p99 (ms)", "max (ms)", "requests/s"],
            rows,
        ),
        "",
        "![Provider latency](assets/performance/server.svg)",
        "",
    ]
    bars = [(f"verify {q}", data["verify"][f"{q}_ms"]) for q in ("p50", "p90", "p99")]
    bars += [(f"/healthz {q}", data["healthz"][f"{q}_ms"]) for q in ("p50", "p99")]
    charts["server"] = bar_chart("Provider latency under 16 concurrent clients", "ms", bars)


def _scope(text: list[str], charts: dict[str, str]) -> None:
    data = _load("scope")
    if data is None:
        return
    text += [
        "## Scopes",
        "",
        "`benchmarks/bench_scope.py`: validating a set of trust policies, and finding a subject's policy, against"
        " a plain dict lookup; and building a whole `CosignVerifier` over them (keys resolved, trusted roots"
        " loaded), per policy beyond the matcher (the goal is 5 us or less).",
        "",
        table(
            [
                "policies",
                "validate and build (s)",
                "match (us)",
                "dict lookup (us)",
                "CosignVerifier (s)",
                "beyond the matcher (us per policy)",
            ],
            [
                [
                    v["policies"],
                    v["validate_and_build_s"],
                    v["match_hit_us"],
                    v["dict_lookup_us"],
                    v.get("verifier_build_s", "-"),
                    v.get("verifier_beyond_matcher_us_per_policy", "-"),
                ]
                for v in data.values()
            ],
        ),
        "",
    ]


def _keyless(text: list[str], charts: dict[str, str]) -> None:
    data = _load("keyless")
    if data is None:
        return
    text += [
        "## Keyless verification beside sigstore-python",
        "",
        "`benchmarks/bench_keyless.py`: one keyless signature (certificate chain, SCT, Rekor bundle, identity)"
        " verified offline by us and by sigstore-python.",
        "",
        table(
            ["", "cosign-verify", "sigstore-python"],
            [
                ["verify (us)", data["cosign_verify_keyless_us"], data["sigstore_python_us"]],
                ["import (ms)", data["import_cosign_verify_ms"], data["import_sigstore_verify_ms"]],
            ],
        ),
        "",
    ]


def render() -> dict[Path, str]:
    """Every file the report writes, with its content."""
    text, charts = sections()
    header = [
        "# Performance",
        "",
        "Every figure on this page comes from `benchmarks/results/`, written by the benchmarks in `benchmarks/`"
        " (`nox -s benchmarks`), and this page is generated from them by `benchmarks/report.py`. Each benchmark"
        " measures a ratio in one run on one machine (ours against what it stands on, or against a peer), which"
        " carries across machines better than times do. These ran on two cores.",
        "",
    ]
    files = {PAGE: "\n".join(header + text).rstrip() + "\n"}
    files.update({CHARTS / f"{name}.svg": svg for name, svg in charts.items()})
    return files


def main(argv: Sequence[str]) -> int:
    files = render()
    if "--check" in argv:
        stale = [
            str(p.relative_to(ROOT))
            for p, content in files.items()
            if not p.exists() or p.read_text() != content
        ]
        if stale:
            print(f"out of date (run python benchmarks/report.py): {', '.join(stale)}")
            return 1
        return 0
    CHARTS.mkdir(parents=True, exist_ok=True)
    for path, content in files.items():
        path.write_text(content)
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
