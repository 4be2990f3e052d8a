"""The executor (subject -> referrers -> verifiers -> policy) and the config policy."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

import attrs

from .config import Config, PolicyConfig
from .errors import ConfigError, StoreError
from .keys import FileKeyProvider, InlineKeyProvider, KeyProviders
from .policy import DEFAULT_REKOR_URL, Keyless, KeyRef, TrustPolicy
from .reference import Reference
from .report import VerificationResult, VerifierReport
from .store.auth import AuthProvider, DockerConfigAuthProvider
from .store.base import Descriptor, ReferrerStore
from .store.options import RegistryOptions
from .verifier import CosignVerifier

if TYPE_CHECKING:
    from .store.registry import OCIRegistryStore

log = logging.getLogger(__name__)

ANY = "any"
ALL = "all"
DEFAULT = "default"


class Verifier(Protocol):
    """What the executor needs of a verifier (:class:`CosignVerifier` is one)."""

    name: str
    type: str
    artifact_types: tuple[str, ...]

    def verify(
        self, subject: Reference, referrer: Descriptor, store: ReferrerStore, *, namespace: str | None = None
    ) -> VerifierReport: ...


class ConfigPolicy:
    """Ratify's ``configPolicy``: per artifact type ``any`` or ``all``, with ``default``.

    - ``any``: at least one report of that type succeeds;
    - ``all``: every report of that type succeeds (and there is one);
    - a type named in the policy (other than ``default``) with no report fails;
    - types not named follow ``default`` (``all`` when unset);
    - no reports at all fails.
    """

    def __init__(self, artifact_verification_policies: Mapping[str, str] | None = None) -> None:
        rules = dict(artifact_verification_policies or {})
        for artifact_type, rule in rules.items():
            if rule not in (ANY, ALL):
                raise ConfigError(
                    f"artifact verification policy for {artifact_type!r} is {rule!r}; use 'any' or 'all'"
                )
        self.rules = rules
        self.default = rules.pop(DEFAULT, ALL)

    @classmethod
    def from_config(cls, config: PolicyConfig) -> ConfigPolicy:
        """The policy a loaded configuration describes."""
        return cls(config.artifact_verification_policies)

    def decide(self, reports: Sequence[VerifierReport]) -> tuple[bool, str]:
        """Whether ``reports`` satisfy the policy, and a one-line explanation."""
        if not reports:
            return False, "no verifier reports: no referrer of the subject was verified"
        by_type: dict[str, list[VerifierReport]] = {}
        for report in reports:
            by_type.setdefault(report.artifact_type, []).append(report)
        for artifact_type in self.rules:
            if artifact_type not in by_type:
                return False, f"policy requires artifact type {artifact_type!r} and none was verified"
        for artifact_type, group in by_type.items():
            rule = self.rules.get(artifact_type, self.default)
            passed = sum(r.is_success for r in group)
            if rule == ANY and passed == 0:
                return False, f"policy 'any' for {artifact_type!r}: none of {len(group)} report(s) succeeded"
            if rule == ALL and passed < len(group):
                return (
                    False,
                    f"policy 'all' for {artifact_type!r}: {len(group) - passed} of {len(group)} report(s) failed",
                )
        return True, "all artifact verification policies are satisfied"


def build_key_providers(config: Config) -> KeyProviders:
    """Key providers from a configuration's ``keyManagementProviders``."""
    providers = KeyProviders()
    for index, entry in enumerate(config.key_management_providers):
        try:
            if entry.type == "inline":
                provider: InlineKeyProvider | FileKeyProvider = InlineKeyProvider(
                    entry.name, entry.parameters["value"], content_type=entry.parameters["contentType"]
                )
            else:
                provider = FileKeyProvider(entry.name, config.base_dir / entry.parameters["path"])
            providers.add(provider)
        except ConfigError as exc:
            raise exc.under(f"keyManagementProviders[{index}]") from None
    return providers


LEGACY_POLICY = "legacy"


def legacy_policy(key: str | None, rekor_url: str | None) -> TrustPolicy:
    """The trust policy Ratify's legacy cosign configuration stands for.

    ``key``: that public key for every image, without the transparency log
    (as Ratify). No key: keyless, any Fulcio identity, checked against Rekor
    at ``rekor_url``.
    """
    if key is not None:
        return TrustPolicy(name=LEGACY_POLICY, scopes=["*"], keys=[KeyRef(file=key)], tlog_verify=False)
    return TrustPolicy(
        name=LEGACY_POLICY,
        scopes=["*"],
        keyless=Keyless(certificate_identity_regexp=".*", certificate_oidc_issuer_regexp=".*"),
        rekor_url=rekor_url or DEFAULT_REKOR_URL,
    )


def build_verifiers(config: Config, key_providers: KeyProviders | None = None) -> list[CosignVerifier]:
    """The cosign verifiers a configuration describes (trust policies, or Ratify's legacy ``key``/``rekorURL``)."""
    providers = key_providers if key_providers is not None else build_key_providers(config)
    verifiers = []
    for index, entry in enumerate(config.verifiers):
        policies = entry.trust_policies
        if entry.legacy:
            policies = (legacy_policy(entry.key, entry.rekor_url),)
            if entry.key is None:
                log.warning(
                    "verifier %r: legacy keyless configuration accepts a signature from any Fulcio identity; "
                    "use a trust policy with certificateIdentity and certificateOIDCIssuer instead",
                    entry.name,
                )
        try:
            verifiers.append(
                CosignVerifier(
                    policies,
                    providers,
                    name=entry.name,
                    artifact_types=entry.artifact_types,
                    base_dir=config.base_dir,
                    trusted_root=entry.trusted_root,
                    legacy=entry.legacy,
                )
            )
        except ConfigError as exc:
            raise exc.under(f"verifier.plugins[{index}]") from None
    return verifiers


def build_store(config: Config, *, auth: AuthProvider | None = None) -> OCIRegistryStore:
    """The registry store a configuration's ``oras`` store plugin describes.

    ``authProvider`` ``{"name": "dockerConfig", "configPath": ...}`` reads
    Docker's config.json (the default when unset); pass ``auth`` to use your own.
    """
    from .store.registry import OCIRegistryStore

    settings = config.store
    if auth is None:
        provider = dict(settings.auth_provider or {"name": "dockerConfig"})
        if provider.get("name") != "dockerConfig":
            raise ConfigError(
                f"unsupported authProvider {provider.get('name')!r}",
                path="store.plugins[0].authProvider.name",
                remediation="use 'dockerConfig', or pass an AuthProvider from Python",
            )
        path = provider.get("configPath")
        auth = DockerConfigAuthProvider(config.base_dir / str(path) if path else None)
    options = RegistryOptions(
        use_http=settings.use_http,
        cosign_enabled=settings.cosign_enabled,
        cache_enabled=settings.cache_enabled,
        cache_ttl=float(settings.ttl),
    )
    return OCIRegistryStore(options, auth=auth)


@attrs.frozen(kw_only=True)
class ExecutorOptions:
    """How the executor treats subjects.

    ``resolve_tags``: a subject given by tag is resolved to its digest through
    the store (with a warning); when False, a subject without a digest fails.
    """

    resolve_tags: bool = True


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
        cls, config: Config, store: ReferrerStore | None = None, *, key_providers: KeyProviders | None = None
    ) -> Executor:
        """An executor for a loaded configuration, reading from ``store`` (default: the configured registry store)."""
        verifiers = build_verifiers(config, key_providers)
        return cls(
            store if store is not None else build_store(config),
            verifiers,
            ConfigPolicy.from_config(config.policy),
        )

    def verify(self, subject: str | Reference, *, namespace: str | None = None) -> VerificationResult:
        """Verify one subject. Raises only :class:`InvalidReferenceError` for a malformed subject string."""
        reference = subject if isinstance(subject, Reference) else Reference.parse(subject)
        if reference.digest is None:
            if not self.options.resolve_tags:
                return VerificationResult(
                    subject=str(reference), is_success=False, message=f"subject {reference} has no digest"
                )
            log.warning("subject %s is given by tag; verifying the digest the tag points to now", reference)
            try:
                descriptor = self.store.resolve(reference)
            except Exception as exc:  # the store is a seam: any failure is a failed result
                return VerificationResult(
                    subject=str(reference), is_success=False, message=f"cannot resolve {reference}: {exc}"
                )
            reference = Reference(
                registry=reference.registry,
                repository=reference.repository,
                tag=reference.tag,
                digest=descriptor.digest,
            )
        assert reference.digest is not None
        digest_form = reference.with_digest(reference.digest)
        try:
            referrers = list(self.store.list_referrers(digest_form))
        except Exception as exc:  # the store is a seam: any failure is a failed result
            kind = "" if isinstance(exc, StoreError) else f"{type(exc).__name__}: "
            return VerificationResult(
                subject=str(digest_form), is_success=False, message=f"cannot list referrers: {kind}{exc}"
            )
        reports: list[VerifierReport] = []
        for referrer in referrers:
            for verifier in self.verifiers:
                if referrer.artifact_type in verifier.artifact_types:
                    reports.append(self._run(verifier, digest_form, referrer, namespace))
        success, message = self.policy.decide(reports)
        return VerificationResult(
            subject=str(digest_form), is_success=success, verifier_reports=reports, message=message
        )

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
                artifact_type=referrer.artifact_type or "",
                reference_digest=referrer.digest,
                message=f"verifier {verifier.name!r} failed: {type(exc).__name__}: {exc}",
                error_reason=f"{type(exc).__name__}: {exc}",
            )
