"""Verification results as people and programs read them: JSON, JSON lines, a table, or text."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..mediatypes import COSIGN_ATTESTATION_ARTIFACT_TYPE, COSIGN_SIGNATURE_ARTIFACT_TYPE, SIGSTORE_BUNDLE_V03
from ..report import VerificationResult, VerifierReport
from .console import Console


def json_line(result: VerificationResult) -> str:
    """One result as one line of JSON (``--output jsonl``)."""
    return json.dumps(result.to_dict(), separators=(",", ":"))


def write_results(results: Sequence[VerificationResult], output: str, console: Console) -> None:
    """Every result at once, for the outputs that are not streamed."""
    if output == "json":
        payload: Any = results[0].to_dict() if len(results) == 1 else [r.to_dict() for r in results]
        console.print(json.dumps(payload, indent=2))
    elif output == "table":
        rows: list[tuple[str, ...]] = [("SUBJECT", "RESULT", "ARTIFACT TYPE", "REFERRER", "DETAIL")]
        for result in results:
            rows.extend(_result_rows(result))
        table(rows, console)
    elif output == "text":
        for result in results:
            for line in text_lines(result, verbose=console.verbose):
                console.print(line)


def table(rows: Sequence[tuple[str, ...]], console: Console) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        console.print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def _verdict(result: VerificationResult) -> str:
    return "PASS" if result.is_success else "FAIL"


def _result_rows(result: VerificationResult) -> list[tuple[str, ...]]:
    if not result.verifier_reports:
        return [(result.subject, _verdict(result), "-", "-", result.message or "")]
    rows: list[tuple[str, ...]] = []
    for report in result.verifier_reports:
        detail = "ok" if report.is_success else (report.error_reason or report.message)
        rows.append(
            (result.subject, _verdict(result), report.artifact_type, report.reference_digest[:19], detail)
        )
    return rows


def text_lines(result: VerificationResult, *, verbose: bool = False) -> list[str]:
    """A result for people: the verdict and subject, then one line per signature artifact judged."""
    lines = [f"{_verdict(result)} {result.subject}"]
    if not result.is_success and result.message:
        lines.append(f"  {result.message}")
    for report in result.verifier_reports:
        lines.append(f"  {_artifact(report)}: {_outcome(report)}")
        if verbose:
            lines.extend(f"      {line}" for line in _checks(report))
    return lines


_KINDS = {
    COSIGN_SIGNATURE_ARTIFACT_TYPE: "cosign signature",
    COSIGN_ATTESTATION_ARTIFACT_TYPE: "cosign attestations",
    SIGSTORE_BUNDLE_V03: "Sigstore bundle",
}


def _artifact(report: VerifierReport) -> str:
    kind = _KINDS.get(report.artifact_type, report.artifact_type)
    predicates = sorted({str(s.get("predicateType")) for s in report.statements})
    return f"{kind} {report.reference_digest[:19]}" + (f" ({', '.join(predicates)})" if predicates else "")


def _outcome(report: VerifierReport) -> str:
    policy = f" under trust policy {report.trust_policy.name!r}" if report.trust_policy is not None else ""
    if report.is_success:
        algorithms = sorted(
            {v.algorithm for s in report.signatures for v in s.verifications if v.is_success and v.algorithm}
        )
        return f"verified{policy}" + (f" ({', '.join(algorithms)})" if algorithms else "")
    return f"not verified{policy}: {report.error_reason or report.message}"


def _checks(report: VerifierReport) -> list[str]:
    return [line for s in report.signatures for v in s.verifications if v.is_success for line in v.summary]
