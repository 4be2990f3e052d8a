"""The one place where :class:`Failure` becomes report entries, at each level of a report.

A check that raises marks only its own entry failed: one key's
verification, one signature, or (before any signature is read) the whole
report. Everything else goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import attrs

from ..policy import TrustPolicy
from ..report import KeyInformation, KeyVerification, ReportShape, SignatureResult, VerifierReport
from .failure import Failure, FailureReason

T = TypeVar("T")

SUCCESS_MESSAGE = (
    "cosign verification success. valid signatures found. "
    "please refer to extensions field for verifications performed."
)
LEGACY_SUCCESS_MESSAGE = "cosign verification success. valid signatures found"
FAILURE_MESSAGE = "cosign verification failed"


@attrs.define(kw_only=True)  # not frozen: built per check, and frozen attrs cost 3x to build
class Evidence:
    """What a passed check established: report lines, and whether an offline log bundle proved it."""

    summary: tuple[str, ...]
    bundle_verified: bool = False
    algorithm: str | None = None
    signer: str | None = None  # the key or identity that signed, for thresholds
    statement: Mapping[str, Any] | None = None  # an attestation's verified in-toto statement


def key_outcome(information: KeyInformation | None, check: Callable[[], Evidence]) -> KeyVerification:
    """One signature checked with one key (or the keyless identity)."""
    try:
        evidence = check()
    except Failure as failure:
        return KeyVerification(
            is_success=False,
            key_information=information,
            error=failure.message,
            reason=failure.reason,
            remediation=failure.remediation,
        )
    return KeyVerification(
        is_success=True,
        key_information=information,
        bundle_verified=evidence.bundle_verified,
        summary=evidence.summary,
        algorithm=evidence.algorithm,
        signer=evidence.signer,
        statement=evidence.statement,
    )


def signature_outcome(
    digest: str,
    load: Callable[[], T],
    encoded: Callable[[T], str],
    verifications: Callable[[T], Sequence[KeyVerification]],
) -> SignatureResult:
    """One signature: loaded (fetched and parsed), then checked with every key."""
    try:
        signature = load()
    except Failure as failure:
        return SignatureResult(
            signature_digest=digest,
            is_success=False,
            error=failure.message,
            reason=failure.reason,
            remediation=failure.remediation,
        )
    checks = tuple(verifications(signature))
    return SignatureResult(
        signature_digest=digest,
        is_success=any(v.is_success for v in checks),
        signature=encoded(signature),
        verifications=checks,
    )


@attrs.define(kw_only=True)  # not frozen: built per report, and frozen attrs cost 3x to build
class ReportFrame:
    """What every report of one verification says, whatever the outcome."""

    subject: str
    name: str
    type: str
    artifact_type: str
    reference_digest: str
    shape: ReportShape
    noun: str = "signature"  # what the verifier checks: signatures, or attestations

    def failed(
        self, failure: Failure, policy: TrustPolicy | None, signatures: tuple[SignatureResult, ...] = ()
    ) -> VerifierReport:
        """A failed report."""
        return VerifierReport(
            subject=self.subject,
            is_success=False,
            name=self.name,
            type=self.type,
            artifact_type=self.artifact_type,
            reference_digest=self.reference_digest,
            message=f"{FAILURE_MESSAGE}: {failure.message}",
            error_reason=failure.message,
            remediation=failure.remediation,
            signatures=signatures,
            trust_policy=policy,
            shape=self.shape,
            reason=failure.reason,
        )

    def decided(self, policy: TrustPolicy, signatures: tuple[SignatureResult, ...]) -> VerifierReport:
        """The report once every signature was checked: any valid signature passes."""
        if not any(s.is_success for s in signatures):
            return self.failed(_no_valid_signature(signatures, self.noun), policy, signatures)
        legacy = self.shape is ReportShape.RATIFY_LEGACY
        message = LEGACY_SUCCESS_MESSAGE if legacy else SUCCESS_MESSAGE
        if self.noun != "signature":
            message = message.replace("valid signatures", f"valid {self.noun}s")
        return VerifierReport(
            subject=self.subject,
            is_success=True,
            name=self.name,
            type=self.type,
            artifact_type=self.artifact_type,
            reference_digest=self.reference_digest,
            message=message,
            signatures=signatures,
            trust_policy=policy,
            shape=self.shape,
        )


def _no_valid_signature(signatures: Sequence[SignatureResult], noun: str = "signature") -> Failure:
    first = next((s.first_error for s in signatures if s.first_error), None)
    message = f"no valid {noun}s found ({len(signatures)} checked"
    message += f"; first error: {first[0]})" if first else ")"
    remediation = next((r for s in signatures for r in s.remediations), None)
    return Failure(FailureReason.NO_VALID_SIGNATURE, message, remediation=remediation)


def report_outcome(
    frame: ReportFrame,
    select: Callable[[], TrustPolicy],
    check: Callable[[TrustPolicy], tuple[SignatureResult, ...]],
) -> VerifierReport:
    """One verifier on one referrer: pick the trust policy, then check every signature under it."""
    try:
        policy = select()
    except Failure as failure:
        return frame.failed(failure, None)
    try:
        signatures = check(policy)
    except Failure as failure:
        return frame.failed(failure, policy)
    return frame.decided(policy, signatures)
