"""The cosign verifier: one referrer of one subject, judged against the trust policy whose scope covers it.

The verifier picks the policy, builds a :class:`VerificationContext`,
reads the referrer's manifest, chooses its signature format, and checks
every signature with every trusted key (or the keyless identity). Failures
are turned into report entries in ``_internal/outcomes.py`` only, so a
broken signature marks only itself failed and never aborts the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path

from ._internal import deadline
from ._internal.certificate import ExactMatch, IdentityPolicy, Matcher, RegexMatch
from ._internal.context import VerificationContext
from ._internal.failure import Failure, FailureReason
from ._internal.formats import LoadedSignature, SignatureFormat, format_for
from ._internal.memo import DigestMemo
from ._internal.outcomes import Evidence, ReportFrame, key_outcome, report_outcome, signature_outcome
from ._internal.policy_keys import PolicyKeys, ResolvedKey
from ._internal.referrer_work import is_attestation_hint
from ._internal.simple_signing import SignatureLayer, parse_signature_manifest
from .errors import ConfigError, ForbiddenError
from .keys import KeyProviders
from .mediatypes import COSIGN_ATTESTATION_ARTIFACT_TYPE, COSIGN_SIGNATURE_ARTIFACT_TYPE
from .policy import Keyless, TrustPolicy, signature_repository
from .reference import Reference
from .report import KeyVerification, ReportShape, SignatureResult, VerifierReport
from .scope import ScopeMatcher
from .store.base import Descriptor, ReferrerStore
from .transparency import RekorLog, TransparencyLog
from .trusted_root import TrustedRoot

log = logging.getLogger(__name__)

TransparencyLogs = TransparencyLog | Callable[[TrustPolicy], TransparencyLog]
SIGNATURE_MANIFESTS = DigestMemo(parse_signature_manifest)


class CosignVerifier:
    """Verifies cosign signatures of subjects against trust policies.

    ``trust_policies`` go through :class:`ScopeMatcher` (validated once, here);
    key references are resolved against ``key_providers`` and key files are
    read now, relative to ``base_dir``. ``trusted_root`` is the default for
    policies without their own (Sigstore's public-good root when unset).
    ``transparency_log`` is where signatures without a Rekor bundle are
    looked up: one log for every policy, or a function of the policy
    (default: Rekor at each policy's ``rekorURL``). ``shape`` chooses
    Ratify's report shape (``RATIFY_LEGACY`` for configurations without
    trust policies). Configuration problems raise :class:`ConfigError` here;
    :meth:`verify` never raises for anything a registry or a signature does.
    """

    type = "cosign"
    noun = "signature"

    def __init__(
        self,
        trust_policies: Iterable[TrustPolicy] | ScopeMatcher,
        key_providers: KeyProviders | None = None,
        *,
        name: str = "cosign",
        artifact_types: Iterable[str] = (COSIGN_SIGNATURE_ARTIFACT_TYPE,),
        base_dir: str | Path | None = None,
        trusted_root: str | Path | TrustedRoot | None = None,
        transparency_log: TransparencyLogs | None = None,
        shape: ReportShape = ReportShape.RATIFY,
    ) -> None:
        self.name = name
        self.shape = shape
        self.artifact_types = tuple(artifact_types)
        if self.noun == "signature" and COSIGN_ATTESTATION_ARTIFACT_TYPE in self.artifact_types:
            raise ConfigError(
                f"verifier {name!r}: {COSIGN_ATTESTATION_ARTIFACT_TYPE} is cosign attestations, "
                "which a signature verifier does not judge",
                remediation="list it in a verifier of type 'cosign-attestation' (AttestationVerifier)",
            )
        self._matcher = (
            trust_policies if isinstance(trust_policies, ScopeMatcher) else ScopeMatcher(trust_policies)
        )
        providers = key_providers if key_providers is not None else KeyProviders()
        base = Path(base_dir) if base_dir is not None else None
        policies = self._matcher.policies
        self._keys = {p.name: PolicyKeys(p, providers, base_dir=base) for p in policies if p.keys}
        self._identities = {p.name: identity_policy(p.keyless) for p in policies if p.keyless is not None}
        roots: dict[
            object, TrustedRoot
        ] = {}  # each distinct root is loaded once, however many policies name it
        self._roots = {p.name: _load_root(p.trusted_root or trusted_root, base, roots) for p in policies}
        self._logs = _transparency_logs(transparency_log)
        self._repositories = {
            p.name: signature_repository(p.signature_repository, f"trust policy {p.name!r}")
            for p in policies
            if p.signature_repository is not None
        }
        for policy in policies:
            if not policy.tlog_verify:
                log.warning(
                    "trust policy %r: tLogVerify is false: signatures are accepted without transparency-log proof",
                    policy.name,
                )

    @property
    def matcher(self) -> ScopeMatcher:
        """The validated trust policies."""
        return self._matcher

    def accepts(self, referrer: Descriptor) -> bool:
        """Whether ``referrer`` is a signature for this verifier: one of its artifact types, and no attestation.

        A Sigstore bundle referrer whose (unverified) predicate-type annotation
        names an attestation is left to attestation verifiers: trusting the
        hint can only leave a signature unverified (fail closed), never pass one.
        """
        if referrer.artifact_type not in self.artifact_types:
            return False
        return not is_attestation_hint(referrer)

    def signature_repository(self, subject: Reference) -> Reference | None:
        """Where the subject's signatures are listed: its trust policy's ``signatureRepository``, if any."""
        if not self._repositories:
            return None
        policy = self._matcher.match(subject) if subject.digest else None
        if policy is None or policy.signature_repository is None or subject.digest is None:
            return None
        return self._repositories[policy.name].with_digest(subject.digest)

    def verify(
        self, subject: Reference, referrer: Descriptor, store: ReferrerStore, *, namespace: str | None = None
    ) -> VerifierReport:
        """Verify the cosign signature artifact ``referrer`` of ``subject`` (which must carry its digest).

        ``namespace`` is the namespace the verification works for (Ratify's
        key management provider access rule); None means cluster-wide. A
        trust policy's ``threshold`` spans referrers, so it is applied by
        :class:`Executor`, not here.
        """
        digest_form = subject.with_digest(subject.digest) if subject.digest else subject
        frame = ReportFrame(
            subject=str(digest_form),
            name=self.name,
            type=self.type,
            artifact_type=self.report_artifact_type(referrer),
            reference_digest=referrer.digest,
            shape=self.shape,
            noun=self.noun,
        )
        return report_outcome(
            frame,
            partial(self._policy_for, digest_form),
            lambda policy: self._signatures(self._context(policy, digest_form, store, namespace), referrer),
        )

    def report_artifact_type(self, referrer: Descriptor) -> str:
        """The artifact type a report of ``referrer`` is decided under (by ``configPolicy``): the referrer's."""
        return referrer.artifact_type or ""

    def _format_for(self, artifact_type: str | None, layers: Sequence[SignatureLayer]) -> SignatureFormat:
        """How the referrer's signatures are written (a subclass checks other things, attestations say)."""
        return format_for(artifact_type, layers)

    def _policy_for(self, subject: Reference) -> TrustPolicy:
        if subject.digest is None:
            raise Failure(
                FailureReason.SUBJECT_UNRESOLVED,
                f"subject {subject} has no digest",
                remediation="resolve the subject to its digest before verifying it",
            )
        policy = self._matcher.match(subject)
        if policy is None:
            raise Failure(
                FailureReason.NO_TRUST_POLICY,
                f"no trust policy scope matches subject {subject}",
                remediation="add a trust policy whose scope covers this subject, or a global '*' policy",
            )
        return policy

    def _context(
        self, policy: TrustPolicy, subject: Reference, store: ReferrerStore, namespace: str | None
    ) -> VerificationContext:
        keys: tuple[ResolvedKey, ...] = ()
        if policy.keyless is None:
            try:
                keys = self._keys[policy.name].for_namespace(namespace)
            except ForbiddenError as exc:
                raise Failure(
                    FailureReason.KEY_ACCESS_DENIED, exc.message, remediation=exc.remediation
                ) from None
        return VerificationContext(
            subject=subject,
            policy=policy,
            store=store,
            keys=keys,
            identity=self._identities.get(policy.name),
            trusted_root=self._roots[policy.name],
            log=self._logs(policy),
            repository=self._repositories.get(policy.name),
        )

    def _signatures(self, ctx: VerificationContext, referrer: Descriptor) -> tuple[SignatureResult, ...]:
        layers = SIGNATURE_MANIFESTS.get(referrer.digest) or SIGNATURE_MANIFESTS(
            referrer.digest, ctx.fetch_manifest(referrer.digest, "signature manifest")
        )
        signature_format = self._format_for(referrer.artifact_type, layers)
        return tuple(
            signature_outcome(
                layer.digest,
                partial(_load_in_time, signature_format, ctx, layer, layers),
                lambda signature: signature.encoded,
                partial(_verifications, ctx),
            )
            for layer in signature_format.signature_layers(layers)
        )


def _load_in_time(
    signature_format: SignatureFormat,
    ctx: VerificationContext,
    layer: SignatureLayer,
    layers: Sequence[SignatureLayer],
) -> LoadedSignature:
    deadline.check("signature not read")
    return signature_format.load(ctx, layer, layers)


def _verifications(ctx: VerificationContext, signature: LoadedSignature) -> tuple[KeyVerification, ...]:
    """One verification for the keyless identity, or one per trusted key, in the policy's order."""
    if ctx.policy.keyless is not None:
        return (key_outcome(None, partial(_in_time, signature.check_keyless, ctx)),)
    return tuple(
        key_outcome(key.information, partial(_in_time, signature.check_key, ctx, key)) for key in ctx.keys
    )


def _in_time(check: Callable[..., Evidence], *args: object) -> Evidence:
    deadline.check("signature not checked")
    return check(*args)


def identity_policy(keyless: Keyless) -> IdentityPolicy:
    """The identity and issuer matchers a keyless trust policy describes."""
    identity: Matcher = (
        ExactMatch(keyless.certificate_identity)
        if keyless.certificate_identity is not None
        else RegexMatch(keyless.certificate_identity_regexp or "")
    )
    issuer: Matcher = (
        ExactMatch(keyless.certificate_oidc_issuer)
        if keyless.certificate_oidc_issuer is not None
        else RegexMatch(keyless.certificate_oidc_issuer_regexp or "")
    )
    return IdentityPolicy(identity, issuer, claims=keyless.claims)


def _transparency_logs(given: TransparencyLogs | None) -> Callable[[TrustPolicy], TransparencyLog]:
    if isinstance(given, TransparencyLog):
        return lambda _: given
    if given is not None:
        return given
    logs: dict[str, TransparencyLog] = {}

    def rekor(policy: TrustPolicy) -> TransparencyLog:
        log = logs.get(policy.rekor_url)
        if log is None:
            log = logs.setdefault(policy.rekor_url, RekorLog(policy.rekor_url))
        return log

    return rekor


def _load_root(
    root: str | Path | TrustedRoot | None, base_dir: Path | None, loaded: dict[object, TrustedRoot]
) -> TrustedRoot:
    if isinstance(root, TrustedRoot):
        return root
    found = loaded.get(root)
    if found is None:
        if root is None:
            found = TrustedRoot.public_good()
        else:
            path = Path(root)
            found = TrustedRoot.from_file(base_dir / path if not path.is_absolute() and base_dir else path)
        loaded[root] = found
    return found
