"""Sigstore bundles attached to an image as OCI referrers (cosign v3's default), judged against a trust policy.

The bundle's annotations are hints only: what counts is what the bundle
proves. A DSSE bundle must carry an in-toto Statement whose subject is the
image digest and whose predicate type is cosign's signature predicate (an
attestation is not a signature); a message-signature bundle must sign a
cosign simple-signing payload, found as another layer of the same manifest,
that binds the image digest.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence

from .keyless.bundle import MAX_BUNDLE_SIZE, BundleError, DsseEnvelope, SigstoreBundle
from .keyless.bundle_verify import BUNDLE_ERRORS, Artifact, BundleOutcome, verify_sigstore_bundle
from .keyless.certificate import IdentityPolicy
from .keyless.trusted_root import TrustedRoot
from .keys import ResolvedKey
from .mediatypes import COSIGN_SIGN_PREDICATE, COSIGN_SIMPLESIGNING_LAYER, IN_TOTO_STATEMENT_V1
from .policy import TrustPolicy
from .reference import Reference
from .report import KeyInformation, KeyVerification, SignatureResult
from .signature import COSIGN_SIGNATURE_TYPE, SignatureFormatError, SignatureLayer, parse_simple_signing
from .store.base import ReferrerStore, check_content


class _BundleCheckError(Exception):
    pass


def _fetch(store: ReferrerStore, subject: Reference, layer: SignatureLayer, what: str, limit: int) -> bytes:
    if layer.size > limit:
        raise _BundleCheckError(f"{what} is {layer.size} bytes (at most {limit})")
    try:
        data = store.fetch_blob(subject, layer.digest)
        return check_content(bytes(data), layer.digest, what)
    except Exception as exc:  # the store is a seam: any failure is a failed fetch
        raise _BundleCheckError(f"cannot fetch {what}: {exc}") from None


class BundleChecker:
    """Checks bundle layers for :class:`~cosign_verify.CosignVerifier` (roots and identities are the verifier's)."""

    def __init__(self, roots: Mapping[str, TrustedRoot], identities: Mapping[str, IdentityPolicy]) -> None:
        self._roots = roots
        self._identities = identities

    def check(
        self,
        layer: SignatureLayer,
        layers: Sequence[SignatureLayer],
        keys: Sequence[ResolvedKey],
        policy: TrustPolicy,
        subject: Reference,
        store: ReferrerStore,
    ) -> SignatureResult:
        """One bundle layer: one verification per trusted key, or one for the keyless identity."""
        try:
            bundle = SigstoreBundle.from_json(
                _fetch(store, subject, layer, "Sigstore bundle", MAX_BUNDLE_SIZE)
            )
            artifact = self._artifact(bundle, layers, subject, store)
        except (_BundleCheckError, BundleError) as exc:
            return SignatureResult(signature_digest=layer.digest, is_success=False, error=str(exc))
        root = self._roots[policy.name]
        if policy.keyless is not None:
            verifications = [self._verify(bundle, artifact, root, policy, subject, None)]
        else:
            verifications = [self._verify(bundle, artifact, root, policy, subject, key) for key in keys]
        return SignatureResult(
            signature_digest=layer.digest,
            is_success=any(v.is_success for v in verifications),
            signature=base64.b64encode(bundle.content.signature).decode(),
            verifications=verifications,
        )

    def _artifact(
        self,
        bundle: SigstoreBundle,
        layers: Sequence[SignatureLayer],
        subject: Reference,
        store: ReferrerStore,
    ) -> Artifact:
        assert subject.digest is not None
        if isinstance(bundle.content, DsseEnvelope):
            return Artifact.from_digest(subject.digest)
        wanted = "sha256:" + bundle.content.digest.hex()
        for candidate in layers:
            if candidate.media_type == COSIGN_SIMPLESIGNING_LAYER and candidate.digest == wanted:
                payload = _fetch(store, subject, candidate, "signed payload", 1 << 20)
                try:
                    claims = parse_simple_signing(payload)
                except SignatureFormatError as exc:
                    raise _BundleCheckError(str(exc)) from None
                if claims.type != COSIGN_SIGNATURE_TYPE or claims.docker_manifest_digest != subject.digest:
                    raise _BundleCheckError(
                        f"signed payload is for digest {claims.docker_manifest_digest} ({claims.type!r}), "
                        f"not the subject's {subject.digest}"
                    )
                return Artifact.from_bytes(payload)
        raise _BundleCheckError(
            "the bundle's message signature signs a payload that is not in the referrer manifest"
        )

    def _verify(
        self,
        bundle: SigstoreBundle,
        artifact: Artifact,
        root: TrustedRoot,
        policy: TrustPolicy,
        subject: Reference,
        key: ResolvedKey | None,
    ) -> KeyVerification:
        info = KeyInformation(provider=key.provider, name=key.name, version=key.version) if key else None
        try:
            outcome = verify_sigstore_bundle(
                bundle,
                artifact,
                root,
                identity=self._identities.get(policy.name),
                keys=[(f"key {key.name!r}", key.key)] if key else (),
                ct_log_verify=policy.keyless.ct_log_verify if policy.keyless else True,
            )
            summary = [*outcome.summary, *_statement_checks(outcome, subject)]
        except (*BUNDLE_ERRORS, _BundleCheckError) as exc:
            return KeyVerification(is_success=False, key_information=info, error=f"bundle: {exc}")
        return KeyVerification(is_success=True, key_information=info, bundle_verified=True, summary=summary)


def _statement_checks(outcome: BundleOutcome, subject: Reference) -> list[str]:
    statement = outcome.statement
    if statement is None:
        return [f"signed payload binds subject digest {subject.digest}"]
    if statement.get("_type") != IN_TOTO_STATEMENT_V1:
        raise _BundleCheckError(f"statement type is {statement.get('_type')!r}, not {IN_TOTO_STATEMENT_V1!r}")
    predicate = statement.get("predicateType")
    if predicate != COSIGN_SIGN_PREDICATE:
        raise _BundleCheckError(
            f"predicate type is {predicate!r}: an attestation, not a cosign signature ({COSIGN_SIGN_PREDICATE})"
        )
    return [f"statement names subject digest {subject.digest} with predicate {COSIGN_SIGN_PREDICATE}"]
