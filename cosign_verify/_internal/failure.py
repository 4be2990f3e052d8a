"""The one exception every verification check raises: :class:`Failure`.

It carries a :class:`~cosign_verify.FailureReason`, a message fit for a
report and, where we know one, a remediation. ``outcomes.py`` is the only
place that turns it into report entries.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ..errors import CosignVerifyError
from ..reasons import FailureReason

__all__ = ["Failure", "FailureReason", "failing_as"]


class Failure(CosignVerifyError):  # noqa: N818 - an expected outcome, not an error
    """A check did not pass: ``reason`` says which kind of failure, ``message`` what happened."""

    def __init__(self, reason: FailureReason, message: str, *, remediation: str | None = None) -> None:
        super().__init__(message, remediation=remediation)
        self.reason = reason

    def __str__(self) -> str:
        return self.message

    def prefixed(self, prefix: str) -> Failure:
        """The same failure with ``prefix`` before its message (``keyless: ...``)."""
        return Failure(self.reason, f"{prefix}{self.message}", remediation=self.remediation)

    def with_remediation(self, remediation: str) -> Failure:
        """The same failure with a remediation."""
        return Failure(self.reason, self.message, remediation=remediation)


@contextmanager
def failing_as(prefix: str, remediation: str | None = None) -> Iterator[None]:
    """Failures raised inside get ``prefix`` before their message (and ``remediation`` when they have none)."""
    try:
        yield
    except Failure as failure:
        raised = failure.prefixed(prefix)
        if remediation is not None and raised.remediation is None:
            raised = raised.with_remediation(remediation)
        raise raised from None
