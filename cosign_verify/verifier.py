"""The cosign verifier: one referrer of one subject, judged against its trust policy.

Checks raise :class:`_CheckError`; :meth:`CosignVerifier._check_key` and
:meth:`CosignVerifier._check_layer` turn them into report entries, so a
broken signature marks only itself failed and never aborts the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from pathlib import Path

import attrs
from cryptography.exceptions import InvalidSignature

from .bundle_referrer import BundleChecker
from .errors import ForbiddenError, StoreError
from .keyless.certificate import ExactMatch, IdentityPolicy, Matcher, RegexMatch
from .keyless.checks import (
    KEYLESS_ERRORS,
    RekorSettings,
    public_key_pem,
    transparency_proof,
    transparency_summary,
    verify_keyless,
)
from .keyless.rekor import TransparencyLogError
from .keyless.trusted_root import TrustedRoot
from .keys import KeyProviders, PolicyKeys, ResolvedKey, describe_key
from .keys.verify import verify_signature
from .mediatypes import COSIGN_SIGNATURE_ARTIFACT_TYPE, SIGSTORE_BUNDLE_TYPES
from .policy import Keyless, TrustPolicy
from .reference import Reference
from .report import KeyInformation, KeyVerification, SignatureResult, VerifierReport
from .scope import ScopeMatcher
from .signature import (
    COSIGN_SIGNATURE_TYPE,
    MAX_PAYLOAD_SIZE,
    CosignSignature,
    SignatureFormatError,
    SignatureLayer,
    SimpleSigningPayload,
    load_signature,
    parse_signature_manifest,
    parse_simple_signing,
)
from .store.base import Descriptor, ReferrerStore, check_content

log = logging.getLogger(__name__)

LEGACY_SUCCESS_MESSAGE = "cosign verification success. valid signatures found"
SUCCESS_MESSAGE = "cosign verification success. valid signatures found. please refer to extensions field for verifications performed."
FAILURE_MESSAGE = "cosign verification failed"


class _CheckError(Exception):
    def __init__(self, reason: str, remediation: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.remediation = remediation


def _fetch(what: str, call: Callable[..., object], *args: object) -> bytes:
    """Call a store method; any failure of the store becomes a check failure."""
    try:
        data = call(*args)
    except Exception as exc:  # the store is a seam: whatever it raises is a failed fetch
        raise _CheckError(f"cannot fetch {what}: {exc}") from None
    if not isinstance(data, bytes | bytearray):
        raise _CheckError(f"cannot fetch {what}: store returned {type(data).__name__}, not bytes")
    return bytes(data)


class CosignVerifier:
    """Verifies cosign signatures of subjects against trust policies.

    ``trust_policies`` go through :class:`ScopeMatcher` (validated once, here);
    key references are resolved against ``key_providers`` and key files are
    read now, relative to ``base_dir``. Configuration problems raise
    :class:`ConfigError` here; :meth:`verify` never raises for anything a
    registry or a signature does. ``legacy`` writes Ratify's legacy report
    shape (for configurations without trust policies).
    """

    type = "cosign"

    def __init__(
        self,
        trust_policies: Iterable[TrustPolicy] | ScopeMatcher,
        key_providers: KeyProviders | None = None,
        *,
        name: str = "cosign",
        artifact_types: Iterable[str] = (COSIGN_SIGNATURE_ARTIFACT_TYPE,),
        base_dir: str | Path | None = None,
        trusted_root: str | Path | TrustedRoot | None = None,
        rekor_timeout: float = 10.0,
        legacy: bool = False,
    ) -> None:
        self.name = name
        self.legacy = legacy
        self.artifact_types = tuple(artifact_types)
        self._matcher = (
            trust_policies if isinstance(trust_policies, ScopeMatcher) else ScopeMatcher(trust_policies)
        )
        providers = key_providers if key_providers is not None else KeyProviders()
        base = Path(base_dir) if base_dir is not None else None
        self._keys = {
            policy.name: PolicyKeys(policy, providers, base_dir=base)
            for policy in self._matcher.policies
            if policy.keys
        }
        self._policy_dicts = {policy.name: policy.to_dict() for policy in self._matcher.policies}
        self._roots: dict[str, TrustedRoot] = {}
        self._identities: dict[str, IdentityPolicy] = {}
        self._rekor_timeout = rekor_timeout
        self._bundles = BundleChecker(self._roots, self._identities)
        for policy in self._matcher.policies:
            self._roots[policy.name] = _load_root(policy.trusted_root or trusted_root, base)
            if policy.keyless is not None:
                self._identities[policy.name] = identity_policy(policy.keyless)
            if not policy.tlog_verify:
                log.warning(
                    "trust policy %r: tLogVerify is false: signatures are accepted without transparency-log proof",
                    policy.name,
                )

    @property
    def matcher(self) -> ScopeMatcher:
        """The validated trust policies."""
        return self._matcher

    def verify(
        self,
        subject: Reference,
        referrer: Descriptor,
        store: ReferrerStore,
        *,
        namespace: str | None = None,
    ) -> VerifierReport:
        """Verify the cosign signature artifact ``referrer`` of ``subject`` (which must carry its digest).

        ``namespace`` is the namespace the verification works for (Ratify's
        key management provider access rule); None means cluster-wide.
        """
        digest_form = subject.with_digest(subject.digest) if subject.digest else subject

        def failed(
            reason: str, remediation: str | None = None, policy: TrustPolicy | None = None
        ) -> VerifierReport:
            return VerifierReport(
                subject=str(digest_form),
                is_success=False,
                name=self.name,
                type=self.type,
                artifact_type=referrer.artifact_type or "",
                reference_digest=referrer.digest,
                message=f"{FAILURE_MESSAGE}: {reason}",
                error_reason=reason,
                remediation=remediation,
                trust_policy=self._policy_dicts[policy.name] if policy else None,
                legacy=self.legacy,
            )

        if subject.digest is None:
            return failed(
                f"subject {subject} has no digest", "resolve the subject to its digest before verifying it"
            )
        policy = self._matcher.match(digest_form)
        if policy is None:
            return failed(
                f"no trust policy scope matches subject {digest_form}",
                "add a trust policy whose scope covers this subject, or a global '*' policy",
            )
        keys: tuple[ResolvedKey, ...] = ()
        if policy.keyless is None:
            try:
                keys = self._keys[policy.name].for_namespace(namespace)
            except ForbiddenError as exc:
                return failed(exc.message, exc.remediation, policy)

        try:
            manifest = check_content(
                _fetch("signature manifest", store.fetch_manifest, digest_form, referrer.digest),
                referrer.digest,
                "signature manifest",
            )
            layers = parse_signature_manifest(manifest)
        except _CheckError as exc:
            return failed(exc.reason, exc.remediation, policy)
        except (StoreError, SignatureFormatError) as exc:
            return failed(str(exc), None, policy)

        remediations: list[str] = []
        bundle_layers = [layer for layer in layers if layer.media_type in SIGSTORE_BUNDLE_TYPES]
        if referrer.artifact_type in SIGSTORE_BUNDLE_TYPES or (
            bundle_layers and len(bundle_layers) == len(layers)
        ):
            if not bundle_layers:
                return failed("the bundle referrer has no Sigstore bundle layer", None, policy)
            signatures = tuple(
                self._bundles.check(layer, layers, keys, policy, digest_form, store)
                for layer in bundle_layers
            )
        else:
            signatures = tuple(
                self._check_layer(layer, keys, policy, digest_form, store, remediations) for layer in layers
            )
        if any(s.is_success for s in signatures):
            return VerifierReport(
                subject=str(digest_form),
                is_success=True,
                name=self.name,
                type=self.type,
                artifact_type=referrer.artifact_type or "",
                reference_digest=referrer.digest,
                message=LEGACY_SUCCESS_MESSAGE if self.legacy else SUCCESS_MESSAGE,
                signatures=signatures,
                trust_policy=self._policy_dicts[policy.name],
                legacy=self.legacy,
            )
        first_error = next(
            (s.error or next((v.error for v in s.verifications if v.error), None) for s in signatures),
            None,
        )
        reason = f"no valid signatures found ({len(signatures)} checked"
        reason += f"; first error: {first_error})" if first_error else ")"
        return attrs.evolve(
            failed(reason, remediations[0] if remediations else None, policy), signatures=signatures
        )

    def _check_layer(
        self,
        layer: SignatureLayer,
        keys: tuple[ResolvedKey, ...],
        policy: TrustPolicy,
        subject: Reference,
        store: ReferrerStore,
        remediations: list[str],
    ) -> SignatureResult:
        try:
            if layer.size > MAX_PAYLOAD_SIZE:
                raise _CheckError(f"signature payload is {layer.size} bytes (at most {MAX_PAYLOAD_SIZE})")
            payload = _fetch("signature payload", store.fetch_blob, subject, layer.digest)
            try:
                check_content(payload, layer.digest, "signature payload")
                signature = load_signature(layer, payload)
                claims = parse_simple_signing(payload)
            except (StoreError, SignatureFormatError) as exc:
                raise _CheckError(str(exc)) from None
        except _CheckError as exc:
            if exc.remediation:
                remediations.append(exc.remediation)
            return SignatureResult(signature_digest=layer.digest, is_success=False, error=exc.reason)
        if policy.keyless is not None:
            verifications: tuple[KeyVerification, ...] = (
                self._check_keyless(signature, claims, policy, subject, remediations),
            )
        else:
            verifications = tuple(
                self._check_key(signature, claims, key, policy, subject, remediations) for key in keys
            )
        return SignatureResult(
            signature_digest=layer.digest,
            is_success=any(v.is_success for v in verifications),
            signature=signature.signature_b64,
            verifications=verifications,
        )

    def _check_key(
        self,
        signature: CosignSignature,
        claims: SimpleSigningPayload,
        key: ResolvedKey,
        policy: TrustPolicy,
        subject: Reference,
        remediations: list[str],
    ) -> KeyVerification:
        info = KeyInformation(provider=key.provider, name=key.name, version=key.version)
        label = f"key {key.name!r}" + (f" version {key.version!r}" if key.version else "")
        if key.provider not in ("file", key.name):
            label += f" of provider {key.provider!r}"
        try:
            try:
                verify_signature(key.key, signature.signature, signature.payload)
            except InvalidSignature:
                raise _CheckError(f"signature does not verify with {label}") from None
            summary = [f"signature verified with {label} ({describe_key(key.key)})"]
            summary.extend(_check_claims(claims, subject))
            bundle_verified = False
            if policy.tlog_verify:
                try:
                    proof = transparency_proof(
                        signature, public_key_pem(key.key), self._roots[policy.name], self._rekor(policy)
                    )
                except TransparencyLogError as exc:
                    raise _CheckError(
                        f"transparency log: {exc}",
                        f"sign with a transparency log (cosign's default), or set 'tLogVerify: false' in trust "
                        f"policy {policy.name!r} to accept key-based signatures without one",
                    ) from None
                bundle_verified = proof.from_bundle
                summary.append(transparency_summary(proof))
            else:
                summary.append(
                    f"transparency log not checked: tLogVerify is false in trust policy {policy.name!r}"
                )
            return KeyVerification(
                is_success=True, key_information=info, bundle_verified=bundle_verified, summary=summary
            )
        except _CheckError as exc:
            if exc.remediation:
                remediations.append(exc.remediation)
            return KeyVerification(is_success=False, key_information=info, error=exc.reason)

    def _rekor(self, policy: TrustPolicy) -> RekorSettings:
        return RekorSettings(url=policy.rekor_url, timeout=self._rekor_timeout)

    def _check_keyless(
        self,
        signature: CosignSignature,
        claims: SimpleSigningPayload,
        policy: TrustPolicy,
        subject: Reference,
        remediations: list[str],
    ) -> KeyVerification:
        assert policy.keyless is not None
        try:
            outcome = verify_keyless(
                signature,
                self._identities[policy.name],
                trusted_root=self._roots[policy.name],
                ct_log_verify=policy.keyless.ct_log_verify,
                tlog_verify=policy.tlog_verify,
                rekor=self._rekor(policy),
            )
            summary = [*outcome.summary, *_check_claims(claims, subject)]
        except KEYLESS_ERRORS as exc:
            return KeyVerification(is_success=False, error=f"keyless: {exc}")
        except _CheckError as exc:
            if exc.remediation:
                remediations.append(exc.remediation)
            return KeyVerification(is_success=False, error=exc.reason)
        return KeyVerification(is_success=True, bundle_verified=outcome.bundle_verified, summary=summary)


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
    return IdentityPolicy(identity, issuer)


def _load_root(root: str | Path | TrustedRoot | None, base_dir: Path | None) -> TrustedRoot:
    if isinstance(root, TrustedRoot):
        return root
    if root is None:
        return TrustedRoot.public_good()
    path = Path(root)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    return TrustedRoot.from_file(path)


def _check_claims(claims: SimpleSigningPayload, subject: Reference) -> list[str]:
    """The payload must be a cosign image signature for exactly this subject digest."""
    if claims.type != COSIGN_SIGNATURE_TYPE:
        raise _CheckError(f"payload type is {claims.type!r}, not {COSIGN_SIGNATURE_TYPE!r}")
    if claims.docker_manifest_digest != subject.digest:
        raise _CheckError(
            f"signature is for digest {claims.docker_manifest_digest}, not the subject's {subject.digest} "
            "(a signature copied from another image?)"
        )
    return [f"payload binds subject digest {subject.digest}"]
