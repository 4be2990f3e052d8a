"""How long validating and matching many trust policies takes.

Builds N key policies with one wildcard scope each (plus one global
policy), times ScopeMatcher construction (all validation included) and
``match`` for hits, misses and global fallbacks, and compares ``match`` with
a plain dict lookup of the same string, the floor it stands on. Also times
building a whole ``CosignVerifier`` over the same policies (keys resolved,
trusted roots loaded) and reports what it costs per policy beyond the
matcher (the goal is 5 us or less). Writes benchmarks/results/scope.json.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from cosign_verify import (
    CosignVerifier,
    InlineKeyProvider,
    KeyProviders,
    KeyRef,
    Reference,
    ScopeMatcher,
    TrustPolicy,
)
from cosign_verify.testing import generate_key_pair

DIGEST = "sha256:" + "d" * 64
RESULTS = Path(__file__).resolve().parent / "results"


def best_of(repeat: int, func: object, *args: object) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        func(*args)  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    results: dict[str, object] = {}
    key = [KeyRef(provider="kp")]
    providers = KeyProviders([InlineKeyProvider("kp", generate_key_pair().public_pem())])
    for n in (1_000, 10_000, 100_000):
        policies = [
            TrustPolicy(name=f"p{i}", scopes=[f"myregistry.io/team{i:06d}/*"], keys=key) for i in range(n)
        ]
        policies.append(TrustPolicy(name="global", scopes=["*"], keys=key))
        build = best_of(3, ScopeMatcher, policies)
        verifier = best_of(3, CosignVerifier, policies, providers)
        beyond = (verifier - build) / len(policies)
        matcher = ScopeMatcher(policies)
        hits = [
            Reference.parse(f"myregistry.io/team{i:06d}/app@{DIGEST}") for i in range(0, n, max(1, n // 1000))
        ]
        misses = [
            Reference.parse(f"other.io/team{i:06d}/app@{DIGEST}") for i in range(0, n, max(1, n // 1000))
        ]

        def run_match(refs: list[Reference], matcher: ScopeMatcher = matcher) -> None:
            for ref in refs:
                matcher.match(ref)

        table = {str(r): r for r in hits}

        def run_dict(refs: list[Reference], table: dict[str, Reference] = table) -> None:
            for ref in refs:
                table.get(str(ref))

        hit = best_of(20, run_match, hits) / len(hits)
        miss = best_of(20, run_match, misses) / len(misses)
        floor = best_of(20, run_dict, hits) / len(hits)
        results[str(n)] = {
            "policies": n + 1,
            "validate_and_build_s": round(build, 4),
            "verifier_build_s": round(verifier, 4),
            "verifier_beyond_matcher_us_per_policy": round(beyond * 1e6, 2),
            "match_hit_us": round(hit * 1e6, 3),
            "match_global_fallback_us": round(miss * 1e6, 3),
            "dict_lookup_us": round(floor * 1e6, 3),
            "match_over_dict_ratio": round(hit / floor, 2),
        }
        print(
            f"{n + 1:>7} policies: build+validate {build * 1e3:8.1f} ms; match hit {hit * 1e6:.2f} us, "
            f"global fallback {miss * 1e6:.2f} us; dict lookup {floor * 1e6:.2f} us (ratio {hit / floor:.1f}x); "
            f"CosignVerifier {verifier * 1e3:.1f} ms ({beyond * 1e6:.2f} us per policy beyond the matcher)"
        )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "scope.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
