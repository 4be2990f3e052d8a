"""Thresholds: a trust policy may ask for several distinct signers of one subject.

Each referrer is judged on its own; the signers that verified are counted
across every report of the subject made under the same verifier and trust
policy (a ``.sig`` manifest holding two signatures, or two referrers of one
signature each). Below the policy's threshold, those reports fail.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from ..reasons import FailureReason
from ..report import VerifierReport
from .outcomes import FAILURE_MESSAGE


def signers(report: VerifierReport) -> set[str]:
    """The distinct keys or identities with a valid signature in ``report``."""
    return {
        verification.signer
        for signature in report.signatures
        if signature.is_success
        for verification in signature.verifications
        if verification.is_success and verification.signer
    }


def apply_thresholds(reports: Sequence[VerifierReport]) -> list[VerifierReport]:
    """``reports``, with the successful ones failed where their trust policy's threshold is not met."""
    groups: dict[tuple[str, str], list[int]] = {}
    for index, report in enumerate(reports):
        if report.trust_policy is not None and report.trust_policy.threshold > 1:
            groups.setdefault((report.name, report.trust_policy.name), []).append(index)
    out = list(reports)
    for indexes in groups.values():
        policy = reports[indexes[0]].trust_policy
        assert policy is not None
        found = sorted(set().union(*(signers(reports[i]) for i in indexes if reports[i].is_success)))
        if len(found) >= policy.threshold:
            continue
        message = (
            f"trust policy {policy.name!r} requires {policy.threshold} distinct signers; "
            f"{len(found)} signed ({', '.join(found) or 'none'})"
        )
        for index in indexes:
            if out[index].is_success:
                out[index] = attrs.evolve(
                    out[index],
                    is_success=False,
                    message=f"{FAILURE_MESSAGE}: {message}",
                    error_reason=message,
                    reason=FailureReason.THRESHOLD_NOT_MET,
                )
    return out
