"""Everything one verification works with, in one value, so that checks take one argument instead of six."""

from __future__ import annotations

import logging
from collections.abc import Callable

import attrs

from ..errors import CosignVerifyError, DeadlineError, DigestMismatchError, TooLargeError
from ..policy import TrustPolicy
from ..reference import Reference
from ..store.base import ReferrerStore, check_content
from ..transparency import TransparencyLog
from ..trusted_root import TrustedRoot
from .certificate import IdentityPolicy
from .failure import Failure, FailureReason
from .keyless import KeylessSettings
from .policy_keys import ResolvedKey

log = logging.getLogger("cosign_verify.store")


def store_failure_reason(
    exc: BaseException, otherwise: FailureReason = FailureReason.FETCH_FAILED
) -> FailureReason:
    """The reason a store's exception stands for (``otherwise`` unless it says more).

    The underlying error behind a one-line :class:`StoreError` is logged at DEBUG.
    """
    detail = getattr(exc, "detail", None)
    if detail:
        log.debug("%s: %s", exc, detail)
    if isinstance(exc, DeadlineError):
        return FailureReason.DEADLINE_EXCEEDED
    if isinstance(exc, DigestMismatchError):
        return FailureReason.DIGEST_MISMATCH
    if isinstance(exc, TooLargeError):
        return FailureReason.TOO_LARGE
    return otherwise


@attrs.define(kw_only=True)  # not frozen: built per verification, and frozen attrs cost 3x to build
class VerificationContext:
    """One subject (in digest form) under one trust policy: its keys or identity, root, log and store."""

    subject: Reference
    policy: TrustPolicy
    store: ReferrerStore = attrs.field(repr=False)
    keys: tuple[ResolvedKey, ...] = ()
    identity: IdentityPolicy | None = None
    trusted_root: TrustedRoot = attrs.field(repr=False)
    log: TransparencyLog = attrs.field(repr=False)
    repository: Reference | None = None  # where the signatures are, when not beside the subject

    @property
    def signatures_at(self) -> Reference:
        """The repository signature manifests and blobs are read from."""
        return self.repository or self.subject

    @property
    def digest(self) -> str:
        """The subject's digest."""
        assert self.subject.digest is not None
        return self.subject.digest

    def keyless(self) -> KeylessSettings:
        """The settings a keyless check needs (the policy must be keyless)."""
        assert self.policy.keyless is not None and self.identity is not None
        return KeylessSettings(
            identity=self.identity,
            trusted_root=self.trusted_root,
            log=self.log,
            ct_log_verify=self.policy.keyless.ct_log_verify,
            tlog_verify=self.policy.tlog_verify,
        )

    def fetch_manifest(self, digest: str, what: str) -> bytes:
        """A manifest of the signatures' repository, checked against its digest."""
        return self._fetch(self.store.fetch_manifest, digest, what)

    def fetch_blob(self, digest: str, size: int, limit: int, what: str) -> bytes:
        """A blob of the signatures' repository of at most ``limit`` bytes, checked against its digest."""
        if size > limit:
            raise Failure(FailureReason.TOO_LARGE, f"{what} is {size} bytes (at most {limit})")
        return self._fetch(self.store.fetch_blob, digest, what)

    def _fetch(self, call: Callable[[Reference, str], object], digest: str, what: str) -> bytes:
        try:
            data = call(self.signatures_at, digest)
        except Exception as exc:  # the store is a seam: whatever it raises is a failed fetch
            raise Failure(store_failure_reason(exc), f"cannot fetch {what}: {exc}") from None
        if not isinstance(data, bytes | bytearray):
            raise Failure(
                FailureReason.FETCH_FAILED,
                f"cannot fetch {what}: store returned {type(data).__name__}, not bytes",
            )
        try:
            return check_content(bytes(data), digest, what)
        except CosignVerifyError as exc:  # StoreError, or an InvalidReferenceError for a malformed digest
            raise Failure(FailureReason.DIGEST_MISMATCH, str(exc)) from None
