"""Why a verification failed, as a value: :class:`FailureReason`.

Every failed report entry carries one reason beside its human message, so
callers can branch, count and alert on causes without reading messages.
"""

from __future__ import annotations

import enum


class FailureReason(str, enum.Enum):
    """The cause of a failed check, a failed report or a failed result."""

    # The subject and the referrers (result level).
    SUBJECT_UNRESOLVED = "subject-unresolved"
    STORE_FAILED = "store-failed"
    NO_SIGNATURES = "no-signatures"
    POLICY_NOT_SATISFIED = "policy-not-satisfied"
    # One verifier on one referrer (report level).
    NO_TRUST_POLICY = "no-trust-policy"
    KEY_ACCESS_DENIED = "key-access-denied"
    NO_VALID_SIGNATURE = "no-valid-signature"
    VERIFIER_FAILED = "verifier-failed"
    THRESHOLD_NOT_MET = "threshold-not-met"
    # One signature, or one signature with one key or identity.
    FETCH_FAILED = "fetch-failed"
    DIGEST_MISMATCH = "digest-mismatch"
    TOO_LARGE = "too-large"
    MALFORMED = "malformed"
    UNSUPPORTED = "unsupported"
    SIGNATURE_INVALID = "signature-invalid"
    SUBJECT_MISMATCH = "subject-mismatch"
    NOT_A_SIGNATURE = "not-a-signature"
    CERTIFICATE_INVALID = "certificate-invalid"
    IDENTITY_MISMATCH = "identity-mismatch"
    CLAIM_MISMATCH = "claim-mismatch"
    ANNOTATION_MISMATCH = "annotation-mismatch"
    NOT_AN_ATTESTATION = "not-an-attestation"
    PREDICATE_MISMATCH = "predicate-mismatch"
    ATTESTATION_REJECTED = "attestation-rejected"
    SCT_INVALID = "sct-invalid"
    TLOG_INVALID = "tlog-invalid"
    TLOG_UNAVAILABLE = "tlog-unavailable"
    TIMESTAMP_INVALID = "timestamp-invalid"
    # Any level: a limit on time was reached.
    DEADLINE_EXCEEDED = "deadline-exceeded"

    def __str__(self) -> str:
        return self.value
