"""The exception hierarchy: every error this library raises on purpose."""

from __future__ import annotations


class CosignVerifyError(Exception):
    """Root of every error raised by cosign_verify.

    ``remediation`` says, where it helps, what the caller should change.
    """

    def __init__(self, message: str, *, remediation: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.remediation = remediation

    def __str__(self) -> str:
        if self.remediation:
            return f"{self.message} (remediation: {self.remediation})"
        return self.message


class ConfigError(CosignVerifyError, ValueError):
    """Configuration is invalid: a trust policy, a scope, a config file.

    ``path`` is the JSON path of the offending value, when there is one
    (``verifier.plugins[0].trustPolicies[1].scopes[0]``); ``errors`` lists
    every problem found when more than one was (the first is the message).
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        remediation: str | None = None,
        errors: list[str] | None = None,
    ) -> None:
        super().__init__(f"{path}: {message}" if path else message, remediation=remediation)
        self.path = path
        self.reason = message
        self.errors = errors if errors is not None else [str(self)]

    def under(self, prefix: str) -> ConfigError:
        """The same error, with its path placed under ``prefix`` (``keys[0]`` -> ``policy.keys[0]``)."""
        if not self.path:
            path = prefix
        elif self.path.startswith("["):
            path = f"{prefix}{self.path}"
        else:
            path = f"{prefix}.{self.path}"
        return ConfigError(self.reason, path=path, remediation=self.remediation)


class InvalidReferenceError(CosignVerifyError, ValueError):
    """A string is not a valid OCI image reference."""

    def __init__(self, reference: str, reason: str) -> None:
        super().__init__(f"invalid reference {reference!r}: {reason}")
        self.reference = reference
        self.reason = reason


class StoreError(CosignVerifyError):
    """A referrer store could not answer (registry unreachable, bad content, ...).

    The message is one line; ``detail``, when set, is the underlying error in full.
    """

    detail: str | None = None


class DeadlineError(StoreError):
    """A store, token endpoint or log did not answer within the verification's deadline."""


class DigestMismatchError(StoreError):
    """Content does not hash to the digest it was asked for (or claimed)."""


class NotFoundError(StoreError):
    """The registry has no such manifest (HTTP 404)."""


class TooLargeError(StoreError):
    """An answer is over a size or count limit."""


class ForbiddenError(CosignVerifyError):
    """A caller asked for something its namespace may not use."""


class UnsupportedKeyError(ConfigError):
    """A public key cannot be used: unreadable, or of a type or size we refuse."""
