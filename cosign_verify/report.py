"""Reports: what was checked and why the answer is what it is, in Ratify's JSON shape.

Each class has one ``to_dict()`` that gives Ratify's camelCase JSON.
``isSuccess`` is always present; order is the order of the checks. Beside
the human ``message`` / ``error``, every failure carries a
:class:`~cosign_verify.FailureReason` (``reason``) for programs.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from .policy import TrustPolicy
from .reasons import FailureReason

VERIFIER_TYPE_COSIGN = "cosign"


class ReportShape(enum.Enum):
    """The JSON shape a verifier's reports take: Ratify's trust-policy shape, or its legacy one."""

    RATIFY = "ratify"
    RATIFY_LEGACY = "ratify-legacy"


def _strings(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(items)


@attrs.frozen(kw_only=True)
class KeyInformation:
    """Which trusted key a verification used."""

    provider: str
    name: str
    version: str = ""

    def to_dict(self) -> dict[str, str]:
        """``{provider, name, version}``."""
        return {"provider": self.provider, "name": self.name, "version": self.version}


@attrs.frozen(kw_only=True)
class KeyVerification:
    """The outcome of checking one signature with one trusted key (or identity)."""

    is_success: bool
    key_information: KeyInformation | None = None
    bundle_verified: bool = False
    error: str | None = None
    summary: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    reason: FailureReason | None = None
    remediation: str | None = None
    algorithm: str | None = None
    signer: str | None = None
    statement: Mapping[str, Any] | None = None  # the verified in-toto statement of an attestation

    def to_dict(self) -> dict[str, Any]:
        """Ratify's ``verifications[]`` entry; our extensions: ``algorithm``, ``signer``, ``reason``, ``statement``."""
        out: dict[str, Any] = {"isSuccess": self.is_success, "bundleVerified": self.bundle_verified}
        if self.algorithm:
            out["algorithm"] = self.algorithm
        if self.signer:
            out["signer"] = self.signer
        if self.error:
            out["error"] = self.error
        if self.reason is not None:
            out["reason"] = self.reason.value
        if self.key_information is not None:
            out["keyInformation"] = self.key_information.to_dict()
        out["summary"] = list(self.summary)
        if self.statement is not None:
            out["statement"] = dict(self.statement)
        return out


def _verifications(items: Iterable[KeyVerification]) -> tuple[KeyVerification, ...]:
    return tuple(items)


@attrs.frozen(kw_only=True)
class SignatureResult:
    """The outcome for one signature (one layer of a signature manifest)."""

    signature_digest: str
    is_success: bool
    signature: str = ""
    error: str | None = None
    verifications: tuple[KeyVerification, ...] = attrs.field(default=(), converter=_verifications)
    reason: FailureReason | None = None
    remediation: str | None = None

    @property
    def first_error(self) -> tuple[str, FailureReason | None] | None:
        """This signature's own error, else its first key's, with the reason."""
        if self.error:
            return self.error, self.reason
        return next(((v.error, v.reason) for v in self.verifications if v.error), None)

    @property
    def remediations(self) -> Iterable[str]:
        """Every remediation of this signature and its verifications, in order."""
        if self.remediation:
            yield self.remediation
        yield from (v.remediation for v in self.verifications if v.remediation)

    def to_dict(self) -> dict[str, Any]:
        """Ratify's ``extensions.signatures[]`` entry, with the failure ``reason`` (our extension)."""
        out: dict[str, Any] = {"signatureDigest": self.signature_digest, "isSuccess": self.is_success}
        if self.signature:
            out["signature"] = self.signature
        if self.error:
            out["error"] = self.error
        if self.reason is not None:
            out["reason"] = self.reason.value
        out["verifications"] = [v.to_dict() for v in self.verifications]
        return out

    def to_legacy_dict(self) -> dict[str, Any]:
        """Ratify's legacy (pre-trust-policy) entry: ``{signatureDigest, isSuccess, bundleVerified, error}``."""
        out: dict[str, Any] = {
            "signatureDigest": self.signature_digest,
            "isSuccess": self.is_success,
            "bundleVerified": any(v.bundle_verified for v in self.verifications if v.is_success),
        }
        first = self.first_error
        if first and not self.is_success:
            out["error"] = first[0]
        return out


def _signatures(items: Iterable[SignatureResult]) -> tuple[SignatureResult, ...]:
    return tuple(items)


@attrs.frozen(kw_only=True)
class VerifierReport:
    """One verifier's decision on one referrer of a subject; ``trust_policy`` is the policy that judged it."""

    subject: str
    is_success: bool
    name: str
    artifact_type: str
    reference_digest: str
    message: str
    type: str = VERIFIER_TYPE_COSIGN
    error_reason: str | None = None
    remediation: str | None = None
    signatures: tuple[SignatureResult, ...] = attrs.field(default=(), converter=_signatures)
    trust_policy: TrustPolicy | None = None
    shape: ReportShape = ReportShape.RATIFY
    reason: FailureReason | None = None

    @property
    def statements(self) -> list[Mapping[str, Any]]:
        """The in-toto statements of the attestations that verified (for your own policy over them)."""
        return [
            verification.statement
            for signature in self.signatures
            if signature.is_success
            for verification in signature.verifications
            if verification.is_success and verification.statement is not None
        ]

    def to_dict(self) -> dict[str, Any]:
        """Ratify's ``verifierReports[]`` entry (``extensions.trustPolicy`` is the policy's name, as Ratify writes it).

        A failed report says its ``reason`` (our extension; not in Ratify's legacy shape).
        """
        out: dict[str, Any] = {
            "subject": self.subject,
            "isSuccess": self.is_success,
            "name": self.name,
            "type": self.type,
            "message": self.message,
        }
        if self.error_reason:
            out["errorReason"] = self.error_reason
        if self.reason is not None and self.shape is ReportShape.RATIFY:
            out["reason"] = self.reason.value
        if self.remediation:
            out["remediation"] = self.remediation
        if self.shape is ReportShape.RATIFY_LEGACY:
            out["extensions"] = {"signatures": [s.to_legacy_dict() for s in self.signatures]}
        else:
            extensions: dict[str, Any] = {"signatures": [s.to_dict() for s in self.signatures]}
            if self.trust_policy is not None:
                extensions["trustPolicy"] = self.trust_policy.name
            out["extensions"] = extensions
        out["artifactType"] = self.artifact_type
        out["referenceDigest"] = self.reference_digest
        return out


def _reports(items: Iterable[VerifierReport]) -> tuple[VerifierReport, ...]:
    return tuple(items)


@attrs.frozen(kw_only=True)
class VerificationResult:
    """The overall decision for one subject, with every verifier report behind it."""

    subject: str
    is_success: bool
    verifier_reports: tuple[VerifierReport, ...] = attrs.field(default=(), converter=_reports)
    message: str | None = None
    reason: FailureReason | None = None

    def to_dict(self) -> dict[str, Any]:
        """Ratify's verification result JSON, with the ``subject`` (in digest form once resolved) and ``reason``."""
        out: dict[str, Any] = {"subject": self.subject, "isSuccess": self.is_success}
        if self.message:
            out["message"] = self.message
        if self.reason is not None:
            out["reason"] = self.reason.value
        out["verifierReports"] = [r.to_dict() for r in self.verifier_reports]
        return out
