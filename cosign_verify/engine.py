"""The executor (subject -> referrers -> verifiers -> policy) and the config policy (``any`` / ``all``)."""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import TYPE_CHECKING, Protocol

import attrs

from ._internal.context import store_failure_reason
from ._internal.deadline import deadline_scope
from ._internal.referrer_work import accepts, checked, lookups, nothing_to_verify, own_referrers
from ._internal.threshold import apply_thresholds
from .errors import ConfigError, InvalidReferenceError, StoreError
from .reasons import FailureReason
from .reference import Reference, check_digest
from .report import VerificationResult, VerifierReport
from .store.base import Descriptor, ReferrerStore

if TYPE_CHECKING:
    from .config import Config, PolicyConfig
    from .keys import KeyProviders

log = logging.getLogger(__name__)

DEFAULT = "default"


class Rule(str, enum.Enum):
    """What a config policy asks of one artifact type's reports."""

    ANY = "any"
    ALL = "all"


class Verifier(Protocol):
    """What the executor needs of a verifier (:class:`CosignVerifier` is one)."""

    name: str
    type: str
    artifact_types: tuple[str, ...]

    def verify(
        self, subject: Reference, referrer: Descriptor, store: ReferrerStore, *, namespace: str | None = None
    ) -> VerifierReport: ...


@attrs.frozen(kw_only=True)
class Decision:
    """A config policy's verdict on a subject's reports: passed or not, why (a line), and the reason."""

    is_success: bool
    message: str
    reason: FailureReason | None = None


_SATISFIED = Decision(is_success=True, message="all artifact verification policies are satisfied")


def _failed(message: str, reason: FailureReason = FailureReason.POLICY_NOT_SATISFIED) -> Decision:
    return Decision(is_success=False, message=message, reason=reason)


class ConfigPolicy:
    """Ratify's ``configPolicy``: per artifact type ``any`` or ``all``, with ``default``.

    - ``any``: at least one report of that type succeeds;
    - ``all``: every report of that type succeeds (and there is one);
    - a type named in the policy (other than ``default``) with no report fails;
    - types not named follow ``default`` (``all`` when unset);
    - no reports at all fails.
    """

    def __init__(self, artifact_verification_policies: Mapping[str, str | Rule] | None = None) -> None:
        rules: dict[str, Rule] = {}
        for artifact_type, rule in (artifact_verification_policies or {}).items():
            try:
                rules[artifact_type] = Rule(rule)
            except ValueError:
                raise ConfigError(
                    f"artifact verification policy for {artifact_type!r} is {rule!r}; use 'any' or 'all'"
                ) from None
        self.default = rules.pop(DEFAULT, Rule.ALL)
        self.rules = rules

    @classmethod
    def from_config(cls, config: PolicyConfig) -> ConfigPolicy:
        """The policy a loaded configuration describes."""
        return cls(config.artifact_verification_policies)

    def decide(self, reports: Sequence[VerifierReport]) -> Decision:
        """Whether ``reports`` satisfy the policy, with a one-line explanation."""
        if not reports:
            return _failed(
                "no verifier reports: no referrer of the subject was verified", FailureReason.NO_SIGNATURES
            )
        if len(reports) == 1 and not self.rules and reports[0].is_success:
            return _SATISFIED
        by_type: dict[str, list[VerifierReport]] = {}
        for report in reports:
            by_type.setdefault(report.artifact_type, []).append(report)
        for artifact_type in self.rules:
            if artifact_type not in by_type:
                return _failed(f"policy requires artifact type {artifact_type!r} and none was verified")
        for artifact_type, group in by_type.items():
            rule = self.rules.get(artifact_type, self.default)
            passed = sum(r.is_success for r in group)
            if rule is Rule.ANY and passed == 0:
                return _failed(
                    f"policy 'any' for {artifact_type!r}: none of {len(group)} report(s) succeeded"
                )
            if rule is Rule.ALL and passed < len(group):
                failed = len(group) - passed
                return _failed(
                    f"policy 'all' for {artifact_type!r}: {failed} of {len(group)} report(s) failed"
                )
        return _SATISFIED


@attrs.frozen(kw_only=True)
class ExecutorOptions:
    """How the executor treats subjects.

    - ``resolve_tags``: a subject given by tag is resolved to its digest
      through the store (with a warning); when False, a subject without a
      digest fails.
    - ``deadline``: seconds for one subject, everything included (resolving,
      listing, every manifest, blob, token and Rekor request, every check);
      None for none beyond each request's own. An admission webhook answers
      Gatekeeper within 3 s, so keep this below that when serving one.
    - ``max_referrers``: referrers a verifier would judge, at most, per
      subject; more fail the subject (a flood of referrers cannot make a
      verification run for minutes).
    """

    resolve_tags: bool = True
    deadline: float | None = 10.0
    max_referrers: int = 64


class Executor:
    """Verifies subjects: resolve, list referrers, run matching verifiers, apply the policy."""

    def __init__(
        self,
        store: ReferrerStore,
        verifiers: Iterable[Verifier],
        policy: ConfigPolicy | None = None,
        options: ExecutorOptions | None = None,
    ) -> None:
        self.store = store
        self.verifiers = tuple(verifiers)
        self.policy = policy if policy is not None else ConfigPolicy()
        self.options = options if options is not None else ExecutorOptions()
        names = [v.name for v in self.verifiers]
        if len(set(names)) != len(names):
            raise ConfigError(f"verifier names must be unique: {names}")

    @classmethod
    def from_config(
        cls,
        config: Config,
        store: ReferrerStore | None = None,
        *,
        key_providers: KeyProviders | None = None,
        options: ExecutorOptions | None = None,
    ) -> Executor:
        """An executor for a loaded configuration, reading from ``store`` (default: the configured registry store)."""
        from .wiring import build_store, build_verifiers

        verifiers = build_verifiers(config, key_providers)
        return cls(
            store if store is not None else build_store(config),
            verifiers,
            ConfigPolicy.from_config(config.policy),
            options,
        )

    def verify(self, subject: str | Reference, *, namespace: str | None = None) -> VerificationResult:
        """Verify one subject. Raises only :class:`InvalidReferenceError` for a malformed subject string."""
        reference = subject if isinstance(subject, Reference) else Reference.parse(subject)
        with deadline_scope(self.options.deadline):
            return self._verify(reference, namespace)

    def verify_many(
        self, subjects: Iterable[str | Reference], *, workers: int = 16, namespace: str | None = None
    ) -> list[VerificationResult]:
        """Verify many subjects on ``workers`` threads; results in the order of ``subjects``.

        One subject's failure never affects another: a malformed subject
        string gives a failed result (``SUBJECT_UNRESOLVED``) instead of an
        exception, and each subject has its own deadline. Results are the same
        as verifying one by one; the store fetches each manifest and blob once
        however many threads want it.
        """
        items = list(subjects)
        if workers <= 1 or len(items) <= 1:
            return [self._verify_isolated(subject, namespace) for subject in items]
        with ThreadPoolExecutor(
            max_workers=min(workers, len(items)), thread_name_prefix="cosign-verify"
        ) as pool:
            return list(pool.map(lambda subject: self._verify_isolated(subject, namespace), items))

    def verify_as_completed(
        self, subjects: Iterable[str | Reference], *, workers: int = 16, namespace: str | None = None
    ) -> Iterator[tuple[int, VerificationResult]]:
        """Verify many subjects on ``workers`` threads, yielding ``(position in subjects, result)`` as each ends.

        The streaming form of :meth:`verify_many` (same isolation, same
        results), for output written while the rest are still running.
        """
        items = list(subjects)
        if workers <= 1 or len(items) <= 1:
            for position, subject in enumerate(items):
                yield position, self._verify_isolated(subject, namespace)
            return
        pool = ThreadPoolExecutor(max_workers=min(workers, len(items)), thread_name_prefix="cosign-verify")
        finished = False
        try:
            futures = {
                pool.submit(self._verify_isolated, subject, namespace): position
                for position, subject in enumerate(items)
            }
            for future in as_completed(futures):
                yield futures[future], future.result()
            finished = True
        finally:
            # abandoned (the consumer stopped, or Ctrl-C): do not wait for subjects still at the network
            pool.shutdown(wait=finished, cancel_futures=True)

    def _verify_isolated(self, subject: str | Reference, namespace: str | None) -> VerificationResult:
        try:
            return self.verify(subject, namespace=namespace)
        except InvalidReferenceError as exc:
            return VerificationResult(
                subject=str(subject),
                is_success=False,
                message=str(exc),
                reason=FailureReason.SUBJECT_UNRESOLVED,
            )
        except Exception as exc:  # a bug must not take the other subjects down with it
            log.exception("verifying %s raised", subject)
            return VerificationResult(
                subject=str(subject),
                is_success=False,
                message=f"verification failed: {type(exc).__name__}: {exc}",
                reason=FailureReason.VERIFIER_FAILED,
            )

    def _verify(self, reference: Reference, namespace: str | None) -> VerificationResult:
        if reference.digest is None:
            resolved = self._resolve(reference)
            if isinstance(resolved, VerificationResult):
                return resolved
            reference = resolved
        assert reference.digest is not None
        digest_form = reference.with_digest(reference.digest)
        work: list[tuple[Descriptor, Verifier]] = []
        listed: list[tuple[Reference, list[Descriptor]]] = []
        for lookup in lookups(self.verifiers, digest_form):
            try:
                referrers = checked(self.store.list_referrers(lookup.where))
            except Exception as exc:  # the store is a seam: any failure is a failed result
                kind = "" if isinstance(exc, StoreError) else f"{type(exc).__name__}: "
                reason = store_failure_reason(exc, FailureReason.STORE_FAILED)
                return self._failed(digest_form, f"cannot list referrers: {kind}{exc}", reason)
            listed.append((lookup.where, referrers))
            work += [(r, v) for r in referrers for v in lookup.verifiers if accepts(v, r)]
            for verifier in lookup.verifiers:
                try:
                    own = own_referrers(verifier, self.store, lookup.where)
                except Exception as exc:  # as listing: the store could not answer
                    reason = store_failure_reason(exc, FailureReason.STORE_FAILED)
                    return self._failed(digest_form, f"cannot list referrers: {exc}", reason)
                if own:
                    listed.append((lookup.where, own))
                    work += [(r, verifier) for r in own if accepts(verifier, r)]
        if not work:
            message = nothing_to_verify(
                digest_form, listed, getattr(self.store, "cosign_enabled", True), self._looking_for
            )
            return self._failed(digest_form, message, FailureReason.NO_SIGNATURES)
        if len({r.digest for r, _ in work}) > self.options.max_referrers:
            message = f"subject has {len(work)} referrers to verify (at most {self.options.max_referrers})"
            return self._failed(digest_form, message, FailureReason.TOO_LARGE)
        reports = apply_thresholds([self._run(v, digest_form, referrer, namespace) for referrer, v in work])
        decision = self.policy.decide(reports)
        return VerificationResult(
            subject=str(digest_form),
            is_success=decision.is_success,
            verifier_reports=reports,
            message=decision.message,
            reason=decision.reason,
        )

    @property
    def _looking_for(self) -> str:
        nouns = {getattr(verifier, "noun", "signature") for verifier in self.verifiers}
        return "attestations" if nouns == {"attestation"} else "signatures"

    def _resolve(self, reference: Reference) -> Reference | VerificationResult:
        if not self.options.resolve_tags:
            return self._failed(
                reference, f"subject {reference} has no digest", FailureReason.SUBJECT_UNRESOLVED
            )
        log.warning("subject %s is given by tag; verifying the digest the tag points to now", reference)
        try:
            descriptor = self.store.resolve(reference)
            return attrs.evolve(reference, digest=check_digest(descriptor.digest))
        except Exception as exc:  # the store is a seam: any failure is a failed result
            reason = store_failure_reason(exc, FailureReason.SUBJECT_UNRESOLVED)
            return self._failed(reference, f"cannot resolve {reference}: {exc}", reason)

    @staticmethod
    def _failed(subject: Reference, message: str, reason: FailureReason) -> VerificationResult:
        return VerificationResult(subject=str(subject), is_success=False, message=message, reason=reason)

    def _run(
        self, verifier: Verifier, subject: Reference, referrer: Descriptor, namespace: str | None
    ) -> VerifierReport:
        try:
            return verifier.verify(subject, referrer, self.store, namespace=namespace)
        except Exception as exc:  # a verifier bug must fail closed, not escape
            log.exception("verifier %r raised", verifier.name)
            return VerifierReport(
                subject=str(subject),
                is_success=False,
                name=verifier.name,
                type=verifier.type,
                artifact_type=_decided_as(verifier, referrer),
                reference_digest=referrer.digest,
                message=f"verifier {verifier.name!r} failed: {type(exc).__name__}: {exc}",
                error_reason=f"{type(exc).__name__}: {exc}",
                reason=FailureReason.VERIFIER_FAILED,
            )


def _decided_as(verifier: Verifier, referrer: Descriptor) -> str:
    """The artifact type ``verifier``'s report of ``referrer`` is decided under (the referrer's, unless it says)."""
    decided = getattr(verifier, "report_artifact_type", None)
    try:
        return str(decided(referrer)) if decided is not None else referrer.artifact_type or ""
    except Exception:  # the verifier already failed: file the failure under the referrer's own type
        return referrer.artifact_type or ""


ANY = Rule.ANY
ALL = Rule.ALL
